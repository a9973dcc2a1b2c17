/**
 * Reading offline: registers the service worker (public/sw.js), which keeps
 * the lessons and assets already visited, and marks the page while the
 * browser is offline (`data-offline` on <html>), so that every live widget
 * says it needs the server (src/styles/offline.css) instead of failing
 * without a word.
 */
export function startOfflineSupport(): void {
  // Not under `astro dev`: a worker caching Vite's modules would serve stale code while editing.
  if ('serviceWorker' in navigator && import.meta.env.PROD) {
    navigator.serviceWorker.register('/sw.js').catch(() => {
      // No worker (a private window, storage blocked): the site still works online.
    });
  }
  const mark = () => document.documentElement.toggleAttribute('data-offline', !navigator.onLine);
  addEventListener('online', mark);
  addEventListener('offline', mark);
  mark();
}
