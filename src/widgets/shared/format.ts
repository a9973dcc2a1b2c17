/**
 * Number formatting shared by the widgets. Fixed rules (no locale), so the
 * server-rendered HTML and the hydrated island print the same text.
 */

/** `180` → `180 ms`, `1234` → `1.2 s`, `12_500` → `13 s`, `250` → `250 ms`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const rounded = Math.round(ms);
  if (Math.abs(rounded) < 1000) return `${rounded} ms`;
  const seconds = ms / 1000;
  if (Math.abs(seconds) < 10) return `${trim(seconds.toFixed(seconds % 1 === 0 ? 0 : 1))} s`;
  return `${Math.round(seconds)} s`;
}

/** An interval as a slider shows it: `250` → `250 ms`, `1000` → `1 s`, `1250` → `1.25 s`. */
export function formatInterval(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${trim((ms / 1000).toFixed(2))} s`;
}

/** `812` → `812 B`, `1234` → `1.2 kB`, `12_345` → `12.3 kB`, `2_000_000` → `2 MB` (SI units). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  if (Math.abs(bytes) < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB'] as const;
  let value = bytes / 1000;
  let unit = 0;
  while (Math.abs(value) >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${trim(value.toFixed(1))} ${units[unit]}`;
}

/** Seconds since an origin on a timeline: `3250` → `3.25 s`. */
export function formatOffset(ms: number): string {
  return `${trim((ms / 1000).toFixed(2))} s`;
}

/** `1` → `1 event`, `3` → `3 events` (English plurals in `s` only). */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function trim(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** `1` → `1st`, `2` → `2nd`, `11` → `11th`, `23` → `23rd`. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
}
