import { useEffect, useState } from 'preact/hooks';
import { systemClock, type Clock } from '../shared/clock.ts';

/** The clock's time, updated every `everyMs` while `active` (a meter that moves between events). */
export function useNow(active: boolean, everyMs: number, clock: Clock = systemClock): number {
  const [now, setNow] = useState(() => clock.now());
  useEffect(() => {
    if (!active) return;
    setNow(clock.now());
    const timer = setInterval(() => setNow(clock.now()), everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs, clock]);
  return now;
}
