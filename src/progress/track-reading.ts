import { markVisited } from './local-progress.ts';

/**
 * Records that the lesson was opened, then which section the reader is in, so
 * "continue where you left off" returns to the exact section.
 */
export function trackReading(article: HTMLElement): void {
  const lesson = article.dataset.lesson;
  if (!lesson) return;
  markVisited(lesson, location.hash.slice(1) || undefined);

  const sections = article.querySelectorAll<HTMLElement>('.lesson-body h2[id]');
  let current: string | undefined;
  // A heading that crosses the upper third of the viewport is the section being read.
  const observer = new IntersectionObserver(
    (entries) => {
      const visible = entries.filter((entry) => entry.isIntersecting);
      const id = visible.at(-1)?.target.id;
      if (id && id !== current) {
        current = id;
        markVisited(lesson, id);
      }
    },
    { rootMargin: '0px 0px -66% 0px' },
  );
  sections.forEach((section) => observer.observe(section));
}
