import { terminalRunStatuses, type RunStatus } from '../spec/runStatus.js';
import { runIdTime } from '../jobs/runId.js';
import { dayOf, invertedTime, type RunIndexEntry, type RunIndexStore } from './runIndexStore.js';
import type { RunStore, StoredRun } from './runStore.js';

export type RunFilters = {
  /** Only runs with one of these statuses. */
  statuses?: readonly RunStatus[];
  pipelineId?: string;
  /** Runs whose id time (when they were requested) is at or after `since` and before `until`. */
  since: Date;
  until?: Date;
};

/**
 * Where a page stopped: every run newer than this has been considered. `rowKey` is the last
 * entry looked at on `day`; without it the whole day was.
 */
export type IndexPosition = { day: string; rowKey?: string };

/** What one request may do before it answers with what it has: index queries (days and pages) and index entries looked at. */
export type ListBudget = { queries: number; entries: number };

export const defaultListBudget: ListBudget = { queries: 50, entries: 10_000 };

export type RunsAcrossPipelinesPage =
  | { runs: StoredRun[]; next?: IndexPosition; busy?: false }
  /** The budget went without a single entry looked at (the service kept answering empty pages): try again. */
  | { runs: []; busy: true };

type Stores = { runs: RunStore; index: RunIndexStore; now: () => Date };

/** Runs whose entry is this much older than now and whose record is missing are dropped from the index (see below). */
const orphanAgeInMs = 60 * 60 * 1000;

/** How many run records are read at once. */
const readConcurrency = 16;

/**
 * One page of runs of all pipelines, newest first, from the run index (RunIndexStore).
 *
 * Days are visited newest first (only days that have entries), and each day's entries newest
 * first. An entry is a candidate when its pipeline matches and, with a status filter, its hinted
 * status matches or is not terminal: the hint can lag the record only when an index write was lost,
 * and a run moves from a non-terminal status to a terminal one, so a run whose record has a
 * matching status and whose hint is stale almost always has a non-terminal hint (a lost write from
 * one terminal status to another, which only a retry of a retry can make, is mended by the run's
 * next write or by any listing without a status filter). Every candidate's record is read: the
 * record, not the hint, decides whether it is listed and is what the page shows; a stale hint is
 * rewritten (only if the entry did not change meanwhile), and an entry whose record does not exist
 * (a create that failed after its entry was written, or a deleted run) is skipped, and removed once
 * it is an hour old (a create in progress has its record within moments).
 *
 * The page fills up before it answers: it keeps reading entries, pages and days until it has
 * `limit` runs or the range is exhausted, so a sparse filter never answers with a short page while
 * more matches exist. That work is bounded by `budget`; when the budget runs out first, the page
 * answers with what it has (possibly nothing) and a position after the last entry it looked at (or
 * the last day it finished). That position is always strictly past where the request started, since
 * the budget is counted only once at least one entry was looked at or a day finished; so a page
 * that is empty and has a token still moved the listing forward, and following tokens always ends.
 * Should the budget go with no progress at all (the service answering only empty pages), the answer
 * is `busy` rather than a token that points where the request began.
 *
 * The token is absent only when the range is exhausted: a full page whose last run was the last
 * match also ends the listing when that is known (its entry was the last of the range).
 */
