import { useEffect, useState } from 'preact/hooks';

/** The clock, ticking every `everyMs` while `ticking` (durations and the Gantt's "now" of a live run); still otherwise. */
export function useNow(ticking: boolean, everyMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [ticking, everyMs]);
  return now;
}
