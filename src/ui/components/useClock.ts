import { useEffect, useState } from 'preact/hooks';

/** How often relative times ("3 min ago") are worked out again, even when no data changed. */
const tickInMs = 10_000;

const listeners = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | undefined;

/**
 * The time now, moved on every few seconds: one timer for the whole page however many relative
 * times it shows, stopped when the last of them is gone.
 */
export function useClock(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    listeners.add(setNow);
    timer ??= setInterval(() => {
      const at = Date.now();
      for (const listener of listeners) listener(at);
    }, tickInMs);
    return () => {
      listeners.delete(setNow);
      if (listeners.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  }, []);
  return now;
}
