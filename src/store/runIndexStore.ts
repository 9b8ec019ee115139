import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { RunStatus } from '../spec/runStatus.js';
import { hasStatus } from './tableErrors.js';
import { runIdSchema } from '../spec/jobMessage.js';
import { pipelineIdSchema } from '../spec/pipelineSpec.js';

/**
 * The index of runs across pipelines, for `GET /api/runs`. Runs themselves are partitioned by
 * pipeline (a pipeline's runs are one partition query); listing all of them newest first needs a
 * second layout. One entry per run, partitioned by the UTC day of the run's id time (`20261207`), so
 * writes spread over days instead of one hot partition, and a day is one partition query; within a
 * day the row key is the run's row key (time digits inverted, see runRowKey) plus its pipeline, so
 * a partition lists newest first and two pipelines' runs never share a key.
 *
 * An entry carries the run's status and times as a hint only: the run record is the truth. The
 * listing reads the record of every run it answers with and rewrites an entry whose hint is stale.
 *
 * Which days have entries is kept in marker rows (partition `days`, row key the day), written
 * before the day's first entry, so a listing visits only days that have runs instead of probing
 * every day of its range.
 */
export type RunIndexEntry = {
  day: string;
  rowKey: string;
  pipelineId: string;
  runId: string;
  status: RunStatus;
  requestedAt: string;
  endedAt?: string;
  etag: string;
};

/** What an entry is made from: the run record's identity and its hint fields. */
export type IndexedRun = { pipelineId: string; runId: string; status: RunStatus; requestedAt: string; endedAt?: string };

const daysPartition = 'days';

/** Where the backfill of runs recorded before the index existed keeps its progress (see backfillRunIndex). */
const backfillKey = { partitionKey: 'meta', rowKey: 'backfill' };
export type BackfillProgress = { done: boolean; afterPipelineId?: string; afterRowKey?: string };

/** `yyyymmdd` of a run id (`20261207T093000Z-1a2b3c4d`): the UTC day its time falls on. */
export const runIdDay = (runId: string): string => runId.slice(0, 8);

/** The UTC day of a time, as the index's partition keys spell it. */
export const dayOf = (time: Date): string => time.toISOString().slice(0, 10).replace(/-/g, '');

/** Inverted digits of a time to the second, as run row keys start (see runRowKey). */
export function invertedTime(time: Date): string {
  const digits = time.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return [...digits].map((d) => String(9 - Number(d))).join('');
}

export function runIndexRowKey(pipelineId: string, runId: string): string {
  const digits = runId.slice(0, 8) + runId.slice(9, 15);
  return `${[...digits].map((d) => String(9 - Number(d))).join('')}-${runId}_${pipelineId}`;
}

/**
 * The run and pipeline an index row key names, if it is one the index makes (checked against the
 * id schemas and by making the key again): what a continuation token may carry back.
 */
export function parseRunIndexRowKey(rowKey: string): { pipelineId: string; runId: string } | undefined {
  const separator = rowKey.lastIndexOf('_');
  const runId = runIdSchema.safeParse(rowKey.slice(15, separator));
  const pipelineId = pipelineIdSchema.safeParse(rowKey.slice(separator + 1));
  if (separator < 0 || !runId.success || !pipelineId.success) return undefined;
  return runIndexRowKey(pipelineId.data, runId.data) === rowKey ? { pipelineId: pipelineId.data, runId: runId.data } : undefined;
}

const entitySchema = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  pipelineId: z.string(),
  runId: z.string(),
  status: z.enum(Object.values(RunStatus) as [RunStatus, ...RunStatus[]]),
  requestedAt: z.string(),
  endedAt: z.string().nullish(),
  etag: z.string(),
});

export class RunIndexStore {
  /** Days whose marker this process wrote: each is written once per process, not once per run. */
  private readonly markedDays = new Set<string>();

  constructor(private readonly table: TableClient) {}

  /** Writes (or rewrites) the run's entry; idempotent, so every write of a run can repeat it. */
  async write(run: IndexedRun): Promise<void> {
    const day = runIdDay(run.runId);
    if (!this.markedDays.has(day)) {
      await this.table.upsertEntity({ partitionKey: daysPartition, rowKey: day }, 'Replace');
      this.markedDays.add(day);
    }
    await this.table.upsertEntity(toEntity(run), 'Replace');
  }

