import { formatCount } from '../format.js';
import { StatusBadge } from './statusBadge.js';

/** The order statuses are drawn in: the good first, what needs a look last, so red sits at the end. */
const statusOrder = ['succeeded', 'running', 'queued', 'skipped', 'cancelled', 'timed_out', 'failed'];

/**
 * Counts by status as one stacked bar with the numbers beside it in words (the bar is a picture
 * of the list, so screen readers get the list and skip the bar).
 */
export function StatusBar({ counts, label }: { counts: Partial<Record<string, number>>; label: string }) {
  const entries = Object.entries(counts)
    .filter((entry): entry is [string, number] => (entry[1] ?? 0) > 0)
    .sort(([a], [b]) => rank(a) - rank(b));
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return (
    <div class="status-bar">
      <div class="stack" aria-hidden="true">
        {total === 0 ? <span class="segment empty" /> : entries.map(([status, count]) => <span class={`segment status-${status}`} style={{ flexGrow: count }} title={`${status.replace(/_/g, ' ')}: ${formatCount(count)}`} />)}
      </div>
      <ul class="legend" aria-label={label}>
        {entries.length === 0 ? <li class="muted">No runs</li> : entries.map(([status, count]) => (
          <li><StatusBadge status={status} /> <span class="count">{formatCount(count)}</span></li>
        ))}
      </ul>
    </div>
  );
}

const rank = (status: string) => {
  const index = statusOrder.indexOf(status);
  return index === -1 ? statusOrder.length : index;
};
