/*
 * The workbook's service worker: lessons and assets a reader has already
 * visited read offline. It never touches the live parts (/api/, /ws,
 * /healthz, /readyz): a widget offline must fail plainly, not from a cache.
 *
 * - Pages: network first, so an update shows at once; the cached copy only
 *   when the network fails.
 * - Built assets (/_astro/, content-hashed) and the search index: cache
 *   first, since a URL there never changes its content.
 * - Other static files: network first, like pages.
 */
const PAGES = 'rtw-pages-v1';
const ASSETS = 'rtw-assets-v1';
const KEPT = new Set([PAGES, ASSETS]);
// Hashed assets of old builds pile up: keep the newest this many.
const MAX_ASSETS = 400;
const LIVE = /^\/(api\/|ws$|healthz$|readyz$)/;

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (!KEPT.has(name)) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || LIVE.test(url.pathname)) return;
  if (url.pathname.startsWith('/_astro/') || url.pathname.startsWith('/pagefind/')) {
    event.respondWith(cacheFirst(request));
  } else {
    event.respondWith(networkFirst(request));
  }
});

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(ASSETS);
    await cache.put(request, response.clone());
    await trim(cache);
  }
  return response;
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) await (await caches.open(PAGES)).put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(request, { ignoreSearch: request.mode === 'navigate' });
    if (cached) return cached;
    if (request.mode === 'navigate') return offlinePage();
    throw error;
  }
}

async function trim(cache) {
  const keys = await cache.keys();
  // Cache keys come back in insertion order: the oldest go first.
  for (const key of keys.slice(0, Math.max(0, keys.length - MAX_ASSETS))) await cache.delete(key);
}

function offlinePage() {
  const html = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Offline · Realtime Workbook</title>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5">
<h1>You are offline</h1>
<p>This page was not read on this device before, so there is no copy of it here.
Lessons you have opened before still read offline: go <a href="/">home</a> and pick one,
or come back when you are online.</p></body></html>`;
  return new Response(html, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}
