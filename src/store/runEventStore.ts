import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { hasStatus } from './tableErrors.js';
import { scrubSecrets } from '../errors/scrubSecrets.js';
import { capMessage } from '../errors/capMessage.js';

/**
 * A run's timeline: what happened to it, in order, as the API and the live views show it. The
 * customEvents of observability/runEvents.ts are for KQL (Application Insights); this table is what people read.
 */
export const RunEventType = {
  queued: 'queued',
  started: 'started',
  prepared: 'prepared',
  /** The plan expects a chunk to take longer than its time budget (copy/chunkBudget.ts): `message` says by how much and what to change. */
  planWarning: 'planWarning',
  /** A chunk waits for a session on its source (all of source.maxSessions are in use): `ahead` waiters before it, `maxSessions`. Once per chunk attempt. */
  waitingForSource: 'waitingForSource',
  chunkStarted: 'chunkStarted',
  chunkRetried: 'chunkRetried',
  chunkDone: 'chunkDone',
  chunkFailed: 'chunkFailed',
  chunkStopped: 'chunkStopped',
  drift: 'drift',
  /** The quality checks' results (quality/checkRunQuality.ts): counts by outcome, `message`, and `checks` as JSON. */
  quality: 'quality',
  cancelled: 'cancelled',
  finished: 'finished',
  watermarkReset: 'watermarkReset',
  /** A Delta run's commit: `version`, files `added`, `removed` and `rewritten` (by a merge). */
  deltaCommitted: 'deltaCommitted',
  /** The vacuum after a Delta run's commit: files `deleted`, or the `error` that stopped it (the run has succeeded either way). */
  deltaVacuumed: 'deltaVacuumed',
  /** A notification that could not be queued, or whose target failed every try (notify/): `target`, `event`, `attempts`, `error` (setting values hidden). */
  notificationFailed: 'notificationFailed',
} as const;
export type RunEventType = (typeof RunEventType)[keyof typeof RunEventType];

/** The fields an event may carry beside its type; small, flat values only (the entity is one row). */
export type RunEventFields = Record<string, string | number | boolean | undefined>;

/** What a writer gives: the event, and the key that makes writing it twice a no-op. */
export type NewRunEvent = { type: RunEventType; key: string; at?: Date; fields?: RunEventFields };

export const storedRunEventSchema = z
  .object({ sequence: z.number().int().nonnegative(), at: z.string(), type: z.enum(Object.values(RunEventType) as [RunEventType, ...RunEventType[]]) })
  .catchall(z.union([z.string(), z.number(), z.boolean()]));
export type StoredRunEvent = z.infer<typeof storedRunEventSchema>;

/** The partition of events that belong to a pipeline rather than to one of its runs (a watermark reset). */
export function pipelineEventPartition(pipelineId: string): string {
  return `pipeline:${pipelineId}`;
}

/**
 * A sequence is the writer's clock in milliseconds times 1,000 plus a hash of the event key (16
 * digits, a safe integer), so events sort by time of writing, and two written in the same
 * millisecond rarely meet (when they do, the later takes the next number). Why not a counter
 * under ETag: every chunk's events would contend for one entity (16 activities at once in a large
 * run), each append costing two more round trips and retries; and a counter orders events by
 * when they took a number, no better than a clock. Not dense: readers page with
 * `after=<sequence>`. The row key is the sequence zero-padded to 16 digits; markers
 * (`key:<event key>`) sort after every sequence, since `k` > `9`.
 */
const sequenceDigits = 16;
const markerPrefix = 'key:';
const maxErrorChars = 2_000;

function sequenceFor(at: Date, key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) % 1_000;
  return at.getTime() * 1_000 + hash;
}

export function sequenceRowKey(sequence: number): string {
  return String(sequence).padStart(sequenceDigits, '0');
}

