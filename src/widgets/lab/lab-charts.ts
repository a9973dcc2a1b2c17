import { LAB_TECHNIQUES } from '../../protocol/lab.ts';
import type { TimedStats } from './lab-api.ts';
import type { Session } from './lab-session.ts';
import type { LabChartData } from './model.ts';

/** The two charts' data of a run: latency by publish time, and cumulative bytes over time. */

/** Events drawn on the latency chart: the most recent ones. */
export const MAX_CHART_EVENTS = 3_000;
/** Ids past this are not charted (a run publishes 30 000 at most; this only guards the arrays). */
const MAX_EVENT_ID = 100_000;

const noSeries = (): LabChartData => ({ x: [], y: LAB_TECHNIQUES.map(() => []) });

/** Keeps the server's publish time of each event a lane received, for the latency chart's x axis. */
export function notePublishTimes(session: Session, events: readonly { id: number; publishedAt: number }[]): void {
  for (const event of events) {
    if (event.id >= 1 && event.id <= MAX_EVENT_ID && Number.isFinite(event.publishedAt)) {
      session.publishedAt[event.id - 1] ??= event.publishedAt;
    }
  }
}

/** Adds one stats poll's byte counts to the bytes chart, once the publisher has started. */
export function noteBytes(session: Session, timed: TimedStats): void {
  if (session.serverStartedAt === null) return;
  const seconds = Math.max(0, (timed.stats.serverTime - session.serverStartedAt) / 1000);
  session.bytes.x.push(seconds);
  LAB_TECHNIQUES.forEach((technique, index) => {
    const counted = timed.stats.traffic[technique];
    session.bytes.y[index]!.push(counted.bytesUp + counted.bytesDown);
  });
}

/** Latency of each of the last {@link MAX_CHART_EVENTS} events (ms, shifted by the clock offset) by publish time. */
export function latencySeries(session: Session | null, shift: number): LabChartData {
  if (!session || session.serverStartedAt === null) return noSeries();
  const startedAt = session.serverStartedAt;
  const columns = LAB_TECHNIQUES.map((technique) => session.recorders[technique].byId);
  const newest = Math.max(...columns.map((column) => column.length));
  const x: number[] = [];
  const y: (number | null)[][] = LAB_TECHNIQUES.map(() => []);
  for (let index = Math.max(0, newest - MAX_CHART_EVENTS); index < newest; index++) {
    const publishedAt = session.publishedAt[index];
    if (publishedAt === undefined) continue;
    x.push(Math.max(0, (publishedAt - startedAt) / 1000));
    columns.forEach((column, at) => {
      const value = column[index];
      y[at]!.push(value === undefined ? null : Math.max(0, value + shift));
    });
  }
  return { x, y };
}

/** Cumulative bytes (up + down) of each technique, a copy. */
export function bytesSeries(session: Session | null): LabChartData {
  if (!session) return noSeries();
  return { x: session.bytes.x.slice(), y: session.bytes.y.map((column) => column.slice()) };
}
