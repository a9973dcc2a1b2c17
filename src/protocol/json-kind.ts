/** Names the JSON kind of `value` for an error message: "an array", "null", "a number"… */
export function describeJsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'nothing';
  const kind = typeof value;
  return kind === 'object' ? 'an object' : `a ${kind}`;
}
