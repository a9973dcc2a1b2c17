import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { readConfig } from '../../server/config.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

// The real `astro build` output, when there is one. The lead's e2e tests cover the
// pages themselves; this checks that the companion server mounts the build correctly.
const { siteDir } = readConfig({ SITE_DIR: process.env.SITE_DIR });
const built = existsSync(`${siteDir}/server/entry.mjs`);

describe('the built workbook site', { skip: built ? false : `no build in ${siteDir}: run \`npm run build\` first` }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ config: { apiOnly: false, siteDir } });
  });
  after(() => server?.stop());

  it('serves the home page as HTML that revalidates', async () => {
    const response = await fetch(`${server.baseUrl}/`);
    const html = await response.text();
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html, /<html/i);
  });

  it('serves the hashed assets the home page links, cached for a year', async () => {
    const html = await (await fetch(`${server.baseUrl}/`)).text();
    const asset = html.match(/(?:href|src)="(\/_astro\/[^"]+)"/)?.[1];
    if (!asset) return; // a page with everything inlined links no asset
    const response = await fetch(`${server.baseUrl}${asset}`);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  });

  it('answers an unknown page with a 404 HTML page', async () => {
    const response = await fetch(`${server.baseUrl}/this/page/does/not/exist`);
    const html = await response.text();
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html, /<html/i);
  });

  it('serves the API beside the site', async () => {
    const response = await fetch(`${server.baseUrl}/readyz`);
    assert.deepEqual(await response.json(), { ready: true });
  });
});
