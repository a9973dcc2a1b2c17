import type { LessonSummary } from '../../lessons/course.ts';
import { lessonState } from '../../progress/local-progress.ts';
import { CourseBar } from './CourseBar.tsx';
import { LessonStateIcon } from './LessonStateIcon.tsx';
import { useProgress } from '../../progress/use-progress.ts';
import './progress.css';

interface Props {
  lessons: (LessonSummary & { summary: string })[];
}

/** The home page's course card: overall bar, start/continue, and every lesson with its state. */
/** Where to go once every lesson is complete: nothing is left to "continue". */
function AllComplete() {
  return (
    <div class="course-progress-resume course-progress-finished">
      <p>You've completed every lesson. What next?</p>
      <ul>
        <li>
          <a class="button" href="/lessons/choosing/#exercise">
            Take the quiz again
          </a>
        </li>
        <li>
          <a href="/progress/">Review your progress</a>
        </li>
        <li>
          <a href="#join-a-workshop">Join a workshop</a>
        </li>
        <li>
          <a href="/workshops/">Run a workshop</a> for your class or team
        </li>
      </ul>
    </div>
  );
}

export default function CourseProgress({ lessons }: Props) {
  const progress = useProgress();
  const states = lessons.map((lesson) => lessonState(progress, lesson.slug));
  const done = states.filter((state) => state === 'complete').length;
  const last = lessons.find((lesson) => lesson.slug === progress.last?.lesson);
  const nextUnfinished = lessons.find((_, i) => states[i] !== 'complete');
  const resume = last ?? nextUnfinished ?? lessons[0];
  const resumeHref = last && progress.last?.section ? `${last.url}#${progress.last.section}` : resume?.url;

  return (
    <section class="course-progress" aria-labelledby="lessons">
      <div class="course-progress-head">
        <h2 id="lessons">Lessons</h2>
        <p class="course-progress-count">
          {done} of {lessons.length} complete
        </p>
      </div>
      <CourseBar done={done} total={lessons.length} />
      {done === lessons.length && lessons.length > 0 ? (
        <AllComplete />
      ) : (
        resume && (
          <p class="course-progress-resume">
            <a class="button" href={resumeHref}>
              {last ? `Continue: ${resume.title}` : `Start with lesson 1: ${resume.title}`}
            </a>
          </p>
        )
      )}
      <ol class="lesson-cards">
        {lessons.map((lesson, i) => (
          <li key={lesson.slug} class={`lesson-card ${states[i]}`}>
            <LessonStateIcon state={states[i]!} />
            <div>
              <a class="lesson-card-title" href={lesson.url}>
                {lesson.order}. {lesson.title}
              </a>
              <p>{lesson.summary}</p>
            </div>
            <span class="lesson-card-minutes">{lesson.minutes} min</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