export async function listRunsAcrossPipelines(stores: Stores, filters: RunFilters, limit: number, after?: IndexPosition, budget: ListBudget = defaultListBudget): Promise<RunsAcrossPipelinesPage> {
  const toDay = filters.until ? dayOf(filters.until) : '99991231';
  let days = await stores.index.listDays(dayOf(filters.since), toDay);
  if (after) days = days.filter((day) => day < after.day || (day === after.day && after.rowKey !== undefined));
  // Row keys start with the run time inverted: newer runs have smaller keys.
  const fromRowKey = filters.until ? invertedTime(filters.until) : '';
  const toRowKey = `${invertedTime(filters.since)}.`;

  const runs: StoredRun[] = [];
  let queries = 1;
  let entriesSeen = 0;
  let position: IndexPosition | undefined = after;
  let progressed = false;
  const budgetSpent = () => progressed && (queries >= budget.queries || entriesSeen >= budget.entries);

  for (const [dayIndex, day] of days.entries()) {
    const afterRowKey = after && day === after.day ? after.rowKey : undefined;
    for await (const page of stores.index.scanDay(day, { afterRowKey, fromRowKey, toRowKey }, 1000)) {
      queries++;
      const lastOfRange = !page.more && dayIndex === days.length - 1;
      for (let start = 0; start < page.entries.length; ) {
        // Read records for a slice of the page at a time: no more than the page still needs.
        const { slice, end } = nextSlice(page.entries, start, filters, Math.max(limit - runs.length, readConcurrency));
        const records = await readRecords(stores, slice.filter((entry) => isCandidate(entry, filters)));
        for (const entry of slice) {
          entriesSeen++;
          progressed = true;
          position = { day, rowKey: entry.rowKey };
          const run = records.get(entry.rowKey);
          if (!run) continue;
          if (!matches(run, filters)) continue;
          runs.push(run);
          if (runs.length === limit) {
            const isLast = lastOfRange && entry === page.entries[page.entries.length - 1];
            return isLast ? { runs } : { runs, next: position };
          }
        }
        start = end;
      }
      // At the end of a day the day's own position (below) is the better place to stop.
      if (budgetSpent() && page.more) return { runs, next: position };
      if (!progressed && queries >= budget.queries) return { runs: [], busy: true };
    }
    position = { day };
    progressed = true;
    if (budgetSpent() && dayIndex < days.length - 1) return { runs, next: position };
  }
  return { runs };
}

/** Entries from `start` up to `count` candidates (and the non-candidates among them). */
function nextSlice(entries: RunIndexEntry[], start: number, filters: RunFilters, count: number): { slice: RunIndexEntry[]; end: number } {
  let end = start;
  let candidates = 0;
  while (end < entries.length && candidates < count) {
    if (isCandidate(entries[end]!, filters)) candidates++;
    end++;
  }
  return { slice: entries.slice(start, end), end };
}

function isCandidate(entry: RunIndexEntry, filters: RunFilters): boolean {
  if (filters.pipelineId !== undefined && entry.pipelineId !== filters.pipelineId) return false;
  if (!inRange(entry.runId, filters)) return false;
  return !filters.statuses || filters.statuses.includes(entry.status) || !terminalRunStatuses.has(entry.status);
}

function inRange(runId: string, filters: RunFilters): boolean {
  const time = runIdTime(runId).getTime();
  return time >= filters.since.getTime() && (!filters.until || time < filters.until.getTime());
}

function matches(run: StoredRun, filters: RunFilters): boolean {
  return (!filters.statuses || filters.statuses.includes(run.status)) && (filters.pipelineId === undefined || run.pipelineId === filters.pipelineId);
}

/**
 * The records of the candidates, keyed by entry row key, with the index mended on the way: a
 * stale hint rewritten, an old entry without a record removed.
 */
async function readRecords(stores: Stores, entries: RunIndexEntry[]): Promise<Map<string, StoredRun>> {
  const records = new Map<string, StoredRun>();
  for (let i = 0; i < entries.length; i += readConcurrency) {
    await Promise.all(
      entries.slice(i, i + readConcurrency).map(async (entry) => {
        const run = await stores.runs.getSummary(entry.pipelineId, entry.runId);
        if (!run) {
          if (stores.now().getTime() - runIdTime(entry.runId).getTime() > orphanAgeInMs) await stores.index.remove(entry.pipelineId, entry.runId, entry.etag);
          return;
        }
        if (run.status !== entry.status || run.requestedAt !== entry.requestedAt || run.endedAt !== entry.endedAt) await stores.index.repair(entry, run);
        records.set(entry.rowKey, run);
      }),
    );
  }
  return records;
}
