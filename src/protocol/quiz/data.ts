/**
 * The decision tree and the quiz scenarios, read from content/quiz/ and checked
 * when this module loads: a broken edit fails the build (and the unit tests)
 * with every problem listed, instead of shipping a walker that dead-ends.
 */
import treeJson from '../../../content/quiz/decision-tree.json' with { type: 'json' };
import scenariosJson from '../../../content/quiz/scenarios.json' with { type: 'json' };
import { parseDecisionTree, type DecisionTree } from './decision-tree.ts';
import { parseScenarios, type Scenario } from './scenarios.ts';

export const decisionTree: DecisionTree = parseDecisionTree(treeJson);
export const scenarios: readonly Scenario[] = parseScenarios(scenariosJson, decisionTree);
