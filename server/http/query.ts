import type * as z from 'zod/mini';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from './problem.ts';
import { wrongValueDetail } from './wrong-value.ts';

/** A 400 `invalid-query` problem about the query parameter `parameter`. */
export function invalidQuery(detail: string, parameter: string): HttpProblem {
  return new HttpProblem({ status: 400, type: PROBLEM_TYPES.invalidQuery, detail, extensions: { parameter } });
}

/** A query schema of `src/protocol/request-queries.ts`: an object of string parameters. */
type QuerySchema = z.ZodMiniObject<Record<string, z.ZodMiniType<unknown, string | undefined>>>;

/**
 * Reads the parameters `schema` names from `query` and checks them; the
 * others are left alone (the lab's `?lab=…&via=…` tags any request).
 * @throws {HttpProblem} 400 `invalid-query` naming the parameter in
 *   `parameter`, with its value and what it must be
 *   (`"cursor" is "-1"; it must be a whole number from 0 to 9007199254740991.`),
 *   or that it is given more than once.
 */
export function readQuery<Schema extends QuerySchema>(query: URLSearchParams, schema: Schema): z.output<Schema> {
  const values: Record<string, string> = {};
  for (const name of Object.keys(schema._zod.def.shape)) {
    const given = query.getAll(name);
    // Which one would count is anyone's guess (a proxy may keep the first, a framework the last): refuse both.
    if (given.length > 1) throw invalidQuery(`${JSON.stringify(name)} is given ${given.length} times; give it once.`, name);
    if (given[0] !== undefined) values[name] = given[0];
  }
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? '');
  const value = values[name];
  throw invalidQuery(wrongValueDetail(name, value === undefined ? undefined : JSON.stringify(value.slice(0, 40)), issue.message), name);
}
