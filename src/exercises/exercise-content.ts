/**
 * The files of a coded exercise, `content/exercises/<lesson>/<exercise>/`:
 * `starter.js` (what the editor starts with), `solution.js` (shown as a diff
 * on request) and `hints.json` (a list, gentle to explicit). Each is its own
 * chunk, fetched when the learner opens that exercise.
 */

export interface ExerciseContent {
  starter: string;
  solution: string;
  hints: readonly string[];
}

const texts = import.meta.glob<string>('../../content/exercises/*/*/*.js', { query: '?raw', import: 'default' });
const hintLists = import.meta.glob<readonly string[]>('../../content/exercises/*/*/hints.json', { import: 'default' });

/** The exercise's files; rejects naming the exercise when one is missing (a typo in the lesson's props). */
export async function loadExerciseContent(lesson: string, exercise: string): Promise<ExerciseContent> {
  const folder = `../../content/exercises/${lesson}/${exercise}`;
  const starter = texts[`${folder}/starter.js`];
  const solution = texts[`${folder}/solution.js`];
  const hints = hintLists[`${folder}/hints.json`];
  if (!starter || !solution || !hints)
    throw new Error(`content/exercises/${lesson}/${exercise}/ lacks starter.js, solution.js or hints.json.`);
  const [starterText, solutionText, hintList] = await Promise.all([starter(), solution(), hints()]);
  return { starter: starterText, solution: solutionText, hints: hintList };
}
