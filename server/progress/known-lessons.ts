import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lessonSlug } from '../../src/protocol/lesson-slug.ts';

/** Where the lessons are: `content/lessons` in the repository. */
export const LESSONS_DIR = fileURLToPath(new URL('../../content/lessons/', import.meta.url));

/**
 * The slugs of the workbook's lessons, read from the file names in
 * `lessonsDir` as the site's content collection names them
 * (`02-short-polling.mdx` → `short-polling`). Read once at startup: a lesson
 * added later counts after a restart, as it does for the built site.
 */
export function readKnownLessons(lessonsDir: string = LESSONS_DIR): string[] {
  return readdirSync(lessonsDir)
    .filter((name) => /\.mdx?$/.test(name) && !name.startsWith('_') && !name.startsWith('.'))
    .map(lessonSlug)
    .sort();
}
