import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Renders a page request: on-demand pages, and the 404 page for everything else. */
export type PageRenderer = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** The handler `@astrojs/node` exports from `dist/server/entry.mjs` in `mode: 'middleware'`. */
type AstroMiddleware = (request: IncomingMessage, response: ServerResponse, next?: () => void) => Promise<void>;

/** The Astro site as the companion server sees it. */
export interface AstroSite {
  /** Renders pages; when the site is not built, answers 503 telling how to build it. */
  render: PageRenderer;
  /** Whether `dist/server/entry.mjs` was found and loaded. */
  built: boolean;
}

/** The command that builds the site, as the README says it. */
const BUILD_HINT = 'Run `npm run build` (or `npm start`, which builds and then serves).';

/**
 * Loads the Astro server entry built by `astro build` with `@astrojs/node` in
 * `mode: 'middleware'`.
 *
 * The handler is called **without** `next`: for a URL no route matches,
 * `@astrojs/node` then renders the site's 404 page (the prerendered
 * `404.html`, or Astro's own) with status 404. With a `next` it would hand
 * the request back instead (`serve-app.js` in @astrojs/node 11).
 *
 * @param siteDir the build output, holding `server/entry.mjs` and `client/`.
 * @param warn where to print why the site cannot be served.
 */
export async function loadAstroSite(siteDir: string, warn: (message: string) => void): Promise<AstroSite> {
  const entry = path.join(siteDir, 'server', 'entry.mjs');
  if (!existsSync(entry)) {
    warn(`The site is not built: ${entry} is missing. ${BUILD_HINT} The API works meanwhile; pages answer 503.`);
    return { render: answerSiteNotBuilt(entry), built: false };
  }
  const module = (await import(pathToFileURL(entry).href)) as { handler?: unknown };
  if (typeof module.handler !== 'function') {
    throw new Error(`${entry} exports no handler: build with @astrojs/node in mode 'middleware' (see astro.config.mjs).`);
  }
  const handler = module.handler as AstroMiddleware;
  return { render: (request, response) => handler(request, response), built: true };
}

function answerSiteNotBuilt(entry: string): PageRenderer {
  const body = `The Realtime Workbook site is not built yet (${entry} is missing).\n${BUILD_HINT}\n`;
  return (_request, response) => {
    response.writeHead(503, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    response.end(body);
  };
}
