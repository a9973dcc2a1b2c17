import { getCollection, type CollectionEntry } from 'astro:content';

export type Lesson = CollectionEntry<'lessons'>;

/** Every lesson in course order. */
export async function getLessons(): Promise<Lesson[]> {
  const lessons = await getCollection('lessons');
  return lessons.sort((a, b) => a.data.order - b.data.order);
}

export function lessonUrl(lesson: Lesson | string): string {
  return `/lessons/${typeof lesson === 'string' ? lesson : lesson.id}/`;
}

/** The small summary of each lesson that browser islands need (they cannot query the collection). */
export interface LessonSummary {
  slug: string;
  title: string;
  order: number;
  minutes: number;
  url: string;
}

export function summarize(lesson: Lesson): LessonSummary {
  return {
    slug: lesson.id,
    title: lesson.data.title,
    order: lesson.data.order,
    minutes: lesson.data.minutes,
    url: lessonUrl(lesson),
  };
}
