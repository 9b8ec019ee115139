import type { TableClient, TransactionAction } from '@azure/data-tables';
import { createTableIfNotExists, hasStatus } from '../../store/tableErrors.js';
import { capMessage } from '../../errors/capMessage.js';
import { EventType, reviveEvent, type HistoryEvent } from './historyEvents.js';

export type InstanceStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated';

export type InstanceRecord = {
  instanceId: string;
  name: string;
  status: InstanceStatus;
  input: unknown;
  output?: unknown;
  error?: string;
  /** The error's type (its name) when the instance failed; a parent's failure event carries it. */
  errorType?: string;
  /** A sub-orchestration's parent and the sequence id of the parent's task it answers. */
  parentInstanceId?: string;
  parentTaskId?: number;
  createdAt: string;
  updatedAt: string;
};

export const isTerminal = (status: InstanceStatus): boolean => status === 'Completed' || status === 'Failed' || status === 'Terminated';

/**
 * A Table Storage string property holds 64 KiB (32K UTF-16 code units) and an entity 1 MiB, so an
 * event is stored as up to `maxEventParts` properties of `maxPropertyChars` each, in one entity
 * (one row per event keeps appends atomic). Durable in Azure moves large messages to blobs instead;
 * here an event above `maxEventChars` is refused with OversizeEventError, which the engine turns
 * into a failed task or a failed instance, never into a stuck one.
 */
export const maxPropertyChars = 30_000;
const maxEventParts = 15;
export const maxEventChars = maxPropertyChars * maxEventParts;
/**
 * An entity group transaction carries at most 4 MiB and 100 entities; a UTF-16 code unit is at
 * most 3 bytes of UTF-8, so a million characters leave room for the envelope.
 */
const maxTransactionChars = 1_000_000;
const instancesPartition = 'instance';

/** A history event too large for the store: the engine fails the task or the instance with it. */
export class OversizeEventError extends Error {
  override readonly name = 'OversizeEventError';
}

const partName = (index: number) => (index === 0 ? 'event' : `event${index}`);

/**
 * Orchestration instances and their histories in Table Storage: an instance is a point read, its
 * history a single-partition query, and appending is a batch transaction, so a process that is
 * killed and started again reads back exactly the events it had persisted.
 */
export class InstanceStore {
  constructor(private readonly instances: TableClient, private readonly history: TableClient) {}

  async ensureTables(): Promise<void> {
    await Promise.all([this.instances, this.history].map(createTableIfNotExists));
  }

  /** Creates the instance; false when it exists already. */
  async create(record: InstanceRecord): Promise<boolean> {
    try {
      await this.instances.createEntity(toEntity(record));
      return true;
    } catch (err) {
      if (hasStatus(err, 409)) return false;
      throw err;
    }
  }

