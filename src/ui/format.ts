/** How numbers, sizes, times and durations read everywhere in the dashboard (the browser's locale). */
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export const formatCount = (value: number | undefined) => (value === undefined ? '–' : integer.format(value));

export function formatBytes(value: number | undefined): string {
  if (value === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? integer.format(scaled) : decimal.format(scaled)} ${units[unit]}`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1_000) return `${integer.format(ms)} ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${decimal.format(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "3 min ago", "in 5 min": for ages and next-run times. */
export function formatAge(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const ms = Date.parse(iso) - now;
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const abs = Math.abs(ms);
  if (abs < 60_000) return relative.format(Math.round(ms / 1_000), 'second');
  if (abs < 3_600_000) return relative.format(Math.round(ms / 60_000), 'minute');
  if (abs < 86_400_000) return relative.format(Math.round(ms / 3_600_000), 'hour');
  return relative.format(Math.round(ms / 86_400_000), 'day');
}

export const formatTime = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '–');

/** Milliseconds between two ISO times, or until now when the second is missing (a run still going). */
export const elapsedMs = (from: string | undefined, to: string | undefined, now = Date.now()) => (from ? (to ? Date.parse(to) : now) - Date.parse(from) : undefined);
