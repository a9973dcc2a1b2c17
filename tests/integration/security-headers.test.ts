import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type RunningServer } from '../harness/start-server.ts';

const API_POLICY = "default-src 'none'; frame-ancestors 'none'";

// What the build emits: a classic inline script, an inline module, a data block and an external script.
const THEME = "document.documentElement.dataset.theme = 'dark';";
const ISLAND = 'customElements.define("x-island", class extends HTMLElement {});';
const PAGE = `<!doctype html><html><head><script>${THEME}</script><script type="module">${ISLAND}</script>
<script type="application/json" id="data">{"a":1}</script><script type="module" src="/_astro/page.js"></script></head><body>home</body></html>`;

const FAKE_ENTRY = `
export async function handler(request, response) {
  response.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end('<h1>not found</h1>');
}
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The directives of a Content-Security-Policy header, by name. */
function directives(policy: string | null): Map<string, string[]> {
  assert.ok(policy, 'a Content-Security-Policy header');
  return new Map(
    policy.split(';').map((directive) => {
      const [name = '', ...sources] = directive.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe('browser security headers', () => {
  let siteDir: string;
  let server: RunningServer;
  const get = (pathname: string, init?: RequestInit) => fetch(`${server.baseUrl}${pathname}`, init);

  before(async () => {
    siteDir = await mkdtemp(path.join(tmpdir(), 'workbook-csp-'));
    const files: Record<string, string> = {
      'client/index.html': PAGE,
      'client/_astro/page.js': 'console.log(1)',
      'client/favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
      'server/entry.mjs': FAKE_ENTRY,
    };
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(siteDir, name)), { recursive: true });
      await writeFile(path.join(siteDir, name), content);
    }
    // Jobs stay queued, so that a second poll finds the same version (a 304).
    server = await startServer({ config: { apiOnly: false, siteDir }, jobLimits: { queuedMs: 60_000 } });
  });
  after(async () => {
    await server.stop();
    await rm(siteDir, { recursive: true, force: true });
  });

  it('gives a page a policy that runs only its own files and the exact inline scripts it was built with', async () => {
    const response = await get('/');
    await response.text();
    const policy = directives(response.headers.get('content-security-policy'));
    const scripts = policy.get('script-src') ?? [];
    assert.deepEqual(
      scripts.filter((source) => source.startsWith("'sha256-")).sort(),
      [sha256(THEME), sha256(ISLAND)].sort(),
      'one hash per inline script that runs; none for the JSON data block',
    );
    assert.ok(scripts.includes("'self'"));
    assert.ok(!scripts.includes("'unsafe-inline'") && !scripts.includes("'unsafe-eval'"), scripts.join(' '));
    assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
    assert.deepEqual(policy.get('object-src'), ["'none'"]);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('referrer-policy'), 'same-origin');
    assert.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.match(response.headers.get('permissions-policy') ?? '', /camera=\(\)/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  });

  it('gives the 404 page the same policy', async () => {
    const page = await get('/');
    await page.text();
    const missing = await get('/no/such/page');
    assert.equal(missing.status, 404);
    await missing.text();
    assert.equal(missing.headers.get('content-security-policy'), page.headers.get('content-security-policy'));
    assert.equal(missing.headers.get('x-frame-options'), 'DENY');
  });

  it('leaves scripts unrestricted (a worker takes its policy from its own answer) and locks SVG files down', async () => {
    const script = await get('/_astro/page.js');
    await script.text();
    assert.equal(script.headers.get('content-security-policy'), null);
    assert.equal(script.headers.get('x-content-type-options'), 'nosniff');
    const svg = await get('/favicon.svg');
    await svg.text();
    assert.equal(svg.headers.get('content-security-policy'), API_POLICY);
  });

  it('gives API answers and problems the short policy, and a 304 or 204 none of it', async () => {
    const health = await get('/healthz');
    await health.text();
    assert.equal(health.headers.get('content-security-policy'), API_POLICY);
    assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(health.headers.get('x-frame-options'), null, 'the page headers stay on pages');

    const problem = await get('/api/jobs/nope');
    assert.equal(problem.status, 404);
    await problem.text();
    assert.equal(problem.headers.get('content-security-policy'), API_POLICY);

    const started = await get('/api/jobs', { method: 'POST' });
    const { id } = (await started.json()) as { id: string };
    const first = await get(`/api/jobs/${id}`);
    await first.text();
    assert.equal(first.headers.get('content-security-policy'), API_POLICY);
    const unchanged = await get(`/api/jobs/${id}`, { headers: { 'If-None-Match': first.headers.get('etag') ?? '' } });
    assert.equal(unchanged.status, 304);
    assert.equal(unchanged.headers.get('content-security-policy'), null);
    assert.equal(unchanged.headers.get('x-content-type-options'), null);

    const empty = await get('/api/long-poll/csp-quiet?cursor=0&timeout=0');
    assert.equal(empty.status, 204);
    assert.equal(empty.headers.get('content-security-policy'), null);
  });

  it('gives a 304 of a page none of the body headers either: the browser keeps those it stored', async () => {
    const page = await get('/');
    await page.text();
    const again = await get('/', { headers: { 'If-None-Match': page.headers.get('etag') ?? '' } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('content-security-policy'), null);
  });
});