/** Row keys are at most 1 KiB and may not hold / \ # ? or control characters. */
function markerRowKey(key: string): string {
  return markerPrefix + key.replace(/[/\\#?\u0000-\u001f\u007f]/g, '_').slice(0, 500);
}

export type RunEventPage = { events: StoredRunEvent[]; continuationToken?: string };

export class RunEventStore {
  constructor(private readonly table: TableClient) {}

  /**
   * Appends an event once per (partition, key): the event row and a marker row named by the key
   * go in one entity-group transaction, so either both are written or neither; a second append
   * with the same key finds the marker and writes nothing (an activity the host ran twice).
   * Returns false when the event was there already.
   */
  async append(partition: string, event: NewRunEvent): Promise<boolean> {
    const at = event.at ?? new Date();
    const fields = Object.fromEntries(
      Object.entries(event.fields ?? {})
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => [name, name === 'error' && typeof value === 'string' ? capMessage(scrubSecrets(value), maxErrorChars) : value]),
    );
    const marker = markerRowKey(event.key);
    for (let sequence = sequenceFor(at, event.key), tries = 0; ; sequence++, tries++) {
      const rowKey = sequenceRowKey(sequence);
      try {
        await this.table.submitTransaction([
          ['create', { partitionKey: partition, rowKey: marker, sequence: rowKey }],
          ['create', { partitionKey: partition, rowKey, ...fields, type: event.type, at: at.toISOString(), key: event.key }],
        ]);
        return true;
      } catch (err) {
        if (!hasStatus(err, 409)) throw err;
        // Which row was there: the marker (a repeat, done) or only the sequence (a collision, next number).
        if (await this.exists(partition, marker)) return false;
        if (tries >= 20) throw new Error(`Run events of ${partition}: no free sequence for ${event.key} after ${tries} tries`);
      }
    }
  }

  /**
   * A page of events in sequence order, after `after` (exclusive) when given. The continuation
   * token is the last sequence of the page: the next page is the events after it.
   */
  async list(partition: string, options: { limit: number; after?: number }): Promise<RunEventPage> {
    const from = options.after === undefined ? undefined : sequenceRowKey(options.after);
    const filter = [`PartitionKey eq '${partition.replace(/'/g, "''")}'`, `RowKey lt '${markerPrefix}'`, ...(from ? [`RowKey gt '${from}'`] : [])].join(' and ');
    const events: StoredRunEvent[] = [];
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(options.limit + 1, 1000) });
    for await (const page of pages) {
      for (const entity of page) {
        if (events.length === options.limit) return { events, continuationToken: String(events[events.length - 1]!.sequence) };
        events.push(toEvent(entity));
      }
    }
    return { events };
  }

  /** Deletes a partition's events and markers (a purged run's history), 100 a transaction; returns how many events went. */
  async deleteAll(partition: string): Promise<number> {
    let events = 0;
    const filter = `PartitionKey eq '${partition.replace(/'/g, "''")}'`;
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey'] } }).byPage({ maxPageSize: 100 });
    for await (const page of pages) {
      const rowKeys = page.map((entity) => String(entity.rowKey));
      if (rowKeys.length === 0) continue;
      await this.table.submitTransaction(rowKeys.map((rowKey) => ['delete', { partitionKey: partition, rowKey }]));
      events += rowKeys.filter((rowKey) => !rowKey.startsWith(markerPrefix)).length;
    }
    return events;
  }

  private async exists(partition: string, rowKey: string): Promise<boolean> {
    try {
      await this.table.getEntity(partition, rowKey);
      return true;
    } catch (err) {
      if (hasStatus(err, 404)) return false;
      throw err;
    }
  }
}

function toEvent(entity: Record<string, unknown>): StoredRunEvent {
  const { partitionKey: _p, rowKey, timestamp: _t, etag: _e, 'odata.etag': _o, key: _key, ...fields } = entity;
  return storedRunEventSchema.parse({ ...fields, sequence: Number(rowKey) });
}

/** Appends an event to a run's timeline (see RunEventStore.append); false when it was there already. */
export function appendRunEvent(services: { runEvents: RunEventStore }, runId: string, event: NewRunEvent): Promise<boolean> {
  return services.runEvents.append(runId, event);
}
