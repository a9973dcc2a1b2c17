/**
 * The four techniques the workbook teaches, as the decision tree and the
 * scenario quiz name them. Imports nothing, so browser islands and build-time
 * code can both use it.
 */

/** Technique ids, in the order the lessons teach them. */
export const TECHNIQUES = ['short-polling', 'long-polling', 'sse', 'websocket'] as const;
export type Technique = (typeof TECHNIQUES)[number];

/** What a reader sees: button labels, headings. */
export const TECHNIQUE_NAMES: Readonly<Record<Technique, string>> = {
  'short-polling': 'Short polling',
  'long-polling': 'Long polling',
  sse: 'Server-Sent Events',
  websocket: 'WebSockets',
};

/** The lesson (its slug) that teaches and demonstrates each technique live. */
export const TECHNIQUE_LESSONS: Readonly<Record<Technique, string>> = {
  'short-polling': 'short-polling',
  'long-polling': 'long-polling',
  sse: 'server-sent-events',
  websocket: 'websockets',
};

export function isTechnique(value: unknown): value is Technique {
  return typeof value === 'string' && (TECHNIQUES as readonly string[]).includes(value);
}

/** `/lessons/<slug>/`, the URL scheme of src/lessons/course.ts. */
export function lessonPath(slug: string): string {
  return `/lessons/${slug}/`;
}
