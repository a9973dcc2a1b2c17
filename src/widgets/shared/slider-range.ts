/** A reader's slider: its bounds, its step and where it starts. */
export interface SliderRange {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly initial: number;
}

/** `value` on the slider's grid: rounded to its step, kept within its bounds; not a number gives the initial value. */
export function snapToRange(value: number, range: SliderRange): number {
  const stepped = Math.round(value / range.step) * range.step;
  return Math.min(range.max, Math.max(range.min, Number.isFinite(stepped) ? stepped : range.initial));
}