  /**
   * Writes the run's entry only if it has none: the backfill must not replace an entry a writer
   * made meanwhile with a hint from an older read. True when it wrote one.
   */
  async writeIfMissing(run: IndexedRun): Promise<boolean> {
    const day = runIdDay(run.runId);
    if (!this.markedDays.has(day)) {
      await this.table.upsertEntity({ partitionKey: daysPartition, rowKey: day }, 'Replace');
      this.markedDays.add(day);
    }
    try {
      await this.table.createEntity(toEntity(run));
      return true;
    } catch (err) {
      if (hasStatus(err, 409)) return false;
      throw err;
    }
  }

  async backfillProgress(): Promise<BackfillProgress> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(backfillKey.partitionKey, backfillKey.rowKey);
      return { done: row.done === true, afterPipelineId: typeof row.afterPipelineId === 'string' ? row.afterPipelineId : undefined, afterRowKey: typeof row.afterRowKey === 'string' ? row.afterRowKey : undefined };
    } catch (err) {
      if (hasStatus(err, 404)) return { done: false };
      throw err;
    }
  }

  async saveBackfillProgress(progress: BackfillProgress): Promise<void> {
    await this.table.upsertEntity({ ...backfillKey, done: progress.done, ...(progress.afterPipelineId === undefined ? {} : { afterPipelineId: progress.afterPipelineId, afterRowKey: progress.afterRowKey }) }, 'Replace');
  }

  /**
   * Rewrites a stale entry from the run record, only if the entry is still the one the listing
   * read (`etag`): a writer that updated it meanwhile wrote a newer hint, which must not be
   * replaced with an older truth. False when the entry changed or went away.
   */
  async repair(entry: RunIndexEntry, run: IndexedRun): Promise<boolean> {
    try {
      await this.table.updateEntity(toEntity(run), 'Replace', { etag: entry.etag });
      return true;
    } catch (err) {
      if (hasStatus(err, 404, 412)) return false;
      throw err;
    }
  }

  /** Removes an entry (unconditionally, or only if still at `etag`); gone already is fine. */
  async remove(pipelineId: string, runId: string, etag?: string): Promise<void> {
    try {
      await this.table.deleteEntity(runIdDay(runId), runIndexRowKey(pipelineId, runId), etag ? { etag } : {});
    } catch (err) {
      if (!hasStatus(err, 404, 412)) throw err;
    }
  }

  /** The days from `fromDay` to `toDay` (inclusive) that have entries, newest first: one partition query. */
  async listDays(fromDay: string, toDay: string): Promise<string[]> {
    const days: string[] = [];
    const filter = odata`PartitionKey eq ${daysPartition} and RowKey ge ${fromDay} and RowKey le ${toDay}`;
    for await (const marker of this.table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) days.push(String(marker.rowKey));
    return days.sort().reverse();
  }

  /**
   * One day's entries newest first, page by page as the service returns them: after `afterRowKey`
   * (exclusive) when given, and with row keys from `fromRowKey` (inclusive) up to `toRowKey`
   * (exclusive). `more` says whether the service has another page.
   */
  async *scanDay(day: string, range: { afterRowKey?: string; fromRowKey: string; toRowKey: string }, pageSize: number): AsyncGenerator<{ entries: RunIndexEntry[]; more: boolean }> {
    let filter = odata`PartitionKey eq ${day} and RowKey ge ${range.fromRowKey} and RowKey lt ${range.toRowKey}`;
    if (range.afterRowKey !== undefined) filter += ` and ${odata`RowKey gt ${range.afterRowKey}`}`;
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: pageSize });
    for await (const page of pages) {
      yield { entries: page.map(fromEntity), more: Boolean(page.continuationToken) };
    }
  }
}

function toEntity(run: IndexedRun): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  return {
    partitionKey: runIdDay(run.runId),
    rowKey: runIndexRowKey(run.pipelineId, run.runId),
    pipelineId: run.pipelineId,
    runId: run.runId,
    status: run.status,
    requestedAt: run.requestedAt,
    ...(run.endedAt === undefined ? {} : { endedAt: run.endedAt }),
  };
}

function fromEntity(raw: Record<string, unknown>): RunIndexEntry {
  const entity = entitySchema.parse(raw);
  return { day: entity.partitionKey, rowKey: entity.rowKey, pipelineId: entity.pipelineId, runId: entity.runId, status: entity.status, requestedAt: entity.requestedAt, endedAt: entity.endedAt ?? undefined, etag: entity.etag };
}
