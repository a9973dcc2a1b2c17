import { LAB_TECHNIQUE_LABELS, LAB_TECHNIQUES, type LabTechnique } from '../../protocol/lab.ts';
import { CHANNEL_LATEST_LIMITS } from '../../protocol/channel-latest.ts';
import { formatBytes, formatInterval, formatMs, plural } from '../shared/format.ts';
import type { LatencySummary } from './latency-stats.ts';
import { LONG_POLL_HOLD_MS, formatDuration, type RateStep } from './settings.ts';

/** One technique's line of the summary table. */
export interface LaneRow {
  technique: LabTechnique;
  received: number;
  latency: LatencySummary;
  /** Requests the server received. */
  requests: number;
  /** Answers that brought nothing new; null for the push techniques, which ask nothing. */
  empty: number | null;
  bytesUp: number;
  bytesDown: number;
  /** TCP connections used in all. */
  connections: number;
}

/** What the run was. */
export interface RunDescription {
  rate: RateStep;
  intervalMs: number;
  /** How long it published. */
  ranMs: number;
  /** Events the server published. */
  published: number;
  /** True when the reader stopped it early. */
  stoppedEarly: boolean;
}

/** A latency for a table: `<1 ms`, `240 ms`, `2.4 s`, `–`. */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return '<1 ms';
  return formatMs(ms);
}

export const TABLE_HEADER = [
  'Technique',
  'Events received',
  'Latency median',
  'p95',
  'max',
  'Requests',
  'Empty answers',
  'Bytes up',
  'Bytes down',
  'Connections',
] as const;

/** The table's cells, as text. */
export function tableCells(rows: readonly LaneRow[], published: number): string[][] {
  return rows.map((row) => [
    LAB_TECHNIQUE_LABELS[row.technique],
    `${row.received} of ${published}`,
    formatLatency(row.latency.median),
    formatLatency(row.latency.p95),
    formatLatency(row.latency.max),
    String(row.requests),
    row.empty === null ? '–' : String(row.empty),
    formatBytes(row.bytesUp),
    formatBytes(row.bytesDown),
    String(row.connections),
  ]);
}

/** `1 per second, polling every 5 s, 30 s, 31 events published`. */
export function describeRun(run: RunDescription): string {
  const stopped = run.stoppedEarly ? ' (stopped early)' : '';
  return `${run.rate.label}, polling every ${formatInterval(run.intervalMs)}, ran ${formatDuration(Math.round(run.ranMs / 1000) * 1000)}${stopped}, ${plural(run.published, 'event')} published`;
}

