// #region client
export interface Message {
  id: number;
  text: string;
}

/** Receives every message after `after`, in order, until the signal aborts. */
export async function receiveMessages(url: string, show: (message: Message) => void, signal: AbortSignal, after = 0): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const response = await fetch(`${url}?after=${after}`, { signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      failures = 0;
      // 204: the server held the request and nothing came. Ask again at once.
      if (response.status === 204) continue;
      for (const message of (await response.json()) as Message[]) {
        show(message);
        after = message.id; // the cursor: the next request asks for what came after
      }
    } catch {
      if (signal.aborted) return;
      // Back off after a failure, with jitter, so a restarted server isn't hit by everyone at once.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(30_000, 1000 * 2 ** failures++)));
    }
  }
}
// #endregion client
