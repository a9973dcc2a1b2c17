import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signal } from '@preact/signals';
import {
  BROADCAST_EVENT_TYPE,
  WORKSHOP_LIMITS,
  type HostSnapshot,
  type Membership,
  type MemberView,
} from '../../src/protocol/workshops.ts';
import { ApiError } from '../../src/widgets/shared/http.ts';
import { newTrack, track } from '../../src/widgets/sse/build-tracker.ts';
import { toFeedItem } from '../../src/widgets/long-polling/feed-items.ts';
import { broadcastLine, demoBroadcastOf } from '../../src/widgets/shared/workshop-broadcast.ts';
import { demoChannels, registerDemoChannel } from '../../src/widgets/shared/demo-channels.ts';
import type { WorkshopClient } from '../../src/workshops/client.ts';
import { createHostModel, type HostEventSource } from '../../src/workshops/host-model.ts';
import {
  completionCounts,
  countRoster,
  quizTallies,
  raisedHands,
  rosterOf,
  withBroadcast,
  withMember,
} from '../../src/workshops/host-state.ts';
import { createLearnerModel, type LearnerEventSource } from '../../src/workshops/learner-model.ts';
import { fromMembership, readMembership, shouldPrompt, MEMBERSHIP_KEY, type StoredMembership } from '../../src/workshops/membership.ts';
import { qrPath, QUIET_ZONE } from '../../src/workshops/qr-path.ts';
import { cleanName, codeProblem, nameProblem, titleProblem } from '../../src/workshops/validation.ts';

function member(id: string, overrides: Partial<MemberView> = {}): MemberView {
  return {
    id,
    name: id.toUpperCase(),
    joinedAt: 1,
    leftAt: null,
    online: true,
    lastSeenAt: 1,
    lesson: null,
    completed: {},
    verified: {},
    quiz: null,
    doneAt: null,
    ...overrides,
  };
}

