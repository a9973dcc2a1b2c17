import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { READY_STATE, type EventSourceLike, type SseClient } from '../../../src/widgets/sse/client.ts';
import {
  EXPERIMENT_STREAMS,
  HTTP1_CONNECTIONS_PER_HOST,
  STALL_AFTER_MS,
  createConnectionLimitModel,
  type ConnectionLimitModel,
} from '../../../src/widgets/sse/connection-limit.ts';
import { settle } from '../support/fake-time.ts';

/**
 * A fake browser with the HTTP/1.1 rule: at most 6 streams open at once; the
 * others wait, first come first served, until one closes.
 */
class FakeBrowser {
  readonly sources: FakeSource[] = [];
  limit = HTTP1_CONNECTIONS_PER_HOST;

  readonly client: Pick<SseClient, 'streamUrl' | 'openEventSource'> = {
    streamUrl: (channel) => `http://server.test/api/sse/${channel}`,
    openEventSource: (url) => {
      const source = new FakeSource(url, this);
      this.sources.push(source);
      queueMicrotask(() => this.grant());
      return source;
    },
  };

  /** Opens waiting streams while connections are free (the server answers at once). */
  grant(): void {
    for (const source of this.sources) {
      const busy = this.sources.filter((item) => item.readyState === READY_STATE.open).length;
      if (busy >= this.limit) return;
      if (source.readyState === READY_STATE.connecting) source.open();
    }
  }
}

class FakeSource implements EventSourceLike {
  readyState: number = READY_STATE.connecting;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent<string>) => void) | null = null;
  readonly url: string;
  readonly #browser: FakeBrowser;

  constructor(url: string, browser: FakeBrowser) {
    this.url = url;
    this.#browser = browser;
  }

  addEventListener(): void {}

  open(): void {
    this.readyState = READY_STATE.open;
    this.onopen?.(new Event('open'));
  }

  close(): void {
    this.readyState = READY_STATE.closed;
    queueMicrotask(() => this.#browser.grant());
  }
}

describe('the 6-connection experiment', () => {
  let browser: FakeBrowser;
  let model: ConnectionLimitModel;
  let demo: string[];

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5_000 });
    browser = new FakeBrowser();
    demo = [];
    model = createConnectionLimitModel(browser.client, undefined, {
      pauseDemo: () => demo.push('pause'),
      resumeDemo: () => demo.push('resume'),
    });
  });

  afterEach(() => {
    model.dispose();
    mock.timers.reset();
  });

  const states = () => model.rows.value.map((row) => row.state).join(' ');

  it('pauses the demo’s streams first, then opens 7 streams on their own channels', async () => {
    model.start('sse-abc');
    assert.deepEqual(demo, ['pause']);
    assert.equal(browser.sources.length, EXPERIMENT_STREAMS);
    assert.deepEqual(
      browser.sources.map((source) => source.url.split('/').at(-1)),
      ['sse-abc-x1', 'sse-abc-x2', 'sse-abc-x3', 'sse-abc-x4', 'sse-abc-x5', 'sse-abc-x6', 'sse-abc-x7'],
    );
    await settle();
    assert.equal(states(), 'open open open open open open connecting');
  });

  it('shows the 7th as stalled, then open once another is closed', async () => {
    model.start('sse-abc');
    mock.timers.tick(12);
    await settle();
    assert.equal(model.rows.value[0]!.openedAt! - model.rows.value[0]!.startedAt, 12, 'open after 12 ms');
    mock.timers.tick(STALL_AFTER_MS);
    assert.equal(states(), 'open open open open open open stalled');
    assert.equal(model.stalledCount.value, 1);

    model.closeOne();
    await settle();
    assert.equal(states(), 'closed open open open open open open');
    const seventh = model.rows.value[6]!;
    assert.equal(seventh.openedAfterClosing, 1);
    assert.equal(seventh.openedAt! - seventh.startedAt, 12 + STALL_AFTER_MS);
  });

  it('opens all 7 at once when the browser has room (HTTP/2)', async () => {
    browser.limit = 100;
    model.start('sse-abc');
    await settle();
    mock.timers.tick(STALL_AFTER_MS);
    assert.equal(model.openCount.value, 7);
    assert.equal(model.stalledCount.value, 0);
  });

  it('closes every stream and resumes the demo on “Stop experiment”', async () => {
    model.start('sse-abc');
    await settle();
    model.stop();
    assert.equal(
      browser.sources.every((source) => source.readyState === READY_STATE.closed),
      true,
    );
    assert.equal(model.running.value, false);
    assert.deepEqual(demo, ['pause', 'resume']);
    mock.timers.tick(STALL_AFTER_MS);
    assert.equal(states(), 'closed closed closed closed closed closed closed', 'no timer brings a row back');
  });

  it('does not call a stream stalled when the server could not be reached', async () => {
    browser.limit = 0;
    model.start('sse-abc');
    const seventh = browser.sources[6]!;
    seventh.onerror?.(new Event('error')); // readyState stays CONNECTING: the browser retries
    mock.timers.tick(STALL_AFTER_MS);
    assert.equal(model.rows.value[6]!.state, 'connecting');
    assert.equal(model.rows.value[6]!.failed, true);
    assert.equal(model.rows.value[0]!.state, 'stalled');
  });

  it('on unmount closes everything without resuming anything', async () => {
    model.start('sse-abc');
    await settle();
    model.dispose();
    assert.equal(
      browser.sources.every((source) => source.readyState === READY_STATE.closed),
      true,
    );
    assert.deepEqual(demo, ['pause']);
  });
});
