import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { precompressDirectory } from '../../src/build/precompress.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

/**
 * A stand-in for `astro build` output: files in client/, and a
 * server/entry.mjs whose handler behaves like @astrojs/node's middleware
 * called without `next` — it renders a known on-demand page, and a 404 page
 * for anything else.
 */
const FAKE_ENTRY = `
export async function handler(request, response, next) {
  const called = next === undefined ? 'without next' : 'with next';
  if (request.url === '/live') {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end('<h1>rendered on demand ' + called + '</h1>');
    return;
  }
  response.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end('<h1>custom 404 ' + called + '</h1>');
}
`;

const files: Record<string, string> = {
  'client/index.html': '<h1>home</h1>',
  'client/lessons/index.html': '<h1>lessons</h1>',
  'client/lessons/short-polling/index.html': '<h1>short polling</h1>',
  'client/about.html': '<h1>about</h1>',
  'client/_astro/app.3f2a1b.js': 'console.log(1)',
  'client/_astro/style.9c8d.css': 'h1{color:red}',
  'client/_astro/big.77aa.js': `export const words = "${'poll, push, stream, '.repeat(200)}";`,
  'client/favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'client/manifest.webmanifest': '{}',
  'client/.secret': 'hidden',
  'server/entry.mjs': FAKE_ENTRY,
  'secret.txt': 'outside the client directory',
};

/** GET exactly `rawPath` (fetch would normalize `..` away and decompress bodies before we see them). */
function getRaw(
  baseUrl: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; body: Buffer; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}/`, { path: rawPath, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, text: body.toString('utf8'), body, headers: response.headers });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('serving the built site', () => {
  let siteDir: string;
  let server: RunningServer;
  const get = (pathname: string, init?: RequestInit) => fetch(`${server.baseUrl}${pathname}`, init);

  before(async () => {
    siteDir = await mkdtemp(path.join(tmpdir(), 'workbook-site-'));
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(siteDir, name)), { recursive: true });
      await writeFile(path.join(siteDir, name), content);
    }
    // What the build does last: a .gz beside each text file worth compressing.
    await precompressDirectory(path.join(siteDir, 'client'));
    server = await startServer({ config: { apiOnly: false, siteDir } });
  });
  after(async () => {
    await server.stop();
    await rm(siteDir, { recursive: true, force: true });
  });

  it('serves pages by their clean URLs, with or without a trailing slash', async () => {
    for (const [pathname, heading] of [
      ['/', 'home'],
      ['/lessons/', 'lessons'],
      ['/lessons', 'lessons'],
      ['/lessons/short-polling/', 'short polling'],
      ['/about', 'about'],
      ['/about.html', 'about'],
    ]) {
      const response = await get(pathname!);
      assert.equal(response.status, 200, pathname);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      assert.equal(await response.text(), `<h1>${heading}</h1>`);
    }
  });

  it('caches hashed /_astro/ assets for a year and gives every file its type', async () => {
    const script = await get('/_astro/app.3f2a1b.js');
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    await script.arrayBuffer();

    for (const [pathname, type] of [
      ['/_astro/style.9c8d.css', 'text/css; charset=utf-8'],
      ['/favicon.svg', 'image/svg+xml'],
      ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8'],
    ]) {
      const response = await get(pathname!);
      assert.equal(response.headers.get('content-type'), type, pathname);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      await response.arrayBuffer();
    }
  });

  it('revalidates with ETag and Last-Modified, answering 304 when unchanged', async () => {
    const first = await get('/about');
    await first.arrayBuffer();
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    assert.match(etag, /^W\/".+"$/);

    const byEtag = await get('/about', { headers: { 'If-None-Match': etag } });
    assert.equal(byEtag.status, 304);
    assert.equal(await byEtag.text(), '');
    const byDate = await get('/about', { headers: { 'If-Modified-Since': lastModified } });
    assert.equal(byDate.status, 304);
    await byDate.arrayBuffer();
    const changed = await get('/about', { headers: { 'If-None-Match': '"something-else"' } });
    assert.equal(changed.status, 200);
    await changed.arrayBuffer();
  });

  it('compresses text files with gzip for clients that accept it, with their own ETag', async () => {
    const original = files['client/_astro/big.77aa.js']!;
    const zipped = await getRaw(server.baseUrl, '/_astro/big.77aa.js', { 'Accept-Encoding': 'br;q=1, gzip;q=0.8' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept-Encoding');
    assert.ok(Number(zipped.headers['content-length']) < original.length / 10, 'the repetitive file shrinks');
    assert.equal(gunzipSync(zipped.body).toString(), original);

    const plain = await getRaw(server.baseUrl, '/_astro/big.77aa.js', { 'Accept-Encoding': 'gzip;q=0' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), original);
    assert.notEqual(plain.headers.etag, zipped.headers.etag, 'each coding is its own representation');

    // Tiny files are not worth it.
    const small = await getRaw(server.baseUrl, '/_astro/app.3f2a1b.js', { 'Accept-Encoding': 'gzip' });
    assert.equal(small.headers['content-encoding'], undefined);
  });

  it('answers HEAD with the length and no body', async () => {
    const response = await get('/', { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String('<h1>home</h1>'.length));
    assert.equal(await response.text(), '');
  });

  it('hands on-demand pages to the Astro handler', async () => {
    const response = await get('/live');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '<h1>rendered on demand without next</h1>');
  });

  it('renders the site 404 page for an unknown URL, calling Astro without next', async () => {
    const response = await get('/no/such/page');
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await response.text(), '<h1>custom 404 without next</h1>');
  });

  it('never serves a file outside client/, nor a dot-file', async () => {
    for (const rawPath of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/lessons/..%2f..%2fsecret.txt',
      '/%2e%2e%5csecret.txt',
      '/index.html%00.js',
      '/../server/entry.mjs',
      '/.secret',
    ]) {
      const response = await getRaw(server.baseUrl, rawPath);
      assert.equal(response.status, 404, rawPath);
      assert.doesNotMatch(response.text, /outside the client directory|hidden|export async function/, rawPath);
    }
    // Not percent-encoding at all: the client's mistake, said as such (odd-requests.test.ts).
    const invalid = await getRaw(server.baseUrl, '/%E0%A4%A');
    assert.equal(invalid.status, 400);
    assert.doesNotMatch(invalid.text, /outside the client directory|hidden|export async function/);
  });

  it('keeps answering the API with problems, not pages', async () => {
    const response = await get('/api/nothing');
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    await response.arrayBuffer();
    const health = await get('/healthz');
    assert.equal(health.status, 200);
    await health.arrayBuffer();
  });
});

describe('a site that is not built', () => {
  let siteDir: string;
  let server: RunningServer;

  before(async () => {
    siteDir = await mkdtemp(path.join(tmpdir(), 'workbook-empty-'));
    server = await startServer({ config: { apiOnly: false, siteDir } });
  });
  after(async () => {
    await server.stop();
    await rm(siteDir, { recursive: true, force: true });
  });

  it('answers pages with 503 saying how to build, and says so in the log', async () => {
    const response = await fetch(`${server.baseUrl}/`);
    const text = await response.text();

    assert.equal(response.status, 503);
    assert.equal(response.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(text, /npm run build/);
    assert.match(server.warnings.join('\n'), /npm run build/);
  });

  it('still serves the API', async () => {
    const response = await fetch(`${server.baseUrl}/api/jobs`, { method: 'POST' });
    assert.equal(response.status, 201);
    await response.arrayBuffer();
  });
});