/** A fake EventSource the test feeds by hand. */
class FakeSource implements HostEventSource, LearnerEventSource {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  readonly #listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  emit(type: string, data: unknown, id: string): void {
    const event = new MessageEvent<string>(type, { data: JSON.stringify(data), lastEventId: id });
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('workshop broadcasts in the demos', () => {
  it('recognizes a broadcast event, from text or parsed data, and nothing else', () => {
    const data = { workshop: 'Friday class', text: 'Kill it now' };
    assert.deepEqual(demoBroadcastOf(BROADCAST_EVENT_TYPE, JSON.stringify(data)), data);
    assert.deepEqual(demoBroadcastOf(BROADCAST_EVENT_TYPE, data), data);
    assert.equal(demoBroadcastOf('notification', data), null);
    assert.equal(demoBroadcastOf(BROADCAST_EVENT_TYPE, '{not json'), null);
    assert.equal(demoBroadcastOf(BROADCAST_EVENT_TYPE, { workshop: 'x' }), null);
    assert.equal(broadcastLine(data), 'From Friday class: Kill it now');
  });

  it('the long-polling feed calls a broadcast out', () => {
    const item = toFeedItem({ id: 7, type: BROADCAST_EVENT_TYPE, data: { workshop: 'W', text: 'hello' }, ts: 1 }, 0, 2, 3, false);
    assert.equal(item.broadcast, true);
    assert.equal(item.text, 'From W: hello');
    const plain = toFeedItem({ id: 8, type: 'notification', data: { text: 'Build passed' }, ts: 1 }, 0, 2, 3, false);
    assert.equal(plain.broadcast, false);
    assert.equal(plain.text, 'Build passed');
  });

  it('a broadcast in the middle of a build leaves no gap in the SSE exercise', () => {
    let state = newTrack(10);
    state = track(state, { type: 'log', data: 'line 1', lastEventId: '11' });
    state = track(state, { type: BROADCAST_EVENT_TYPE, data: JSON.stringify({ workshop: 'W', text: 't' }), lastEventId: '12' });
    state = track(state, { type: 'log', data: 'line 2', lastEventId: '13' });
    assert.deepEqual(state.gaps, []);
    assert.equal(state.received, 2);
  });

  it('registers each valid demo channel once', () => {
    const before = demoChannels.value.length;
    registerDemoChannel('sse-abc12345');
    registerDemoChannel('sse-abc12345');
    registerDemoChannel('not valid!');
    assert.equal(demoChannels.value.length, before + 1);
    assert.ok(demoChannels.value.includes('sse-abc12345'));
  });
});

describe('join and create forms', () => {
  it('checks names like the server', () => {
    assert.equal(cleanName('  Ada   Lovelace '), 'Ada Lovelace');
    assert.equal(nameProblem('Ada'), null);
    assert.match(nameProblem('   ')!, /Enter/);
    assert.match(nameProblem('<b>x</b>')!, /plain text/);
    assert.match(nameProblem('a\u0007b')!, /plain text/);
    // A pasted tab is refused here as on the server, not collapsed into a space first.
    assert.match(nameProblem('Ada\tLovelace')!, /plain text/);
    assert.equal(nameProblem('é'.repeat(WORKSHOP_LIMITS.maxNameLength)), null);
    assert.match(nameProblem('x'.repeat(WORKSHOP_LIMITS.maxNameLength + 1))!, /at most/);
  });

  it('checks codes and titles', () => {
    assert.equal(codeProblem('k7q-x2m'), null);
    assert.match(codeProblem('K7QX2O')!, /6 letters/);
    assert.match(codeProblem('')!, /Enter/);
    assert.equal(titleProblem('Friday'), null);
    assert.match(titleProblem(' ')!, /title/);
    assert.match(titleProblem('t'.repeat(WORKSHOP_LIMITS.maxTitleLength + 1))!, /at most/);
  });
});

describe('the stored membership', () => {
  const storage = (text: string | null) => ({
    getItem: (key: string) => (key === MEMBERSHIP_KEY ? text : null),
    setItem: () => {},
    removeItem: () => {},
  });

  it('reads a valid entry and refuses anything else', () => {
    const entry: StoredMembership = { code: 'K7QX2M', title: 'T', memberId: 'm1', name: 'Ada', focusAckAt: 5 };
    assert.deepEqual(readMembership(storage(JSON.stringify(entry))), entry);
    assert.equal(readMembership(storage('{oops')), null);
    assert.equal(readMembership(storage(JSON.stringify({ ...entry, code: 'bad' }))), null);
    assert.equal(readMembership(storage(null)), null);
  });

  it('keeps the acknowledged focus of the same workshop only', () => {
    const answer: Membership = {
      workshop: { code: 'K7QX2M', title: 'T', state: 'open', focus: null },
      member: { id: 'm1', name: 'Ada', joinedAt: 1, doneAt: null },
    };
    assert.equal(fromMembership(answer, { code: 'K7QX2M', title: 'T', memberId: 'm1', name: 'Ada', focusAckAt: 9 }).focusAckAt, 9);
    assert.equal(fromMembership(answer, { code: 'ABCDEF', title: 'T', memberId: 'm1', name: 'Ada', focusAckAt: 9 }).focusAckAt, undefined);
  });

  it('prompts for a focus newer than the last answered, unless the reader is there', () => {
    const focus = { lesson: 'server-sent-events', at: 10 };
    assert.equal(shouldPrompt(null, undefined, null), false);
    assert.equal(shouldPrompt(focus, undefined, null), true);
    assert.equal(shouldPrompt(focus, 10, null), false);
    assert.equal(shouldPrompt(focus, 9, 'long-polling'), true);
    assert.equal(shouldPrompt(focus, 9, 'server-sent-events'), false);
  });
});

describe('the host dashboard state', () => {
  it('replaces a member by id and keeps the others as they were', () => {
    const a = member('a', { joinedAt: 2 });
    const b = member('b', { joinedAt: 1 });
    const roster = rosterOf([a, b]);
    assert.deepEqual([...roster.keys()], ['b', 'a']);
    const next = withMember(roster, { ...a, doneAt: 5 });
    assert.equal(next.get('b'), b);
    assert.equal(next.get('a')!.doneAt, 5);
    assert.deepEqual([...withMember(next, member('c')).keys()], ['b', 'a', 'c']);
  });

  it('counts presence and hands, leaving out members who left', () => {
    const roster = rosterOf([
      member('a', { doneAt: 3 }),
      member('b', { online: false, doneAt: 2, joinedAt: 2 }),
      member('c', { leftAt: 4, doneAt: 1, joinedAt: 3 }),
    ]);
    assert.deepEqual(countRoster(roster), { present: 2, online: 1, done: 2, left: 1 });
    assert.deepEqual(
      raisedHands(roster).map((m) => m.id),
      ['b', 'a'],
    );
  });

  it('tallies completions and quiz picks', () => {
    const roster = rosterOf([
      member('a', {
        completed: { 'why-real-time': 1 },
        quiz: { at: 1, score: 1, points: 1, total: 2, answers: { s1: 'sse', s2: 'websocket' } },
      }),
      member('b', {
        completed: { 'why-real-time': 1, 'short-polling': 2 },
        quiz: { at: 1, score: 0, points: 0, total: 2, answers: { s1: 'sse', s2: 'nonsense' } },
      }),
    ]);
    assert.deepEqual(completionCounts(roster, ['why-real-time', 'short-polling', 'long-polling']), {
      'why-real-time': 2,
      'short-polling': 1,
      'long-polling': 0,
    });
    const [s1, s2] = quizTallies(roster, ['s1', 's2']);
    assert.equal(s1!.counts.sse, 2);
    assert.equal(s1!.answered, 2);
    assert.equal(s2!.counts.websocket, 1);
    assert.equal(s2!.answered, 1);
  });

  it('keeps the broadcast log newest first, without repeats', () => {
    const one = { text: 'one', at: 1, members: 1, channels: 1 };
    const two = { text: 'two', at: 2, members: 1, channels: 1 };
    assert.deepEqual(withBroadcast(withBroadcast([one], two), two), [two, one]);
  });

  it('draws a QR code with its quiet zone', () => {
    const { size, d } = qrPath('http://192.168.1.20:4321/?join=K7QX2M');
    assert.ok(size >= 21 + 2 * QUIET_ZONE);
    assert.match(d, /^M\d+ \d+h1v1h-1z/);
    assert.deepEqual(qrPath('same'), qrPath('same'));
  });
});

/** A client whose every call the test scripts. */
function fakeClient(overrides: Partial<WorkshopClient>): WorkshopClient {
  const missing = () => Promise.reject(new Error('not scripted'));
  return {
    create: missing,
    workshop: missing,
    join: missing,
    me: missing,
    leave: missing,
    heartbeat: () => Promise.resolve(),
    setDone: missing,
    startHostSession: () => Promise.resolve(),
    snapshot: missing,
    goto: missing,
    broadcast: missing,
    setState: missing,
    learnerStreamUrl: (code, last) => `/learner/${code}?lastEventId=${last ?? ''}`,
    hostStreamUrl: (code, last) => `/host/${code}?lastEventId=${last ?? ''}`,
    ...overrides,
  };
}

describe('the host model', () => {
  it('follows the stream from the snapshot cursor, and refetches the snapshot on reset', async () => {
    const snapshot: HostSnapshot = {
      workshop: { code: 'K7QX2M', title: 'T', state: 'open', createdAt: 1, focus: null, joinUrls: [] },
      members: [member('a')],
      broadcasts: [],
      cursor: 4,
    };
    let snapshots = 0;
    const sources: FakeSource[] = [];
    const model = createHostModel(
      fakeClient({
        snapshot: async () => {
          snapshots++;
          return snapshot;
        },
      }),
      'K7QX2M',
      'secret',
      { openEventSource: (url) => sources[sources.push(new FakeSource(url)) - 1]! },
    );
    await model.start();
    assert.equal(model.phase.value, 'ready');
    assert.equal(sources[0]!.url, '/host/K7QX2M?lastEventId=4');
    sources[0]!.open();
    assert.equal(model.connection.value, 'live');
    sources[0]!.emit('member', member('b', { joinedAt: 5 }), '5');
    assert.equal(model.counts.value.present, 2);
    sources[0]!.emit('reset', {}, '9');
    await flush();
    assert.equal(snapshots, 2);
    assert.equal(sources[0]!.closed, true);
    assert.equal(sources[1]!.url, '/host/K7QX2M?lastEventId=4');
    model.dispose();
  });

  it('shows the server’s reason when the secret is refused', async () => {
    const model = createHostModel(
      fakeClient({ startHostSession: () => Promise.reject(new ApiError('This is not the key of this workshop.', { status: 403 })) }),
      'K7QX2M',
      'wrong',
      { openEventSource: (url) => new FakeSource(url) },
    );
    await model.start();
    assert.equal(model.phase.value, 'refused');
    assert.equal(model.error.value, 'This is not the key of this workshop.');
  });

  it('without a key there is nothing to start', () => {
    assert.equal(createHostModel(fakeClient({}), 'K7QX2M', null).phase.value, 'no-key');
  });
});

describe('the learner model', () => {
  const stored: StoredMembership = { code: 'K7QX2M', title: 'Friday', memberId: 'm1', name: 'Ada' };
  const membership = (focus: Membership['workshop']['focus'], state: Membership['workshop']['state'] = 'open'): Membership => ({
    workshop: { code: 'K7QX2M', title: 'Friday', state, focus },
    member: { id: 'm1', name: 'Ada', joinedAt: 1, doneAt: null },
  });

  function setup(client: Partial<WorkshopClient>, currentLesson: string | null = null) {
    const sources: FakeSource[] = [];
    const saved: { entry: StoredMembership | null } = { entry: null };
    const heartbeats: unknown[] = [];
    const channels = signal<readonly string[]>(['sse-aaaa1111']);
    const lent = signal(false);
    const model = createLearnerModel(
      fakeClient({
        heartbeat: async (_code, heartbeat) => void heartbeats.push(heartbeat),
        ...client,
      }),
      stored,
      {
        currentLesson,
        channels,
        connectionsLent: lent,
        openEventSource: (url) => sources[sources.push(new FakeSource(url)) - 1]!,
        store: { write: (entry) => (saved.entry = entry), clear: () => (saved.entry = null) },
        heartbeatMs: 60_000,
      },
    );
    return { model, sources, saved, heartbeats, channels, lent };
  }

  it('asks to open a focused lesson on load and on "go to", and reports its channels', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { model, sources, saved, heartbeats, channels } = setup(
      { me: async () => membership({ lesson: 'long-polling', at: 5 }) },
      'why-real-time',
    );
    await model.start();
    assert.deepEqual(model.prompt.value, { lesson: 'long-polling', at: 5 });
    model.acknowledge();
    assert.equal(saved.entry?.focusAckAt, 5);
    assert.deepEqual(heartbeats[0], { lesson: 'why-real-time', channels: ['sse-aaaa1111'] });

    channels.value = [...channels.value, 'lp-bbbb2222'];
    t.mock.timers.tick(300);
    await flush();
    assert.deepEqual(heartbeats.at(-1), { lesson: 'why-real-time', channels: ['sse-aaaa1111', 'lp-bbbb2222'] });

    sources[0]!.emit('goto', { lesson: 'server-sent-events', at: 8 }, '3');
    assert.deepEqual(model.prompt.value, { lesson: 'server-sent-events', at: 8 });
    // Already there: no prompt, only the acknowledgement.
    sources[0]!.emit('goto', { lesson: 'why-real-time', at: 9 }, '4');
    assert.equal(model.prompt.value, null);
    assert.equal(saved.entry?.focusAckAt, 9);
    model.dispose();
  });

  it('gives its connection to the six-connection experiment, then resumes after the last event it saw', async (t) => {
    const { model, sources, heartbeats, lent } = setup({ me: async () => membership(null) });
    t.after(() => model.dispose());
    await model.start();
    sources[0]!.emit('goto', { lesson: 'long-polling', at: 3 }, '7');
    const before = heartbeats.length;

    lent.value = true;
    assert.equal(sources[0]!.closed, true);
    // A heartbeat right away: the page is still here, without its stream on purpose.
    assert.equal(heartbeats.length, before + 1);
    assert.equal((heartbeats.at(-1) as { streaming?: boolean }).streaming, false);

    lent.value = false;
    assert.equal(sources.length, 2);
    assert.match(sources[1]!.url, /lastEventId=7/);
  });

  it('ends when the workshop closes, or when the server no longer knows the member', async () => {
    const first = setup({ me: async () => membership(null) });
    first.saved.entry = stored;
    await first.model.start();
    first.sources[0]!.emit('state', { state: 'locked' }, '1');
    assert.equal(first.model.state.value, 'locked');
    first.sources[0]!.emit('state', { state: 'closed' }, '2');
    assert.match(first.model.ended.value!, /has ended/);
    assert.equal(first.saved.entry, null);
    assert.equal(first.sources[0]!.closed, true);

    const second = setup({ me: () => Promise.reject(new ApiError('No such workshop.', { status: 404 })) });
    await second.model.start();
    assert.match(second.model.ended.value!, /has ended/);
    assert.equal(second.sources.length, 0);
  });
});
