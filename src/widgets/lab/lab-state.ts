import { batch, computed, signal } from '@preact/signals';
import type { LabRun, LabTechnique, LabTraffic } from '../../protocol/lab.ts';
import { LAB_TECHNIQUES } from '../../protocol/lab.ts';
import { systemClock } from '../shared/clock.ts';
import type { ClockOffset } from '../shared/clock-offset.ts';
import { checkExercise, type RunRecord } from './lab-exercise.ts';
import { laneFigures, laneRow } from './lab-figures.ts';
import { ranMs, type Session } from './lab-session.ts';
import type { LabModelOptions, Phase } from './model.ts';
import { DEFAULT_DURATION_MS, DEFAULT_INTERVAL_MS, DEFAULT_RATE_INDEX } from './settings.ts';
import { conclusions, type RunDescription } from './summary.ts';

/**
 * Everything the lab model knows, shared by the run (lab-run.ts) and the
 * model's API: the signals the view reads (described on `LabModel`), the
 * figures computed from them, and the current (or last) run's session.
 */
export type LabState = ReturnType<typeof createLabState>;

export function createLabState(options: LabModelOptions) {
  const base = {
    options,
    clock: options.clock ?? systemClock,
    rateIndex: signal(DEFAULT_RATE_INDEX),
    intervalMs: signal(DEFAULT_INTERVAL_MS),
    durationMs: signal(DEFAULT_DURATION_MS),
    phase: signal<Phase>('idle'),
    status: signal('Set the event rate and the polling interval, then press Start.'),
    error: signal<string | null>(null),
    elapsedMs: signal(0),
    run: signal<LabRun | null>(null),
    offset: signal<ClockOffset | null>(null),
    traffic: signal<Record<LabTechnique, LabTraffic> | null>(null),
    /** Bumped whenever the recorders changed: what the figures below read. */
    version: signal(0),
    chartVersion: signal(0),
    runs: signal<readonly RunRecord[]>([]),
    exerciseDone: signal(false),
    dropped: signal<number | null>(null),
    finalDescription: signal<RunDescription | null>(null),
    /** Everything of the current (or last) run. */
    session: null as Session | null,
  };
  const { version, traffic, offset, run, phase, finalDescription, elapsedMs, runs } = base;

  const lanes = computed(() => {
    version.value;
    return laneFigures(base.session, traffic.value, offset.value?.offsetMs ?? 0);
  });
  const rows = computed(() => lanes.value.map(laneRow));
  const published = computed(() => {
    version.value;
    const session = base.session;
    const newest = session ? Math.max(...LAB_TECHNIQUES.map((technique) => session.recorders[technique].lastId)) : 0;
    return Math.max(run.value?.published ?? 0, newest);
  });
  const description = computed<RunDescription | null>(() => {
    const final = finalDescription.value;
    if (final) return final;
    version.value;
    const session = base.session;
    if (!session || session.startedAt === null) return null;
    return { rate: session.rate, intervalMs: session.intervalMs, ranMs: elapsedMs.value, published: published.value, stoppedEarly: false };
  });
  const conclusionList = computed(() => {
    const described = description.value;
    return described && phase.value === 'done' ? conclusions(described, rows.value) : [];
  });
  const exercise = computed(() => checkExercise(runs.value));
  return Object.assign(base, { lanes, rows, published, description, conclusionList, exercise });
}

/** The figures changed: the cards, the table and the charts redraw; the elapsed time moves on. */
export function refresh(state: LabState): void {
  const session = state.session;
  if (!session) return;
  batch(() => {
    if (session.startedAt !== null) state.elapsedMs.value = ranMs(session, state.clock.now());
    state.version.value += 1;
    state.chartVersion.value += 1;
  });
}
