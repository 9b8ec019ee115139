/**
 * Where a client of a run's event stream stands, exactly, although event positions are not.
 *
 * A sequence is the writer's clock (see RunEventStore), and the writers are several processes: an
 * event can become readable after one with a higher sequence (a skewed clock, a slow commit, or
 * simply `finished`, which is stamped with the run's end time but written after the run record).
 * So the stream never reads only "after the last event sent": it reads from `floor`, a window
 * below the highest sequence sent, and skips the `recent` sequences above the floor that it has
 * sent already. Below the floor everything is taken as seen; an event that shows up there later
 * than the window (lateWindowInMs of clock skew plus commit time) would be missed.
 *
 * The same position is the event id the stream sends, so a client that reconnects (Last-Event-ID)
 * resumes exactly: the floor, then each recent sequence as its distance above the floor in base
 * 36 (`1765432100000123.4k.9az`). Only the newest maxRecentInToken go into an id, so it stays a
 * few hundred characters however busy the run; a position is sorted and its recent sequences are
 * all above its floor.
 */
export type StreamPosition = { floor: number; recent: number[] };

/** How far below the highest sequence sent an event may still appear: 10 s of writer clocks. */
export const lateWindow = 10_000 * 1_000;

const maxRecentInToken = 64;

export const startPosition: StreamPosition = { floor: 0, recent: [] };

/** Whether the event at `sequence` was sent already (at or below the floor counts as sent). */
export function wasSent(position: StreamPosition, sequence: number): boolean {
  return sequence <= position.floor || position.recent.includes(sequence);
}

/** The position after sending `sequence`: recorded, and the floor raised to a window below the highest. */
export function markSent(position: StreamPosition, sequence: number): StreamPosition {
  if (wasSent(position, sequence)) return position;
  const recent = [...position.recent, sequence].sort((a, b) => a - b);
  const floor = Math.max(position.floor, recent[recent.length - 1]! - lateWindow);
  return { floor, recent: recent.filter((value) => value > floor) };
}

/** The event id for a position; past maxRecentInToken the oldest recent sequences fold into the floor. */
export function encodePosition(position: StreamPosition): string {
  const cut = Math.max(0, position.recent.length - maxRecentInToken);
  const floor = cut > 0 ? position.recent[cut - 1]! : position.floor;
  return [String(floor), ...position.recent.slice(cut).map((sequence) => (sequence - floor).toString(36))].join('.');
}

const tokenShape = new RegExp(`^(\\d{1,16})((?:\\.[0-9a-z]{1,8}){0,${maxRecentInToken}})$`);

/** A Last-Event-ID back into a position; undefined for anything encodePosition cannot have made. */
export function decodePosition(token: string): StreamPosition | undefined {
  const match = tokenShape.exec(token);
  if (!match) return undefined;
  const floor = Number(match[1]);
  const recent = match[2] ? match[2].slice(1).split('.').map((delta) => floor + parseInt(delta, 36)) : [];
  const ordered = recent.every((sequence, i) => sequence > (i === 0 ? floor : recent[i - 1]!) && Number.isSafeInteger(sequence));
  return ordered ? { floor, recent } : undefined;
}
