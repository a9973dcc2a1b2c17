import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from './problem.ts';

/** A 400 `invalid-query` problem about the query parameter `parameter`. */
export function invalidQuery(detail: string, parameter: string): HttpProblem {
  return new HttpProblem({ status: 400, type: PROBLEM_TYPES.invalidQuery, detail, extensions: { parameter } });
}

/**
 * Reads the query parameter `name` as a whole number of plain digits (no sign,
 * point, exponent or hex: `Number()` would take `1e3` and `0x10`).
 *
 * @returns the number, or `undefined` when absent and not `required`.
 * @throws {HttpProblem} 400 `invalid-query` naming the parameter when it is
 *   missing but required, given twice, not digits, or outside `min`–`max`.
 */
export function readWholeNumberParam(
  query: URLSearchParams,
  name: string,
  { required = false, min = 0, max = Number.MAX_SAFE_INTEGER }: { required?: boolean; min?: number; max?: number },
): number | undefined {
  const range = max === Infinity ? `a whole number, at least ${min}` : `a whole number from ${min} to ${max}`;
  const values = query.getAll(name);
  if (values.length === 0) {
    if (!required) return undefined;
    throw invalidQuery(`The query parameter ${name} is missing; it must be ${range}.`, name);
  }
  if (values.length > 1) {
    throw invalidQuery(`The query parameter ${name} is given ${values.length} times; give it once.`, name);
  }
  const raw = values[0] ?? '';
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw invalidQuery(`${name} is ${JSON.stringify(raw.slice(0, 40))}; it must be ${range}.`, name);
  }
  return value;
}
