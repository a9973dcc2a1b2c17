import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';
import { lessonSlug } from './protocol/lesson-slug.ts';

/** A lesson's frontmatter. Unknown keys are refused so a typo cannot go unnoticed. */
const lessonSchema = z
  .object({
    /** The lesson's title, shown in the page heading, the sidebar and the home page. */
    title: z.string().min(1),
    /** Position in the course, from 1. The file name's numeric prefix should match. */
    order: z.number().int().positive(),
    /** One sentence for the home page and the page description. */
    summary: z.string().min(1),
    /** What the reader will be able to do afterwards: 2–6 items, each starting with a verb. */
    objectives: z.array(z.string().min(1)).min(2).max(6),
    /** Estimated reading and playing time, in minutes. */
    minutes: z.number().int().positive().max(120),
  })
  .strict();

const lessons = defineCollection({
  loader: glob({
    pattern: '*.mdx',
    base: './content/lessons',
    generateId: ({ entry }) => lessonSlug(entry),
  }),
  schema: lessonSchema,
});

export const collections = { lessons };
