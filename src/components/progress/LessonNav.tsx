import type { LessonSummary } from '../../lessons/course.ts';
import { lessonState } from '../../progress/local-progress.ts';
import { LessonStateIcon } from './LessonStateIcon.tsx';
import { useProgress } from '../../progress/use-progress.ts';
import './progress.css';

interface Props {
  lessons: LessonSummary[];
  /** The slug of the lesson being read, marked as the current page. */
  current?: string;
}

/** The sidebar: every lesson with its state, the current one highlighted. */
export default function LessonNav({ lessons, current }: Props) {
  const progress = useProgress();
  return (
    <ol class="lesson-nav">
      {lessons.map((lesson) => (
        <li key={lesson.slug}>
          <a href={lesson.url} aria-current={lesson.slug === current ? 'page' : undefined}>
            <LessonStateIcon state={lessonState(progress, lesson.slug)} />
            <span class="lesson-nav-title">
              {lesson.order}. {lesson.title}
            </span>
          </a>
        </li>
      ))}
    </ol>
  );
}
