// #region client
export interface Score {
  version: number;
  home: number;
  away: number;
}

/** Asks for the score every `intervalMs` and calls `show` when it changed. Returns a function that stops. */
export function pollScore(url: string, show: (score: Score) => void, intervalMs = 2000): () => void {
  let etag = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function poll(): Promise<void> {
    try {
      const response = await fetch(url, { headers: etag ? { 'If-None-Match': etag } : {} });
      if (response.status === 200 && !stopped) {
        etag = response.headers.get('ETag') ?? '';
        show(await response.json());
      } // 304: our copy is current.
    } catch {
      // Offline, or the server is down: try again next time.
    }
    // Scheduled after the answer, so slow answers never pile up.
    if (!stopped) timer = setTimeout(poll, intervalMs);
  }

  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
// #endregion client
