import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LabTechnique } from '../../src/protocol/lab.ts';
import { summarizeLatency } from '../../src/widgets/lab/latency-stats.ts';
import { RATE_STEPS } from '../../src/widgets/lab/settings.ts';
import { conclusions, tableHtml, tableMarkdown, type LaneRow, type RunDescription } from '../../src/widgets/lab/summary.ts';

const perMinute = RATE_STEPS.find((step) => step.short === '1/min')!;
const twentyPerSecond = RATE_STEPS.find((step) => step.short === '20/s')!;

function row(technique: LabTechnique, fields: Partial<LaneRow> & { latencies?: number[] }): LaneRow {
  return {
    technique,
    received: 0,
    latency: summarizeLatency(fields.latencies ?? []),
    requests: 0,
    empty: technique === 'sse' || technique === 'websocket' ? null : 0,
    bytesUp: 0,
    bytesDown: 0,
    connections: 1,
    ...fields,
  };
}

describe('lab summary', () => {
  // One event a minute for 3 minutes, polling every 5 s.
  const quiet: RunDescription = { rate: perMinute, intervalMs: 5_000, ranMs: 180_000, published: 3, stoppedEarly: false };
  const quietRows = [
    row('short-polling', { received: 3, requests: 36, empty: 33, bytesUp: 18_000, bytesDown: 14_000, latencies: [2_400, 2_600, 1_900] }),
    row('short-polling-etag', {
      received: 3,
      requests: 36,
      empty: 33,
      bytesUp: 19_000,
      bytesDown: 7_500,
      latencies: [2_400, 2_600, 1_900],
    }),
    row('long-polling', { received: 3, requests: 10, empty: 7, bytesUp: 6_000, bytesDown: 2_000, latencies: [3, 4, 5] }),
    row('sse', { received: 3, requests: 1, bytesUp: 600, bytesDown: 600, latencies: [2, 3, 2] }),
    row('websocket', { received: 3, requests: 1, bytesUp: 600, bytesDown: 900, latencies: [1, 2, 1] }),
  ];

  it('draws its conclusions from the numbers of the run', () => {
    const text = conclusions(quiet, quietRows).join('\n');
    assert.match(
      text,
      /At 1 per minute, short polling every 5 s sent 36 requests for 3 events: 12 requests per event, and 33 of its 36 answers \(92 %\) brought nothing new\./,
    );
    assert.match(text, /With ETag, the empty answers were 304s with no body: 7\.5 kB down instead of 14 kB \(46 % less\)/);
    assert.match(
      text,
      /Long polling sent 10 requests against short polling's 36: one per answer with events, plus 7 empty 204s after 25 s/,
    );
    assert.match(text, /Short polling's is close to half the interval \(2\.5 s\)/);
    assert.match(text, /SSE and WebSocket used one connection each/);
    assert.doesNotMatch(text, /never saw/);
  });

  it('says when long polling turns into short polling, and when a snapshot loses events', () => {
    const busy: RunDescription = { rate: twentyPerSecond, intervalMs: 1_000, ranMs: 10_000, published: 200, stoppedEarly: false };
    const text = conclusions(busy, [
      row('short-polling', { received: 190, requests: 10, empty: 0, bytesUp: 5_000, bytesDown: 20_000, latencies: [500] }),
      row('short-polling-etag', { received: 190, requests: 10, empty: 0, bytesUp: 5_200, bytesDown: 20_000, latencies: [500] }),
      row('long-polling', { received: 200, requests: 198, empty: 0, bytesUp: 120_000, bytesDown: 60_000, latencies: [8] }),
      row('sse', { received: 200, requests: 1, bytesUp: 600, bytesDown: 15_000, latencies: [5] }),
      row('websocket', { received: 200, requests: 1, bytesUp: 600, bytesDown: 30_000, latencies: [3] }),
    ]).join('\n');
    assert.match(text, /one request for every 19 events/);
    assert.match(
      text,
      /Long polling sent more requests than short polling \(198 against 10\): it asks again after every answer, and events came more often than once every 1 s\.$/m,
    );
    assert.match(text, /ETag saved nothing here/);
    assert.match(text, /Short polling never saw 10 events: its resource holds the newest 20/);
    assert.match(text, /the difference is the message, not the transport/);
  });

  it('says long polling turned into polling with no wait only when its answers carried batches', () => {
    const farAway: RunDescription = { rate: twentyPerSecond, intervalMs: 1_000, ranMs: 10_000, published: 200, stoppedEarly: false };
    const text = conclusions(farAway, [
      row('short-polling', { received: 190, requests: 10, empty: 0, latencies: [500] }),
      row('short-polling-etag', { received: 190, requests: 10, empty: 0, latencies: [500] }),
      row('long-polling', { received: 200, requests: 50, empty: 0, latencies: [120] }),
      row('sse', { received: 200, requests: 1, latencies: [60] }),
      row('websocket', { received: 200, requests: 1, latencies: [60] }),
    ]).join('\n');
    assert.match(text, /Its answers carried 4 events on average: events were already waiting when each request arrived/);
  });

  it('has something true to say about a run with no event', () => {
    const empty: RunDescription = { rate: RATE_STEPS[0]!, intervalMs: 5_000, ranMs: 30_000, published: 0, stoppedEarly: false };
    const text = conclusions(
      empty,
      quietRows.map((entry) => ({ ...entry, received: 0, latency: summarizeLatency([]) })),
    );
    assert.equal(text.length, 1);
    assert.match(text[0]!, /No event was published in this run/);
  });

  it('copies as a Markdown table with the settings above it, and as HTML', () => {
    const markdown = tableMarkdown(quiet, quietRows);
    const lines = markdown.split('\n');
    assert.equal(lines[0], 'Side-by-side lab: 1 per minute, polling every 5 s, ran 3 min, 3 events published.');
    assert.equal(
      lines[2],
      '| Technique | Events received | Latency median | p95 | max | Requests | Empty answers | Bytes up | Bytes down | Connections |',
    );
    assert.match(lines[3]!, /^\| --- \| ---: \|/);
    assert.equal(lines[4], '| Short polling | 3 of 3 | 2.4 s | 2.6 s | 2.6 s | 36 | 33 | 18 kB | 14 kB | 1 |');
    assert.equal(lines[7], '| Server-Sent Events | 3 of 3 | 2 ms | 3 ms | 3 ms | 1 | – | 600 B | 600 B | 1 |');
    assert.equal(lines.length, 9);
    const html = tableHtml(quiet, quietRows);
    assert.match(html, /<table><thead><tr><th>Technique<\/th>/);
    assert.equal(html.match(/<tr>/g)?.length, 6);
  });
});
