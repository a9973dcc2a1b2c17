import { LAB_TECHNIQUES, type LabTechnique, type LabTraffic } from '../../protocol/lab.ts';
import type { Session } from './lab-session.ts';
import { NO_LATENCY, summarizeLatency, type LatencySummary } from './latency-stats.ts';
import type { LaneRow } from './summary.ts';

/** Everything a lane card shows. */
export interface LaneFigures {
  technique: LabTechnique;
  received: number;
  latency: LatencySummary;
  /** HTTP answers the page got, and those with nothing new (short and long polling only). */
  answers: number;
  empty: number;
  /** What the server counted; zeros until the first stats arrive. */
  traffic: LabTraffic;
  interruptions: number;
  lastInterruption: string | null;
}

const ZERO_TRAFFIC: LabTraffic = { requests: 0, bytesUp: 0, bytesDown: 0, connectionsHeld: 0, connectionsUsed: 0 };
const PUSH: ReadonlySet<LabTechnique> = new Set(['sse', 'websocket']);

/** Each lane's figures: what its recorder saw (latencies shifted by the clock offset) and what the server counted. */
export function laneFigures(session: Session | null, counted: Record<LabTechnique, LabTraffic> | null, shift: number): LaneFigures[] {
  return LAB_TECHNIQUES.map((technique) => {
    const recorder = session?.recorders[technique];
    return {
      technique,
      received: recorder?.received ?? 0,
      latency: recorder ? summarizeLatency(recorder.rawLatencies, shift) : NO_LATENCY,
      answers: recorder?.answers ?? 0,
      empty: recorder?.empty ?? 0,
      traffic: counted?.[technique] ?? ZERO_TRAFFIC,
      interruptions: recorder?.interruptions ?? 0,
      lastInterruption: recorder?.lastInterruption ?? null,
    };
  });
}

/** The summary table's row of a lane; push techniques have no empty answers. */
export function laneRow(lane: LaneFigures): LaneRow {
  return {
    technique: lane.technique,
    received: lane.received,
    latency: lane.latency,
    requests: lane.traffic.requests,
    empty: PUSH.has(lane.technique) ? null : lane.empty,
    bytesUp: lane.traffic.bytesUp,
    bytesDown: lane.traffic.bytesDown,
    connections: lane.traffic.connectionsUsed,
  };
}
