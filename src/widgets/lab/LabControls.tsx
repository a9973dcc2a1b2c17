import { useId } from 'preact/hooks';
import { formatInterval, plural } from '../shared/format.ts';
import type { LabModel } from './model.ts';
import { DURATION_STEPS, INTERVAL_STEPS, RATE_STEPS, formatDuration, maxDurationFor } from './settings.ts';

/** The lab's settings (rate, polling interval, duration) and its buttons: Start, Stop, Drop every connection. */
export function LabControls({ model, busy }: { model: LabModel; busy: boolean }) {
  const ids = useId();
  const phase = model.phase.value;
  const rate = RATE_STEPS[model.rateIndex.value]!;
  const interval = model.intervalMs.value;
  const duration = model.durationMs.value;
  const cappedDuration = Math.min(duration, maxDurationFor(rate.perMinute));
  const intervalIndex = Math.max(0, INTERVAL_STEPS.indexOf(interval));
  const durationIndex = Math.max(0, DURATION_STEPS.indexOf(duration));
  return (
    <fieldset class="widget-controls lab-controls">
      <legend class="lab-visually-hidden">Lab settings</legend>
      <Slider
        id={`${ids}-rate`}
        label="Event rate"
        min={0}
        max={RATE_STEPS.length - 1}
        value={model.rateIndex.value}
        text={rate.label}
        hint="How often the server publishes, on average (each gap is random, between half and 1.5 times the average)."
        disabled={busy}
        onInput={(value) => model.setRateIndex(value)}
      />
      <Slider
        id={`${ids}-interval`}
        label="Polling interval"
        min={0}
        max={INTERVAL_STEPS.length - 1}
        value={intervalIndex}
        text={formatInterval(interval)}
        hint="Both short pollers wait this long after each answer. Long polling never waits: the server holds its request."
        disabled={busy}
        onInput={(value) => model.setIntervalMs(INTERVAL_STEPS[value]!)}
      />
      <Slider
        id={`${ids}-duration`}
        label="Duration"
        min={0}
        max={DURATION_STEPS.length - 1}
        value={durationIndex}
        text={formatDuration(duration)}
        hint={
          cappedDuration < duration
            ? `At ${rate.label}, a run stops at ${formatDuration(cappedDuration)} (30 000 events at most).`
            : `About ${expectedEvents(rate.perMinute, duration)} published.`
        }
        disabled={busy}
        onInput={(value) => model.setDurationMs(DURATION_STEPS[value]!)}
      />
      <div class="widget-row widget-wide lab-actions">
        <button type="button" class="widget-button widget-primary" onClick={() => void model.start()} disabled={busy}>
          Start
        </button>
        <button type="button" class="widget-button" onClick={() => void model.stop()} disabled={!busy}>
          Stop
        </button>
        <button
          type="button"
          class="widget-button lab-fault"
          onClick={() => void model.dropConnections()}
          disabled={phase !== 'running'}
          aria-describedby={`${ids}-drop`}
        >
          Drop every connection
        </button>
        <p class="widget-hint" id={`${ids}-drop`}>
          {model.dropped.value === null
            ? 'Break it: the server cuts every connection of the lab at once, with no goodbye.'
            : `The server cut ${plural(model.dropped.value, 'connection')}. Watch each lane recover, and the latency chart.`}
        </p>
      </div>
    </fieldset>
  );
}

function expectedEvents(perMinute: number, durationMs: number): string {
  const expected = (perMinute * durationMs) / 60_000;
  if (expected < 1) return `about ${expected.toFixed(2)} events on average: likely none`;
  return `${Math.round(expected).toLocaleString('en-US')} event${Math.round(expected) === 1 ? '' : 's'}`;
}

function Slider(props: {
  id: string;
  label: string;
  min: number;
  max: number;
  value: number;
  text: string;
  hint: string;
  disabled: boolean;
  onInput: (value: number) => void;
}) {
  return (
    <div class="widget-field lab-field">
      <label for={props.id}>{props.label}</label>
      <div class="widget-row widget-slider lab-slider">
        <input
          id={props.id}
          type="range"
          min={props.min}
          max={props.max}
          step={1}
          value={props.value}
          aria-valuetext={props.text}
          aria-describedby={`${props.id}-hint`}
          disabled={props.disabled}
          onInput={(event) => props.onInput(Number(event.currentTarget.value))}
        />
        <output for={props.id} class="widget-mono">
          {props.text}
        </output>
      </div>
      <p class="widget-hint" id={`${props.id}-hint`}>
        {props.hint}
      </p>
    </div>
  );
}
