import { ChangeStateStore } from './store/changeStateStore.js';
import { ChangeVersionStore } from './store/changeVersionStore.js';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import { ChunkStore } from './store/chunkStore.js';
import { PipelineStore } from './store/pipelineStore.js';
import { QueryStore } from './store/queryStore.js';
import { RunStore } from './store/runStore.js';
import { RunIndexStore } from './store/runIndexStore.js';
import { WatermarkStore } from './store/watermarkStore.js';
import { SchemaStore } from './store/schemaStore.js';
import { LeaseStore } from './store/leaseStore.js';
import { RunEventStore } from './store/runEventStore.js';
import { dataStorage, hostStorage, readSettings, type Settings } from './settings.js';
import { createBlobServiceClient, createQueueServiceClient, createTableClient } from './storageClients.js';
import { openSource } from './sources/openSource.js';
import type { SourceConnector } from './sources/sourceConnector.js';
import type { PipelineSpec } from './spec/pipelineSpec.js';
import { createTableIfNotExists } from './store/tableErrors.js';
import { NotificationStore } from './store/notificationStore.js';
import { SourceSlotStore } from './store/sourceSlotStore.js';
import { RunTableStore } from './store/runTableStore.js';

/** Everything a handler reaches outside itself, built once per process from the app settings. */
export type Services = {
  settings: Settings;
  pipelines: PipelineStore;
  /** Query jobs' synthetic pipelines (POST /api/queries), beside the pipelines but never listed with them. */
  queries: QueryStore;
  runs: RunStore;
  /** Runs of all pipelines by day, written by `runs` beside every run record (see RunStore). */
  runIndex: RunIndexStore;
  chunks: ChunkStore;
  watermarks: WatermarkStore;
  /** Each pipeline's output schema of its last successful run, and the earlier ones (entities beside the watermark). */
  schemas: SchemaStore;
  /** Each change-capture pipeline's current change state (capture/), an entity beside the watermark. */
  changeStates: ChangeStateStore;
  /** Each changeTracking or cdc pipeline's position in its engine's change table (capture/), beside the watermark. */
  changeVersions: ChangeVersionStore;
  leases: LeaseStore;
  /** Each source's session semaphore (source.maxSessions), shared by every process of the app. */
  sourceSlots: SourceSlotStore;
  runEvents: RunEventStore;
  /** The tables of many-table runs, and the tables each such pipeline has seen (tables/). */
  runTables: RunTableStore;
  jobQueue: QueueClient;
  poisonQueue: QueueClient;
  /** Notifications waiting to be posted (notify/deliverNotification.ts), and their delivery state. */
  notificationQueue: QueueClient;
  notifications: NotificationStore;
  dataBlobs: BlobServiceClient;
  openSource: (source: PipelineSpec['source']) => Promise<SourceConnector>;
  now: () => Date;
};

export const tableNames = (settings: Settings) => ({
  pipelines: `${settings.SIPHON_TABLE_PREFIX}Pipelines`,
  runs: `${settings.SIPHON_TABLE_PREFIX}Runs`,
  chunks: `${settings.SIPHON_TABLE_PREFIX}Chunks`,
  watermarks: `${settings.SIPHON_TABLE_PREFIX}Watermarks`,
  leases: `${settings.SIPHON_TABLE_PREFIX}Leases`,
  runIndex: `${settings.SIPHON_TABLE_PREFIX}RunIndex`,
  runEvents: `${settings.SIPHON_TABLE_PREFIX}RunEvents`,
  notifications: `${settings.SIPHON_TABLE_PREFIX}Notifications`,
  sourceSlots: `${settings.SIPHON_TABLE_PREFIX}SourceSlots`,
  runTables: `${settings.SIPHON_TABLE_PREFIX}RunTables`,
});

let services: Promise<Services> | undefined;

/** The process's services; tables and queues are created on first use (cheap when they exist). */
export function getServices(): Promise<Services> {
  services ??= createServices(readSettings()).catch((err: unknown) => {
    services = undefined;
    throw err;
  });
  return services;
}

/** Forgets the cached services, for a process that changes its settings (tests, the local runtime). */
export function resetServices(): void {
  services = undefined;
}

async function createServices(settings: Settings): Promise<Services> {
  const host = hostStorage(settings);
  const names = tableNames(settings);
  const tables = {
    pipelines: createTableClient(host, names.pipelines),
    runs: createTableClient(host, names.runs),
    chunks: createTableClient(host, names.chunks),
    watermarks: createTableClient(host, names.watermarks),
    leases: createTableClient(host, names.leases),
    runIndex: createTableClient(host, names.runIndex),
    runEvents: createTableClient(host, names.runEvents),
    notifications: createTableClient(host, names.notifications),
    sourceSlots: createTableClient(host, names.sourceSlots),
    runTables: createTableClient(host, names.runTables),
  };
  const queues = createQueueServiceClient(host);
  const jobQueue = queues.getQueueClient(settings.SIPHON_JOB_QUEUE);
  const poisonQueue = queues.getQueueClient(`${settings.SIPHON_JOB_QUEUE}-poison`);
  const notificationQueue = queues.getQueueClient(settings.SIPHON_NOTIFICATION_QUEUE);
  await Promise.all([
    ...Object.values(tables).map(createTableIfNotExists),
    jobQueue.createIfNotExists(),
    poisonQueue.createIfNotExists(),
    notificationQueue.createIfNotExists(),
    // Where the host moves a message whose sender kept throwing (storage errors, not targets).
    queues.getQueueClient(`${settings.SIPHON_NOTIFICATION_QUEUE}-poison`).createIfNotExists(),
  ]);
  const runIndex = new RunIndexStore(tables.runIndex);
  return {
    settings,
    pipelines: new PipelineStore(tables.pipelines),
    queries: new QueryStore(tables.pipelines),
    runs: new RunStore(tables.runs, runIndex),
    runIndex,
    chunks: new ChunkStore(tables.chunks),
    watermarks: new WatermarkStore(tables.watermarks),
    schemas: new SchemaStore(tables.watermarks),
    changeStates: new ChangeStateStore(tables.watermarks),
    changeVersions: new ChangeVersionStore(tables.watermarks),
    leases: new LeaseStore(tables.leases),
    sourceSlots: new SourceSlotStore(tables.sourceSlots),
    runEvents: new RunEventStore(tables.runEvents),
    runTables: new RunTableStore(tables.runTables),
    jobQueue,
    poisonQueue,
    notificationQueue,
    notifications: new NotificationStore(tables.notifications),
    dataBlobs: createBlobServiceClient(dataStorage(settings)),
    openSource,
    now: () => new Date(),
  };
}
