import { z } from 'zod';

/**
 * An ISO 8601 duration of fixed-length units only: weeks, days, hours, minutes, seconds
 * (`PT30M`, `P1D`, `P1DT12H`, `P2W`). Months and years are refused: "P1M" has no length in
 * milliseconds, and the things measured with these (how late a run is, an alert's window) are
 * spans of time, not calendar steps. Days are 24 hours. A dozen lines of regex instead of a
 * dependency: a library's value is the calendar arithmetic, which this refuses on purpose.
 */
const pattern = /^P(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?$/;

export function durationInMs(text: string): number | undefined {
  const match = pattern.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match.map((part) => Number(part ?? 0));
  const ms = ((((weeks! * 7 + days!) * 24 + hours!) * 60 + minutes!) * 60 + seconds!) * 1000;
  return ms > 0 ? ms : undefined;
}

/** A spec field holding such a duration, at least a minute and at most a year. */
export const fixedDurationSchema = z
  .string()
  .max(40)
  .refine((text) => {
    const ms = durationInMs(text);
    return ms !== undefined && ms >= 60_000 && ms <= 366 * 86_400_000;
  }, 'an ISO 8601 duration in weeks, days, hours, minutes or seconds between PT1M and P366D, e.g. PT30M, P1D, P1DT12H (months and years have no fixed length)');
