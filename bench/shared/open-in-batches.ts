/** Connections opened at once: thousands of simultaneous SYNs would overflow the server's listen backlog. */
const BATCH = 250;

/** Opens `count` connections with `open`, {@link BATCH} at a time, each batch once the last is open. */
export async function openInBatches<T>(count: number, open: () => Promise<T>): Promise<T[]> {
  const opened: T[] = [];
  while (opened.length < count) {
    const batch = Math.min(BATCH, count - opened.length);
    opened.push(...(await Promise.all(Array.from({ length: batch }, open))));
  }
  return opened;
}
