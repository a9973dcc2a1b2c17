import { createConnection, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A port free on 127.0.0.1 now (another process could take it before the caller does; rare enough for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once a server on `port` of 127.0.0.1 accepts a connection — and,
 * with `hello`, answers it with something matching `answer` (e.g. Redis's
 * `PING` → `+PONG`, which it gives only once its data is loaded).
 */
export async function untilAnswering(port: number, what: string, probe?: { hello: string; answer: RegExp }): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('error', () => resolve(false));
      socket.once('connect', () => {
        if (!probe) {
          socket.destroy();
          resolve(true);
          return;
        }
        socket.write(probe.hello);
        socket.once('data', (data) => {
          socket.destroy();
          resolve(probe.answer.test(data.toString()));
        });
      });
    });
    if (ok) return;
    await delay(25);
  }
  throw new Error(`${what} did not answer on port ${port}`);
}
