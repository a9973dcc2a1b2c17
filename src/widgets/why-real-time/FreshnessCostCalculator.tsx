import { useId, useMemo, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import {
  DEFAULT_INPUTS,
  HEARTBEAT,
  STEPS,
  formatBytes,
  formatCount,
  formatSeconds,
  formatShare,
  freshnessCost,
  nearestStep,
  type FreshnessInputs,
} from './freshness-cost.ts';
import './FreshnessCostCalculator.css';

/** Fixed locale, so the server-rendered HTML and the hydrated island agree. */
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * Lesson 1's calculator: set readers, polling interval, change rate and
 * message sizes; see what short polling costs per hour next to pushing each
 * change once. Pure arithmetic (freshness-cost.ts): no network, no timers.
 */
export function FreshnessCostCalculator() {
  const [inputs, setInputs] = useState<FreshnessInputs>(DEFAULT_INPUTS);
  const cost = useMemo(() => freshnessCost(inputs), [inputs]);
  const set = (key: keyof FreshnessInputs) => (value: number) => setInputs((current) => ({ ...current, [key]: value }));

  const { polling, push } = cost;
  const largest = Math.max(polling.bytesPerHour, push.bytesPerHour, 1);
  const isDefault = (Object.keys(DEFAULT_INPUTS) as (keyof FreshnessInputs)[]).every((key) => inputs[key] === DEFAULT_INPUTS[key]);

  return (
    <div class="fcc">
      <fieldset class="fcc-inputs">
        <legend>Your situation</legend>
        <StepSlider
          label="Readers"
          steps={STEPS.readers}
          value={inputs.readers}
          onChange={set('readers')}
          describe={(n) => `${integer.format(n)} ${n === 1 ? 'reader' : 'readers'}`}
        />
        <StepSlider
          label="Polling interval"
          steps={STEPS.intervalSeconds}
          value={inputs.intervalSeconds}
          onChange={set('intervalSeconds')}
          describe={(s) => `every ${formatSeconds(s)}`}
        />
        <StepSlider
          label="Changes per hour"
          steps={STEPS.eventsPerHour}
          value={inputs.eventsPerHour}
          onChange={set('eventsPerHour')}
          describe={describeRate}
        />
        <RangeSlider
          label="Poll request size"
          min={200}
          max={2000}
          step={20}
          value={inputs.requestBytes}
          onChange={set('requestBytes')}
          describe={(b) => `${integer.format(b)} B`}
        />
        <RangeSlider
          label="Poll response size"
          min={100}
          max={5000}
          step={20}
          value={inputs.responseBytes}
          onChange={set('responseBytes')}
          describe={(b) => `${integer.format(b)} B`}
        />
        <RangeSlider
          label="Push message size"
          min={10}
          max={1000}
          step={10}
          value={inputs.pushMessageBytes}
          onChange={set('pushMessageBytes')}
          describe={(b) => `${integer.format(b)} B`}
        />
        <button type="button" class="fcc-reset" disabled={isDefault} onClick={() => setInputs(DEFAULT_INPUTS)}>
          Reset
        </button>
      </fieldset>

      <div class="fcc-results">
        <section class="fcc-card" aria-label="Short polling, per hour">
          <p class="fcc-card-title">Short polling</p>
          <dl>
            <Figure term="Requests per hour">{formatCount(polling.requestsPerHour)}</Figure>
            <Figure term="Find nothing new" tone={polling.emptyShare > 0.5 ? 'warn' : undefined}>
              {formatShare(polling.emptyShare)}
            </Figure>
            <Figure term="Bytes per hour">{formatBytes(polling.bytesPerHour)}</Figure>
            <Figure term="Bytes per minute">{formatBytes(polling.bytesPerHour / 60)}</Figure>
            <Figure term="Average staleness">{formatSeconds(polling.averageStalenessSeconds)}</Figure>
            <Figure term="Worst staleness">{formatSeconds(polling.worstStalenessSeconds)}</Figure>
          </dl>
        </section>
        <section class="fcc-card" aria-label="Push (SSE or WebSocket), per hour">
          <p class="fcc-card-title">Push (SSE or WebSocket)</p>
          <dl>
            <Figure term="Messages per hour">{formatCount(push.messagesPerHour)}</Figure>
            <Figure term={`Heartbeats (every ${HEARTBEAT.everySeconds} s)`}>{formatCount(push.heartbeatsPerHour)}</Figure>
            <Figure term="Bytes per hour">{formatBytes(push.bytesPerHour)}</Figure>
            <Figure term="Bytes per minute">{formatBytes(push.bytesPerHour / 60)}</Figure>
            <Figure term="Staleness">one network trip</Figure>
            <Figure term="Connections held open">{integer.format(push.openConnections)}</Figure>
          </dl>
        </section>
      </div>

      <div class="fcc-bars" aria-hidden="true">
        <Bar label="Polling" bytes={polling.bytesPerHour} largest={largest} tone="warn" />
        <Bar label="Push" bytes={push.bytesPerHour} largest={largest} tone="ok" />
      </div>
      <p class="fcc-verdict" aria-live="polite">
        {verdict(cost.bytesRatio)}
      </p>
    </div>
  );
}

function describeRate(perHour: number): string {
  if (perHour === 0) return 'none';
  return `${integer.format(perHour)} (${formatSeconds(3600 / perHour)} apart)`;
}

function verdict(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'Push sends nothing at all here.';
  if (ratio >= 1.05) return `Polling moves ${formatRatio(ratio)} the bytes of push.`;
  if (ratio <= 1 / 1.05) return `Push moves ${formatRatio(1 / ratio)} the bytes of polling.`;
  return 'Polling and push move about the same bytes.';
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? `${formatCount(ratio)}×` : `${Number(ratio.toFixed(1))}×`;
}

interface SliderProps {
  label: string;
  value: number;
  onChange: (value: number) => void;
  describe: (value: number) => string;
}

/** A slider over a list of values (readers and rates span orders of magnitude). */
function StepSlider({ steps, ...props }: SliderProps & { steps: readonly number[] }) {
  const index = nearestStep(steps, props.value);
  return <Slider {...props} min={0} max={steps.length - 1} step={1} position={index} toValue={(position) => steps[position]} />;
}

function RangeSlider(props: SliderProps & { min: number; max: number; step: number }) {
  return <Slider {...props} position={props.value} toValue={(position) => position} />;
}

function Slider({
  label,
  value,
  onChange,
  describe,
  min,
  max,
  step,
  position,
  toValue,
}: SliderProps & {
  min: number;
  max: number;
  step: number;
  position: number;
  toValue: (position: number) => number;
}) {
  const id = useId();
  const text = describe(value);
  return (
    <div class="fcc-slider">
      <label for={id}>{label}</label>
      <output for={id}>{text}</output>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={position}
        aria-valuetext={text}
        onInput={(event) => onChange(toValue(Number((event.currentTarget as HTMLInputElement).value)))}
      />
    </div>
  );
}

function Figure({ term, tone, children }: { term: string; tone?: 'warn' | 'ok'; children: ComponentChildren }) {
  return (
    <div class="fcc-figure">
      <dt>{term}</dt>
      <dd class={tone ? `fcc-${tone}` : undefined}>{children}</dd>
    </div>
  );
}

function Bar({ label, bytes, largest, tone }: { label: string; bytes: number; largest: number; tone: 'warn' | 'ok' }) {
  const percent = Math.max(0.5, (bytes / largest) * 100);
  return (
    <div class="fcc-bar">
      <span class="fcc-bar-label">{label}</span>
      <span class="fcc-bar-track">
        <span class={`fcc-bar-fill fcc-${tone}-bg`} style={{ width: `${percent}%` }} />
      </span>
      <span class="fcc-bar-value">{formatBytes(bytes)}/h</span>
    </div>
  );
}

export default FreshnessCostCalculator;
