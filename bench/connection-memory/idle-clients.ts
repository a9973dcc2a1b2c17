/**
 * The client side of bench/connection-memory.ts, in a process of its own so
 * that its memory is not the server's. It reads commands on stdin, one a line,
 * and answers each on stdout once done:
 *
 *   open <sse|websocket> <count> <baseUrl> <channel>   → opened <count>
 *   close                                              → closed
 *
 * Each connection is opened as bench/fanout.ts opens it (bench/fanout/subscribers.ts):
 * an SSE stream whose first chunk has arrived, a WebSocket whose `subscribed`
 * has arrived. They stay idle until `close`.
 */
import { createInterface } from 'node:readline';
import { subscribe, type Subscriber, type Transport } from '../fanout/subscribers.ts';
import { openInBatches } from '../shared/open-in-batches.ts';

const open: Subscriber[] = [];

for await (const line of createInterface({ input: process.stdin })) {
  const [command, transport, count, baseUrl, channel] = line.split(' ');
  if (command === 'open') {
    open.push(...(await openInBatches(Number(count), () => subscribe(transport as Transport, baseUrl!, channel!, () => {}))));
    console.log(`opened ${count}`);
  } else if (command === 'close') {
    for (const subscriber of open.splice(0)) subscriber.close();
    console.log('closed');
  }
}
