import { formatAge, formatTime } from '../format.js';
import { useClock } from './useClock.js';

/** A time as people scan it ("5 min ago", "in 2 h"), the exact local time in its title and datetime. */
export function RelativeTime({ iso }: { iso: string | undefined }) {
  const now = useClock();
  if (!iso) return <span class="muted">–</span>;
  return <time dateTime={iso} title={formatTime(iso)}>{formatAge(iso, now)}</time>;
}