/** The table as GitHub-flavoured Markdown, with the run's settings above it. */
export function tableMarkdown(run: RunDescription, rows: readonly LaneRow[]): string {
  const escapePipes = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [
    `Side-by-side lab: ${describeRun(run)}.`,
    '',
    `| ${TABLE_HEADER.join(' | ')} |`,
    `|${TABLE_HEADER.map((_, index) => (index === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...tableCells(rows, run.published).map((cells) => `| ${cells.map(escapePipes).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** The table as an HTML table (what a spreadsheet or a document makes a table of when pasted). */
export function tableHtml(run: RunDescription, rows: readonly LaneRow[]): string {
  const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const head = TABLE_HEADER.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('');
  const body = tableCells(rows, run.published)
    .map((cells) => `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('');
  return `<p>Side-by-side lab: ${escapeHtml(describeRun(run))}.</p><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 100) : 0);
const perEvent = (row: LaneRow) => (row.received > 0 ? formatBytes((row.bytesUp + row.bytesDown) / row.received) : '–');
const total = (row: LaneRow) => formatBytes(row.bytesUp + row.bytesDown);

/**
 * The lesson's conclusions, drawn from the reader's own numbers: each
 * sentence quotes the figures of this run, and says only what they show.
 */
export function conclusions(run: RunDescription, rows: readonly LaneRow[]): string[] {
  const row = (technique: LabTechnique) => rows.find((candidate) => candidate.technique === technique)!;
  if (LAB_TECHNIQUES.some((technique) => !rows.some((candidate) => candidate.technique === technique))) return [];
  const sp = row('short-polling');
  const etag = row('short-polling-etag');
  const lp = row('long-polling');
  const sse = row('sse');
  const ws = row('websocket');
  const every = formatInterval(run.intervalMs);
  const out: string[] = [];

  if (run.published === 0) {
    out.push(
      `No event was published in this run: at ${run.rate.label}, ${formatDuration(Math.round(run.ranMs / 1000) * 1000)} is often too short for one. ` +
        `Waiting for nothing still cost something: short polling sent ${plural(sp.requests, 'request')} (${total(sp)}), ` +
        `long polling ${plural(lp.requests, 'request')} (${total(lp)}), SSE and WebSocket one each to open their connection (${total(sse)} and ${total(ws)}, heartbeats included).`,
    );
    return out;
  }

  // Polling: requests per event, and how many came back empty.
  const spAnswers = sp.requests;
  out.push(
    sp.received > 0
      ? `At ${run.rate.label}, short polling every ${every} sent ${plural(sp.requests, 'request')} for ${plural(sp.received, 'event')}: ` +
          `${formatRatio(sp.requests, sp.received)}, and ${sp.empty ?? 0} of its ${spAnswers} answers (${pct(sp.empty ?? 0, spAnswers)} %) brought nothing new.`
      : `At ${run.rate.label}, short polling every ${every} sent ${plural(sp.requests, 'request')} and received no event: every answer was empty.`,
  );

  // ETag: what a 304 saves, and what it does not.
  if (etag.requests > 0 && sp.requests > 0) {
    const saved = sp.bytesDown - etag.bytesDown;
    out.push(
      saved > 0
        ? `With ETag, the empty answers were 304s with no body: ${formatBytes(etag.bytesDown)} down instead of ${formatBytes(sp.bytesDown)} (${pct(saved, sp.bytesDown)} % less). ` +
            `The requests still went up in full: ${formatBytes(etag.bytesUp)} against ${formatBytes(sp.bytesUp)}.`
        : `ETag saved nothing here (${formatBytes(etag.bytesDown)} down against ${formatBytes(sp.bytesDown)}): almost every poll found something new, and a 304 only helps when nothing changed.`,
    );
  }

  // Long polling against short polling: who sends more requests.
  if (lp.requests > 0) {
    const timeouts = lp.empty ?? 0;
    if (lp.requests <= etag.requests) {
      out.push(
        `Long polling sent ${plural(lp.requests, 'request')} against short polling's ${etag.requests}: one per answer with events, ` +
          `plus ${timeouts === 1 ? 'one empty 204' : `${timeouts} empty 204s`} after ${formatDuration(LONG_POLL_HOLD_MS)} with nothing to say.`,
      );
    } else {
      const perAnswer = lp.received / Math.max(1, lp.requests - timeouts);
      out.push(
        `Long polling sent more requests than short polling (${lp.requests} against ${etag.requests}): it asks again after every answer, ` +
          `and events came more often than once every ${every}.` +
          (perAnswer >= 1.5
            ? ` Its answers carried ${(Math.round(perAnswer * 10) / 10).toString()} events on average: events were already waiting when each request arrived, so it had turned into polling with no wait.`
            : ''),
      );
    }
  }

  // Latency: each technique's median, and why polling's is what it is.
  const medians = rows
    .filter((candidate) => candidate.latency.count > 0)
    .map((candidate) => `${LAB_TECHNIQUE_LABELS[candidate.technique]} ${formatLatency(candidate.latency.median)}`);
  if (medians.length > 0) {
    let sentence = `Median latency, publish to receive on your clock: ${medians.join(', ')}.`;
    const half = run.intervalMs / 2;
    if (sp.latency.count >= 3 && Math.abs(sp.latency.median - half) <= run.intervalMs * 0.35) {
      sentence += ` Short polling's is close to half the interval (${formatInterval(half)}): an event waits for the next poll, anywhere from 0 to ${every}.`;
    }
    out.push(sentence);
  }

  // Streams: one connection, and what each event cost.
  if (sse.received > 0 || ws.received > 0) {
    const streams = [sse, ws].filter((candidate) => candidate.connections > 0);
    const one = streams.every((candidate) => candidate.connections === 1);
    out.push(
      `${one ? 'SSE and WebSocket used one connection each' : `SSE used ${plural(sse.connections, 'connection')} and WebSocket ${ws.connections}, reconnects included`}, ` +
        `and sent nothing until there was something to send: ${total(sse)} and ${total(ws)} in all, handshakes and heartbeats included.`,
    );
  }

  // The envelope, not the transport: this server wraps each WebSocket event in a JSON message.
  if (ws.received > 0 && sse.received > 0 && ws.bytesDown > sse.bytesDown * 1.2) {
    out.push(
      `The WebSocket carried more bytes down than SSE (${formatBytes(ws.bytesDown)} against ${formatBytes(sse.bytesDown)}), though a frame header is only 2 bytes: ` +
        `the difference is the message, not the transport. Each event travels as JSON naming its channel and repeating id, type and time, where SSE sends three short lines.`,
    );
  }

  out.push(
    `Bytes per event delivered, both ways: short polling ${perEvent(sp)}, with ETag ${perEvent(etag)}, long polling ${perEvent(lp)}, SSE ${perEvent(sse)}, WebSocket ${perEvent(ws)}.`,
  );

  // A snapshot of 20 cannot carry more than 20 events between two polls.
  const missed = run.published - sp.received;
  const missedEtag = run.published - etag.received;
  if (!run.stoppedEarly && (missed > 0 || missedEtag > 0) && (lp.received === run.published || sse.received === run.published)) {
    out.push(
      `Short polling never saw ${plural(Math.max(missed, missedEtag), 'event')}: its resource holds the newest ${CHANNEL_LATEST_LIMITS.maxEvents}, and more were published between two polls. ` +
        `Polling a snapshot shows states, not every change; the techniques with a cursor (long polling, SSE, WebSocket) got them all. ` +
        `Short polling's latency counts only the events it saw, the newest of each page, so it looks better than it is.`,
    );
  }
  return out;
}

/** `12 requests per event`, `1.5 requests per event`, `one request for every 18 events`. */
function formatRatio(requests: number, events: number): string {
  const ratio = requests / events;
  if (ratio >= 10) return `${Math.round(ratio)} requests per event`;
  if (ratio >= 1) {
    const rounded = Math.round(ratio * 10) / 10;
    return `${rounded} request${rounded === 1 ? '' : 's'} per event`;
  }
  return `one request for every ${Math.round(events / requests)} events`;
}