  async get(instanceId: string): Promise<InstanceRecord | undefined> {
    try {
      return fromEntity(await this.instances.getEntity<Record<string, unknown>>(instancesPartition, instanceId));
    } catch (err) {
      if (hasStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async listActive(): Promise<InstanceRecord[]> {
    const records: InstanceRecord[] = [];
    const filter = `PartitionKey eq '${instancesPartition}' and (status eq 'Pending' or status eq 'Running')`;
    for await (const entity of this.instances.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) records.push(fromEntity(entity));
    return records;
  }

  async save(record: InstanceRecord): Promise<void> {
    await this.instances.upsertEntity(toEntity(record), 'Replace');
  }

  async loadHistory(instanceId: string): Promise<HistoryEvent[]> {
    const events: Array<{ sequence: number; event: HistoryEvent }> = [];
    const entities = this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${escape(instanceId)}'` } });
    for await (const entity of entities) events.push({ sequence: Number(entity.rowKey), event: reviveEvent(joinParts(entity)) });
    return events.sort((a, b) => a.sequence - b.sequence).map((item) => item.event);
  }

  /** Removes an instance's history, before the instance id is used again for a new instance. */
  async deleteHistory(instanceId: string): Promise<void> {
    const actions: TransactionAction[] = [];
    const entities = this.history.listEntities<{ partitionKey: string; rowKey: string }>({ queryOptions: { filter: `PartitionKey eq '${escape(instanceId)}'` } });
    for await (const entity of entities) actions.push(['delete', { partitionKey: instanceId, rowKey: entity.rowKey }]);
    for (let start = 0; start < actions.length; start += 100) {
      await this.history.submitTransaction(actions.slice(start, start + 100));
    }
  }

  /**
   * Appends events after the first `offset` ones, in transactions of at most 100 entities and
   * a million characters. Throws OversizeEventError, writing nothing, when one event is too large.
   */
  async appendHistory(instanceId: string, offset: number, events: HistoryEvent[]): Promise<void> {
    const rows = events.map((event, index) => {
      const json = JSON.stringify(event);
      if (json.length > maxEventChars) {
        throw new OversizeEventError(`Orchestration ${instanceId}: a history event (${eventLabel(event)}) of ${json.length.toLocaleString('en-US')} characters exceeds the local runtime's ${maxEventChars.toLocaleString('en-US')}; activity inputs and results must stay small`);
      }
      return { size: json.length, entity: { partitionKey: instanceId, rowKey: String(offset + index).padStart(10, '0'), ...splitParts(json) } };
    });
    let batch: TransactionAction[] = [];
    let batchSize = 0;
    for (const row of rows) {
      if (batch.length === 100 || (batch.length > 0 && batchSize + row.size > maxTransactionChars)) {
        await this.history.submitTransaction(batch);
        batch = [];
        batchSize = 0;
      }
      batch.push(['upsert', row.entity, 'Replace']);
      batchSize += row.size;
    }
    if (batch.length) await this.history.submitTransaction(batch);
  }
}

function splitParts(json: string): Record<string, string | number> {
  const parts: Record<string, string | number> = { parts: Math.max(1, Math.ceil(json.length / maxPropertyChars)) };
  for (let index = 0; index * maxPropertyChars < json.length || index === 0; index++) parts[partName(index)] = json.slice(index * maxPropertyChars, (index + 1) * maxPropertyChars);
  return parts;
}

/** Rows written before events were split have `event` only. */
function joinParts(entity: Record<string, unknown>): string {
  const count = typeof entity.parts === 'number' ? entity.parts : 1;
  let json = '';
  for (let index = 0; index < count; index++) json += String(entity[partName(index)] ?? '');
  return json;
}

function eventLabel(event: HistoryEvent): string {
  const name = typeof event.Name === 'string' ? ` ${event.Name}` : '';
  const type = Object.entries(EventType).find(([, value]) => value === event.EventType)?.[0] ?? `type ${event.EventType}`;
  return `${type}${name}`;
}

function escape(value: string): string {
  return value.replace(/'/g, "''");
}

function toEntity(record: InstanceRecord) {
  return {
    partitionKey: instancesPartition,
    rowKey: record.instanceId,
    name: record.name,
    status: record.status,
    input: JSON.stringify(record.input ?? null),
    output: JSON.stringify(record.output ?? null),
    // An error is one property; its start says what went wrong.
    error: capMessage(record.error ?? '', maxPropertyChars - 100),
    errorType: record.errorType ?? '',
    parentInstanceId: record.parentInstanceId ?? '',
    parentTaskId: record.parentTaskId ?? -1,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function fromEntity(entity: Record<string, unknown>): InstanceRecord {
  return {
    instanceId: String(entity.rowKey),
    name: String(entity.name),
    status: String(entity.status) as InstanceStatus,
    input: JSON.parse(String(entity.input)),
    output: JSON.parse(String(entity.output)),
    error: entity.error ? String(entity.error) : undefined,
    errorType: entity.errorType ? String(entity.errorType) : undefined,
    parentInstanceId: entity.parentInstanceId ? String(entity.parentInstanceId) : undefined,
    parentTaskId: entity.parentInstanceId ? Number(entity.parentTaskId) : undefined,
    createdAt: String(entity.createdAt),
    updatedAt: String(entity.updatedAt),
  };
}
