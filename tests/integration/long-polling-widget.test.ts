import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ChannelLog } from '../../server/events/channel-log.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';
import { createLongPollingClient } from '../../src/widgets/long-polling/client.ts';
import { createLongPollingModel, type LongPollingModel } from '../../src/widgets/long-polling/model.ts';
import { publishEvent } from './helpers/channel-api.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';

/**
 * The long-polling widget's model, with its real client, against the real
 * server on an ephemeral port: the unit tests drive it against a fake server
 * (tests/unit/widgets/long-polling-model.test.ts); here the cursor, the lost
 * answer and the resets are the server's own.
 */
describe('the long-polling widget against the real server', () => {
  /** The server's log keeps 20 events per channel, so a cursor can fall behind it quickly. */
  const LOG_CAPACITY = 20;
  let server: RunningServer;
  let model: LongPollingModel;
  let channelNumber = 0;

  before(async () => {
    server = await startServer({ bus: new InMemoryEventBus({ log: new ChannelLog({ capacity: LOG_CAPACITY }) }) });
  });
  afterEach(() => model?.dispose());
  after(() => server.stop());

  /** A model on a channel of its own; the backoff's jitter draws 0, so a retry goes at once. */
  function makeModel(onExerciseComplete?: () => void): LongPollingModel {
    model = createLongPollingModel(createLongPollingClient({ baseUrl: server.baseUrl }), undefined, {
      random: () => 0,
      onExerciseComplete,
    });
    model.channel.value = `lp-widget-${(channelNumber += 1)}`;
    return model;
  }
  const channel = () => model.channel.value!;
  const held = () => waitUntil(() => server.app.heldPolls(channel()) === 1, 'the server holds the model’s request');
  const feedTexts = () => model.feed.value.map((item) => item.text);

  it('moves the cursor to the id the server gave, and asks after it next', async () => {
    makeModel();
    model.start();
    await held();
    await model.send('Hello');
    await waitUntil(() => model.feed.value.length === 1, 'the feed shows the notification');
    const [item] = model.feed.value;
    assert.equal(item!.text, 'Hello');
    assert.equal(model.cursor.value, item!.id);
    await waitUntil(() => model.requests.value.length === 2, 'the next request is sent');
    const [first, second] = model.requests.value;
    assert.equal(first!.outcome, 'events');
    assert.equal(first!.status, 200);
    assert.equal(first!.nextCursor, item!.id);
    assert.equal(second!.cursor, item!.id, 'the next request sends the new cursor');
    await waitUntil(() => model.publishes.value[0]?.status === 'received', 'the publish is marked received');
    assert.equal(model.verification.value.text, 'Sent 1 · received 1 · lost 0 · duplicates dropped 0');
    assert.ok(model.stats.value.bytes > model.stats.value.bodyBytes, 'headers are counted too');
  });

  it('recovers a dropped answer through the same cursor: every notification once, and the exercise passes', async () => {
    let completed = 0;
    makeModel(() => (completed += 1));
    model.start();
    await held();
    await model.send('before');
    await waitUntil(() => model.cursor.value === 1, 'the first notification arrives');

    await model.loseNextResponse();
    assert.equal(model.faults.value.lossArmed, true);
    await held();
    await model.send('lost once');
    await waitUntil(() => model.requests.value.some((record) => record.recovered), 'a retry recovers the lost answer');

    const lost = model.requests.value.find((record) => record.outcome === 'lost')!;
    assert.equal(lost.cursor, 1);
    const retry = model.requests.value.find((record) => record.seq === lost.seq + 1)!;
    assert.equal(retry.cursor, 1, 'the retry sends the same cursor');
    assert.equal(retry.outcome, 'events');
    assert.equal(model.faults.value.lossArmed, false);
    assert.deepEqual(feedTexts(), ['lost once', 'before']);
    await waitUntil(() => model.verification.value.received === 2, 'both publishes are marked received');
    assert.equal(model.verification.value.text, 'Sent 2 · received 2 · lost 0 · duplicates dropped 0');
    assert.equal(model.exercise.value.passed, true);
    assert.equal(completed, 1);
  });

  it('says reset and counts the gap when the cursor fell behind the server’s log', async () => {
    makeModel();
    for (let n = 1; n <= LOG_CAPACITY + 5; n += 1) await publishEvent(server.baseUrl, channel(), 'notification', { text: `n${n}` });
    model.resumeFrom(2);
    model.start();
    await waitUntil(() => model.requests.value[0]?.outcome === 'events', 'the first answer arrives');
    const [first] = model.requests.value;
    assert.equal(first!.reset, true);
    assert.equal(first!.gap, 3, 'events 3 to 5 left the log before the feed could read them');
    assert.equal(model.feed.value.at(-1)!.id, 6, 'the oldest event the log still has');
    assert.match(model.status.value, /3 events left the server’s log before the feed could read them/);
  });

  it('starts the feed over when the server no longer knows the cursor (its ids began again)', async () => {
    makeModel();
    await publishEvent(server.baseUrl, channel(), 'notification', { text: 'after the restart' });
    const said: string[] = [];
    const unsubscribe = model.status.subscribe((text) => said.push(text));
    // A cursor saved before a restart: ahead of everything this server's log has.
    model.resumeFrom(50);
    model.start();
    await waitUntil(() => model.feed.value.length === 1, 'the feed shows the server’s event');
    unsubscribe();
    const [first, second] = model.requests.value;
    assert.equal(first!.reset, true);
    assert.equal(first!.nextCursor, 0, 'the feed starts over from the log’s beginning');
    assert.equal(second!.cursor, 0);
    assert.ok(
      said.some((text) => /no longer knows cursor 50: it restarted/.test(text)),
      said.join('\n'),
    );
    assert.equal(model.cursor.value, 1);
    assert.deepEqual(feedTexts(), ['after the restart']);
    assert.equal(model.stats.value.duplicates, 0, 'id 1 is new, not a duplicate of an id below 50');
  });

  it('stop() aborts the held request, and the server lets it go', async () => {
    makeModel();
    model.start();
    await held();
    model.stop();
    await waitUntil(() => server.app.heldPolls(channel()) === 0, 'the server releases the poll');
    assert.equal(model.requests.value[0]!.outcome, 'cancelled');
    assert.equal(model.phase.value, 'stopped');
  });
});
