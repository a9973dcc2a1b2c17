/**
 * The scenario quiz of lesson 9: realistic situations, each with its right
 * technique (a point), any techniques that also work (half a point), feedback
 * for all four techniques, and the answers it gives the decision tree. The data is content/quiz/scenarios.json; this module checks it
 * against the tree and scores attempts.
 *
 * Imports nothing from the DOM, Node or Astro.
 */
import { walk, type DecisionTree } from './decision-tree.ts';
import { TECHNIQUES, TECHNIQUE_NAMES, isTechnique, type Technique } from './techniques.ts';

export interface Scenario {
  /** Kebab-case, stable: saved attempts refer to it. */
  id: string;
  /** A few words, e.g. "CI build logs". */
  title: string;
  /** The situation, with the facts that decide the choice. */
  situation: string;
  /** The technique that fits best: a full point. */
  answer: Technique;
  /**
   * Techniques that also work here, for half a point ({@link PARTIAL_CREDIT}).
   * Their feedback says why they're acceptable and why `answer` still fits better.
   */
  acceptable?: readonly Technique[];
  /** Its answers to the decision tree (question id → answer id), which must lead to `answer`. */
  path: Record<string, string>;
  /** For `answer`, why it fits; for each acceptable one, why it works too; for each other technique, why it doesn't. */
  feedback: Record<Technique, string>;
}

/** What grading needs of a scenario: small enough to hand to a page that only shows scores. */
export type ScenarioKey = Pick<Scenario, 'id' | 'answer' | 'acceptable'>;

/** How a pick fares: the best fit, a technique that also works, or one that doesn't. */
export type Verdict = 'right' | 'acceptable' | 'wrong';

/** The points an acceptable pick earns; the best fit earns 1, any other pick 0. */
export const PARTIAL_CREDIT = 0.5;

/** The verdict on `pick` for `scenario`; no pick at all, or a name that is no technique (an old saved answer), is wrong. */
export function verdictOf(scenario: ScenarioKey, pick: string | undefined): Verdict {
  if (pick === scenario.answer) return 'right';
  return pick !== undefined && isTechnique(pick) && scenario.acceptable?.includes(pick) ? 'acceptable' : 'wrong';
}

/** The points `pick` earns for `scenario`: 1, {@link PARTIAL_CREDIT} or 0. */
export function creditOf(scenario: ScenarioKey, pick: string | undefined): number {
  const verdict = verdictOf(scenario, pick);
  return verdict === 'right' ? 1 : verdict === 'acceptable' ? PARTIAL_CREDIT : 0;
}

/** The learner's pick per scenario id, as the quiz makes it or an attempt saved it. Scenarios not in it count as missed. */
export type Picks = Readonly<Record<string, string>>;

/** The result of one round of the quiz. */
export interface AttemptScore {
  /** Scenarios picked right (the best fit): what a saved attempt's `score` counts. */
  score: number;
  /** Points: 1 per right pick, {@link PARTIAL_CREDIT} per acceptable one. */
  points: number;
  /** Scenarios in the round. */
  total: number;
  /** Ids of the scenarios picked right, in quiz order. */
  correct: string[];
  /** Ids of the scenarios answered with an acceptable technique, in quiz order. */
  acceptable: string[];
  /** Ids of the scenarios picked wrong or not at all, in quiz order. */
  missed: string[];
}

/**
 * A first round passes with 10 points of 12, or the same share of another
 * number of scenarios, rounded up. Acceptable picks count half a point.
 */
export const PASS_RATIO = 10 / 12;

/** The least score that passes a round of `total` scenarios. */
export function passMark(total: number): number {
  // The epsilon keeps 12 × 10/12 at 10, not 10.000000000000002 rounded up to 11.
  return Math.ceil(total * PASS_RATIO - 1e-9);
}

/** Scores `picks` against `scenarios`. */
export function scoreAttempt(scenarios: readonly ScenarioKey[], picks: Picks): AttemptScore {
  const lists: Record<Verdict, string[]> = { right: [], acceptable: [], wrong: [] };
  for (const scenario of scenarios) lists[verdictOf(scenario, picks[scenario.id])].push(scenario.id);
  return {
    score: lists.right.length,
    points: lists.right.length + lists.acceptable.length * PARTIAL_CREDIT,
    total: scenarios.length,
    correct: lists.right,
    acceptable: lists.acceptable,
    missed: lists.wrong,
  };
}

