import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { API_ROUTE_LIST } from '../../src/protocol/api-routes.ts';

/**
 * docs/api.md gives each route a heading of its own, in the form
 * "### `GET /api/jobs/{id}` — poll a job" (or "### `GET`, `DELETE /api/…`" for
 * two methods of one path): these tests hold it to the route table.
 */

const METHOD = /^(GET|POST|PUT|DELETE)$/;

/** `/api/jobs/{id}?cursor=N` and `/api/jobs/:id` both → `/api/jobs/{}`: the docs name parameters for readers, not as the code does. */
function shape(path: string): string {
  return path
    .replace(/\?.*$/, '')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/:\w+/g, '{}');
}

/** Every "METHOD /path" the headings of docs/api.md document. */
function documentedRoutes(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('### '))
    .flatMap((heading) => {
      const routes: string[] = [];
      let methods: string[] = [];
      for (const [, span] of heading.matchAll(/`([^`]+)`/g)) {
        if (METHOD.test(span!)) {
          methods.push(span!);
          continue;
        }
        const route = /^(GET|POST|PUT|DELETE) (\/\S*)$/.exec(span!);
        if (!route) continue;
        for (const method of [...methods, route[1]!]) routes.push(`${method} ${shape(route[2]!)}`);
        methods = [];
      }
      return routes;
    });
}

const documented = documentedRoutes(readFileSync(resolve(import.meta.dirname, '../../docs/api.md'), 'utf8'));
const table = API_ROUTE_LIST.map(({ method, pattern }) => `${method} ${shape(pattern)}`);

test('docs/api.md documents every route of the table', () => {
  assert.deepEqual(
    table.filter((route) => !documented.includes(route)),
    [],
  );
});

test('docs/api.md documents no route that does not exist', () => {
  assert.deepEqual(
    documented.filter((route) => !table.includes(route)),
    [],
  );
});

test('docs/api.md documents each route once', () => {
  assert.deepEqual(
    documented.filter((route, index) => documented.indexOf(route) !== index),
    [],
  );
});

test('the headings are read as routes, in both of their forms', () => {
  const routes = documentedRoutes(
    [
      '### `GET`, `DELETE /api/workshops/{code}/me` — mine',
      '### `GET /a/{x}?n=1` and `GET /b/{a|b}` — two',
      '### Lab traffic: `?lab=<id>`',
    ].join('\n'),
  );
  assert.deepEqual(routes, ['GET /api/workshops/{}/me', 'DELETE /api/workshops/{}/me', 'GET /a/{}', 'GET /b/{}']);
});
