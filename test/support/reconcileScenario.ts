import { expect } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { getServices, resetServices, tableNames, type Services } from '../../src/services.js';
import { enqueueRun } from '../../src/jobs/enqueueRun.js';
import { newRunId } from '../../src/jobs/runId.js';
import { prepareRun } from '../../src/orchestration/prepareRun.js';
import { copyChunkActivity } from '../../src/orchestration/copyChunkActivity.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { ChunkStore } from '../../src/store/chunkStore.js';
import type { SourceConnector } from '../../src/sources/sourceConnector.js';
import { readSettings } from '../../src/settings.js';
import { testSourceSetting } from './testEnvironment.js';

/**
 * Reconciliation scenarios shared by the per-engine test files (reconcile<Engine>.test.ts):
 * pipelines over `recon` (id bigint key, 600 rows, 3 chunks of 200: past the 147 rows at which a 64-bit product of a per-row constant and a count would overflow) whose chunks are copied by
 * copyChunkActivity itself, attempt by attempt as the orchestrator would try them, with the
 * source connector wrapped to inject a fault. Chunk records are read back with a fresh Table
 * Storage client, never from the activity's own answer.
 */
export const reconRows = 600;
export const formats = ['parquet', 'csv', 'jsonl', 'delta'] as const;

export type Fault = {
  /** Changes a batch as the source gave it, before Siphon's checksum and encoder see it. */
  onBatch?: (rows: unknown[][]) => void;
  /** Runs before the source computes the chunk's checksum (after or during the read). */
  beforeChecksum?: () => Promise<void>;
};

export async function reconcileServices(azuriteConnectionString: string, sourceUrl: string): Promise<Services> {
  process.env.AzureWebJobsStorage = azuriteConnectionString;
  process.env[testSourceSetting] = sourceUrl;
  resetServices();
  return getServices();
}

/** The services with every source the activity opens wrapped by the fault (the read's and the checksum's sessions). */
export function faulted(services: Services, fault: Fault): Services {
  return {
    ...services,
    openSource: async (source) => {
      const connector = await services.openSource(source);
      const wrapped = Object.create(connector) as SourceConnector & { chunkChecksum: (request: unknown) => Promise<unknown> };
      wrapped.readChunk = async function* (request) {
        for await (const batch of connector.readChunk(request)) {
          fault.onBatch?.(batch);
          yield batch;
        }
      };
      const original = (connector as unknown as { chunkChecksum: (request: unknown) => Promise<unknown> }).chunkChecksum.bind(connector);
      wrapped.chunkChecksum = async (request) => {
        await fault.beforeChecksum?.();
        return original(request);
      };
      return wrapped;
    },
  };
}

/** Creates and prepares a run of a pipeline over `recon` in the given format; the chunks are left planned. */
export async function preparedRun(services: Services, engine: 'postgres' | 'mysql' | 'sqlserver', id: string, format: (typeof formats)[number], maxAttempts: number, sourceFields: Record<string, unknown> = {}) {
  const spec = pipelineSpecSchema.parse({
    id,
    source: { engine, connectionSetting: testSourceSetting, ...sourceFields },
    table: { name: 'recon' },
    chunking: { column: 'id', chunks: 3, strategy: 'equalWidth' },
    output: { container: 'recon', format },
    retry: { maxAttempts, firstDelaySeconds: 0.1 },
  });
  const created = await services.pipelines.create(spec, new Date());
  const runId = newRunId(new Date());
  await enqueueRun(services, { runId, pipelineId: id, reason: 'manual', options: {}, attempt: 0 }, created!.generation);
  const plan = await prepareRun(services, { pipelineId: id, runId });
  expect(plan.chunkCount).toBeGreaterThanOrEqual(3);
  // `slotted`: the chunk takes a slot of the source's sessions (source.maxSessions) as the orchestrator's chunks do, so it holds one session.
  return { runId, copy: (chunk: number, attempt: number, with_: Services, slotted = false) => copyChunkActivity(with_, { pipelineId: id, runId, chunk, attempt, ...(slotted ? { sourceSlot: 'try' as const } : {}) }) };
}

/** The chunk record as a fresh Table Storage client reads it. */
export async function storedChunk(azuriteConnectionString: string, runId: string, chunk: number) {
  const table = TableClient.fromConnectionString(azuriteConnectionString, tableNames(readSettings()).chunks, { allowInsecureConnection: true });
  return new ChunkStore(table).get(runId, chunk);
}

/** The chunk (1, keys 201..400) that the faults touch: a row in its middle. */
export const faultedKey = 300;

/** Changes the `note` of row faultedKey in a batch, as a decoding bug would. */
export function tamper(rows: unknown[][]): void {
  for (const row of rows) if (Number(row[0]) === faultedKey) row[2] = `${String(row[2])} (tampered)`;
}