/**
 * The scenarios `picks` earned nothing for (wrong or left out), in quiz order:
 * the next round of "retry the missed ones". Acceptable picks are not missed.
 */
export function missedScenarios(scenarios: readonly Scenario[], picks: Picks): Scenario[] {
  return scenarios.filter((scenario) => verdictOf(scenario, picks[scenario.id]) === 'wrong');
}

/** `points` as a reader sees it: `9`, or `9½` with a half point (`½` alone). */
export function formatPoints(points: number): string {
  const whole = Math.floor(points);
  if (points - whole < 0.5) return String(whole);
  return whole === 0 ? '½' : `${whole}½`;
}

/** Thrown by {@link parseScenarios}; lists every problem found. */
export class InvalidScenariosError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`The quiz scenarios are invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidScenariosError';
    this.problems = problems;
  }
}

/** Checks `data` (`{ scenarios: [...] }`) against `tree` and returns the scenarios, or throws {@link InvalidScenariosError}. */
export function parseScenarios(data: unknown, tree: DecisionTree): Scenario[] {
  const problems = scenarioProblems(data, tree);
  if (problems.length > 0) throw new InvalidScenariosError(problems);
  return (data as { scenarios: Scenario[] }).scenarios;
}

/**
 * Everything wrong with `data` as quiz scenarios; empty when valid: unique
 * kebab-case ids, non-empty texts, a known technique, acceptable techniques
 * other than the answer, feedback for all four techniques, and tree answers
 * that lead exactly to the scenario's technique.
 */
export function scenarioProblems(data: unknown, tree: DecisionTree): string[] {
  if (!isObject(data) || !Array.isArray(data.scenarios)) return ['expected an object with a `scenarios` array'];
  const problems: string[] = [];
  const ids = new Set<string>();
  data.scenarios.forEach((raw: unknown, index: number) => {
    if (!isObject(raw)) {
      problems.push(`scenarios[${index}] is not an object`);
      return;
    }
    const name = typeof raw.id === 'string' ? `scenario "${raw.id}"` : `scenarios[${index}]`;
    if (typeof raw.id !== 'string' || !/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(raw.id)) problems.push(`${name}: id must be kebab-case`);
    else if (ids.has(raw.id)) problems.push(`${name} appears twice`);
    else ids.add(raw.id);
    for (const key of ['title', 'situation']) {
      if (typeof raw[key] !== 'string' || raw[key].trim() === '') problems.push(`${name} needs a non-empty \`${key}\``);
    }
    if (!isTechnique(raw.answer)) problems.push(`${name}: answer ${JSON.stringify(raw.answer)} is not one of ${TECHNIQUES.join(', ')}`);
    if (raw.acceptable !== undefined) {
      if (!Array.isArray(raw.acceptable)) problems.push(`${name}: acceptable must be an array of techniques`);
      else {
        const seen = new Set<unknown>();
        for (const technique of raw.acceptable as unknown[]) {
          if (!isTechnique(technique))
            problems.push(`${name}: acceptable ${JSON.stringify(technique)} is not one of ${TECHNIQUES.join(', ')}`);
          else if (technique === raw.answer) problems.push(`${name}: ${technique} is the answer, not merely acceptable`);
          else if (seen.has(technique)) problems.push(`${name}: ${technique} is acceptable twice`);
          seen.add(technique);
        }
      }
    }
    for (const technique of TECHNIQUES) {
      const text = isObject(raw.feedback) ? raw.feedback[technique] : undefined;
      if (typeof text !== 'string' || text.trim() === '') problems.push(`${name} has no feedback for ${TECHNIQUE_NAMES[technique]}`);
    }
    if (isObject(raw.feedback)) {
      for (const key of Object.keys(raw.feedback)) if (!isTechnique(key)) problems.push(`${name}: feedback for unknown technique "${key}"`);
    }
    if (!isObject(raw.path) || Object.values(raw.path).some((answer) => typeof answer !== 'string')) {
      problems.push(`${name}: path must map question ids to answer ids`);
      return;
    }
    try {
      const result = walk(tree, raw.path as Record<string, string>);
      if (!result.recommendation) problems.push(`${name}: its path stops at question "${result.node.id}" without a recommendation`);
      else if (result.recommendation.technique !== raw.answer) {
        problems.push(
          `${name}: its path leads to ${result.recommendation.technique} ("${result.recommendation.id}"), not ${String(raw.answer)}`,
        );
      }
      if (result.unused.length > 0) problems.push(`${name}: its path answers questions it never reaches: ${result.unused.join(', ')}`);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  });
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
