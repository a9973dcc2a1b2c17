import type { IncomingMessage } from 'node:http';
import type * as z from 'zod/mini';
import { HttpProblem } from './problem.ts';
import { readJsonBody, type ReadJsonBodyOptions } from './read-json-body.ts';
import { invalidBody } from './validate.ts';
import { shownValue, wrongValueDetail } from './wrong-value.ts';
import { describeJsonKind } from '../../src/protocol/json-kind.ts';

/**
 * Reads the JSON body of `request` and checks it against `schema` (`src/protocol/request-bodies.ts`).
 * @throws {HttpProblem} what {@link readJsonBody} throws, and 400 naming the
 *   first field that is wrong and how (see {@link parseBody}).
 */
export async function readBody<Schema extends z.ZodMiniType>(
  request: IncomingMessage,
  schema: Schema,
  options?: ReadJsonBodyOptions,
): Promise<z.output<Schema>> {
  return parseBody(schema, await readJsonBody(request, options));
}

/**
 * `body` as `schema`'s output type, or a 400 problem a person can act on:
 * `"durationMs" is 3; it must be a whole number of milliseconds from 5000 to 3600000.`
 * The schema's messages say what a field must be; a refinement's message is
 * a whole sentence, and its `params.type` (a `PROBLEM_TYPES` URI) the problem's type.
 * @throws {HttpProblem} 400 `invalid-body` (or the refinement's type), with the field in `field`.
 */
export function parseBody<Schema extends z.ZodMiniType>(schema: Schema, body: unknown): z.output<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const { issues } = result.error;
  // A typo (`delay` for `delayMs`) is the cause of the member it leaves missing: name it first.
  throw problemOf(issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0]!, body, schema);
}

function problemOf(issue: z.core.$ZodIssue, body: unknown, schema: z.ZodMiniType): HttpProblem {
  const field = issue.path.join('/');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const members = issue.path.length === 0 ? memberNames(schema, body) : undefined;
    const allowed = members ? `; allowed: ${members.join(', ')}` : '';
    return invalidBody(`The body has an unknown member ${JSON.stringify(key)}${allowed}.`, [...issue.path, key].join('/'));
  }
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    return invalidBody(`The body must be a JSON object, not ${describeJsonKind(body)}.`);
  }
  if (issue.code === 'custom') {
    const type = (issue.params as { type?: string } | undefined)?.type;
    if (type === undefined) return invalidBody(issue.message, field || undefined);
    return new HttpProblem({ status: 400, type, detail: issue.message, extensions: field ? { field } : {} });
  }
  const value = issue.path.reduce<unknown>((parent, key) => (parent as Record<PropertyKey, unknown> | undefined)?.[key], body);
  return invalidBody(wrongValueDetail(field, value === undefined ? undefined : shownValue(value), issue.message), field);
}

/** The members an object schema takes; of a discriminated union, those of the option `body` picked. */
function memberNames(schema: z.ZodMiniType, body: unknown): string[] | undefined {
  const def = schema._zod.def as { shape?: Record<string, z.ZodMiniType>; options?: z.ZodMiniType[]; discriminator?: string };
  if (def.shape) return Object.keys(def.shape);
  const { options, discriminator } = def;
  if (!options || discriminator === undefined) return undefined;
  const picked = (body as Record<string, unknown>)[discriminator];
  const option = options.find((candidate) => memberSchema(candidate, discriminator)?.safeParse(picked).success);
  return option && memberNames(option, body);
}

function memberSchema(schema: z.ZodMiniType, name: string): z.ZodMiniType | undefined {
  return (schema._zod.def as { shape?: Record<string, z.ZodMiniType> }).shape?.[name];
}
