/**
 * The client side of bench/allocations.ts, in its own process so that its
 * allocations are not counted: opens the subscribers, says `ready`, then on
 * `go` publishes the events one at a time (each once every subscriber has
 * the last) and says `done`.
 *
 *   node bench/allocations/subscribers.ts <baseUrl> <transport> <subscribers> <events>
 */
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { subscribe, type Transport } from '../fanout/subscribers.ts';
import { openInBatches } from '../shared/open-in-batches.ts';

const [baseUrl = '', transport = 'long-poll', count = '1000', events = '40'] = process.argv.slice(2);
// A channel of this run's own: with Redis, an earlier run's events are still in the shared log.
const CHANNEL = `bench-allocations-${process.pid}`;

let delivered = 0;
let wanted = 0;
let allArrived = () => {};
const onEvent = () => {
  delivered += 1;
  if (delivered === wanted) allArrived();
};

const subscribers = await openInBatches(Number(count), () => subscribe(transport as Transport, baseUrl, CHANNEL, onEvent));
process.send?.('ready');
await new Promise((resolve) => process.once('message', resolve));

for (let seq = 1; seq <= Number(events); seq += 1) {
  wanted = seq * Number(count);
  const arrived = new Promise<void>((resolve) => (allArrived = resolve));
  const response = await fetch(`${baseUrl}${apiRoutes.channelEvents.path({ channel: CHANNEL })}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'chat', data: { seq, text: 'x'.repeat(140) } }),
  });
  await response.arrayBuffer();
  await arrived;
}
process.send?.('done');
for (const subscriber of subscribers) subscriber.close();
process.exit(0);
