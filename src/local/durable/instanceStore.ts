import type { TableClient, TransactionAction } from '@azure/data-tables';
import { createTableIfNotExists, hasStatus } from '../../store/tableErrors.js';
import { reviveEvent, type HistoryEvent } from './historyEvents.js';

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

// A table property holds 64 KiB of UTF-16; staying under that keeps each event one property.
const maxEventChars = 30_000;
const instancesPartition = 'instance';

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
    const entities = this.history.listEntities<{ rowKey: string; event: string }>({ queryOptions: { filter: `PartitionKey eq '${escape(instanceId)}'` } });
    for await (const entity of entities) events.push({ sequence: Number(entity.rowKey), event: reviveEvent(entity.event) });
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

  /** Appends events after the first `offset` ones, in transactions of at most 100. */
  async appendHistory(instanceId: string, offset: number, events: HistoryEvent[]): Promise<void> {
    const actions: TransactionAction[] = events.map((event, index) => {
      const json = JSON.stringify(event);
      if (json.length > maxEventChars) throw new Error(`Orchestration ${instanceId}: a history event of ${json.length} characters exceeds ${maxEventChars}; activity inputs and results must stay small`);
      return ['upsert', { partitionKey: instanceId, rowKey: String(offset + index).padStart(10, '0'), event: json }, 'Replace'];
    });
    for (let start = 0; start < actions.length; start += 100) {
      await this.history.submitTransaction(actions.slice(start, start + 100));
    }
  }
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
    error: record.error ?? '',
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
