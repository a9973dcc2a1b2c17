import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiMethod, ApiRoute } from '../../src/protocol/api-routes.ts';
import { HttpProblem } from './problem.ts';

/** What a route handler receives. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  /** The request URL, parsed (path and query). */
  url: URL;
  /** Values of the `:name` segments of the route's pattern, percent-decoded. */
  params: Record<string, string>;
}

/** Answers one request; throwing an {@link HttpProblem} answers with that problem. */
export type RouteHandler = (context: RouteContext) => void | Promise<void>;

/** What {@link Router.match} found for a method and path. */
export type RouteMatch =
  /** `pattern` is the route as registered, e.g. `/api/jobs/:id` (the limits are set per pattern). */
  | { kind: 'found'; handler: RouteHandler; params: Record<string, string>; pattern: string }
  /** The path exists but not for this method; `allow` lists the methods that do (RFC 9110 §15.5.6). */
  | { kind: 'wrong-method'; allow: string[] }
  | { kind: 'not-found' };

interface Route {
  /** As registered, e.g. `/api/jobs/:id`. */
  pattern: string;
  segments: string[];
  handlers: Map<string, RouteHandler>;
}

/**
 * A method + path router for the API, by entry of the route table
 * (`src/protocol/api-routes.ts`): a pattern is written there only. HEAD is
 * answered by the GET handler (Node then sends no body).
 */
export class Router {
  readonly #routes: Route[] = [];

  /** Registers `handler` for `method` on the table's `route`. */
  on<Method extends ApiMethod>(
    route: Pick<ApiRoute<string, Method>, 'pattern' | 'methods'>,
    method: NoInfer<Method>,
    handler: RouteHandler,
  ): this {
    return this.#add(method, route.pattern, handler);
  }

  #add(method: string, pattern: string, handler: RouteHandler): this {
    let route = this.#routes.find((candidate) => candidate.pattern === pattern);
    if (!route) {
      route = { pattern, segments: pattern.split('/'), handlers: new Map() };
      this.#routes.push(route);
    }
    route.handlers.set(method.toUpperCase(), handler);
    return this;
  }

  /** Whether any route accepts `method` (HEAD wherever GET is). */
  handlesMethod(method: string): boolean {
    const wanted = method === 'HEAD' ? 'GET' : method;
    return this.#routes.some((route) => route.handlers.has(wanted));
  }

  /** Every registered method and pattern, e.g. `{ method: 'GET', pattern: '/api/jobs/:id' }` (a test compares them with the table). */
  routes(): { method: string; pattern: string }[] {
    return this.#routes.flatMap((route) => [...route.handlers.keys()].map((method) => ({ method, pattern: route.pattern })));
  }

  /**
   * Finds the handler for `method` and `pathname` (still percent-encoded).
   *
   * @throws {HttpProblem} 400 when a parameter is not valid percent-encoding.
   */
  match(method: string, pathname: string): RouteMatch {
    const requestSegments = pathname.split('/');
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, requestSegments);
      if (!params) continue;
      const handler = route.handlers.get(method) ?? (method === 'HEAD' ? route.handlers.get('GET') : undefined);
      if (handler) return { kind: 'found', handler, params, pattern: route.pattern };
      return { kind: 'wrong-method', allow: allowedMethods(route) };
    }
    return { kind: 'not-found' };
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  // Literals first: most routes fail there, before anything is decoded or allocated.
  for (let index = 0; index < pattern.length; index += 1) {
    const segment = pattern[index]!;
    if (segment.startsWith(':') ? actual[index] === '' : segment !== actual[index]) return undefined;
  }
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index += 1) {
    const segment = pattern[index]!;
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeSegment(actual[index]!);
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpProblem({
      status: 400,
      detail: `The URL segment "${segment}" is not valid percent-encoding (RFC 3986 §2.1).`,
    });
  }
}

function allowedMethods(route: Route): string[] {
  const methods = new Set(route.handlers.keys());
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
