import { describe, expect, it } from 'vitest';
import { ContainerClient } from '@azure/storage-blob';
import { currentSchemaVersion, migrateOnRead, stampVersion } from '../../src/store/recordVersions.js';
import { deleteUnlistedFiles } from '../../src/sink/deleteUnlistedFiles.js';

describe('migrateOnRead', () => {
  it('takes an entity without schemaVersion as version 1 and runs it through the chain', () => {
    const migrated = migrateOnRead('run', { runId: 'r', status: 'failed' }, 'Run r');
    expect(migrated).toEqual({ runId: 'r', status: 'failed', attempt: 0, schemaVersion: currentSchemaVersion('run') });
  });

  it('leaves a current entity as it is', () => {
    const current = stampVersion('run', { runId: 'r', attempt: 3 });
    expect(migrateOnRead('run', current, 'Run r')).toEqual(current);
  });

  it('keeps what version 1 recorded over the defaults', () => {
    const migrated = migrateOnRead('pipeline', { updatedAt: '2026-02-01T00:00:00Z', schedulePaused: true, scheduleChangedAt: '2026-01-15T00:00:00Z' }, 'Pipeline p');
    expect(migrated).toMatchObject({ schedulePaused: true, scheduleChangedAt: '2026-01-15T00:00:00Z' });
  });

  it('refuses a version it does not know, naming the record', () => {
    expect(() => migrateOnRead('chunk', { schemaVersion: 7 }, 'Chunk 000001 of run r')).toThrow('Chunk 000001 of run r was written by a newer Siphon (chunk schema version 7; this code reads up to 2)');
    expect(() => migrateOnRead('run', { schemaVersion: 'two' }, 'Run r')).toThrow('Run r: schemaVersion two is not a version');
  });
});

describe('deleteUnlistedFiles', () => {
  // Refused before any request: the client points nowhere.
  const nowhere = new ContainerClient('http://127.0.0.1:9/devstoreaccount1/landing');

  it('refuses a folder that does not hold the run id, so a bad path never widens the prefix', async () => {
    await expect(deleteUnlistedFiles(nowhere, { folder: 'orders/2026/12/07', runId: '20261207T100000Z-abcdef01', keep: new Set() }))
      .rejects.toThrow('Refusing to clean folder landing/orders/2026/12/07: it does not hold run id 20261207T100000Z-abcdef01');
    await expect(deleteUnlistedFiles(nowhere, { folder: '', runId: '20261207T100000Z-abcdef01', keep: new Set() })).rejects.toThrow('Refusing');
  });
});

describe('reader profiles (output.readers)', () => {
  it('reads a pipeline and a run stored before profiles as exact, and leaves a spec that names its readers alone', () => {
    const old = JSON.stringify({ id: 'p', output: { container: 'c', format: 'parquet' } });
    const pipeline = migrateOnRead('pipeline', { spec: old, schemaVersion: 3 }, 'Pipeline p');
    expect(JSON.parse(pipeline.spec as string).output.readers).toEqual(['exact']);
    const run = migrateOnRead('run', { spec: old, schemaVersion: 2 }, 'Run r');
    expect(JSON.parse(run.spec as string).output.readers).toEqual(['exact']);
    const named = JSON.stringify({ id: 'p', output: { container: 'c', readers: ['duckdb'] } });
    expect(migrateOnRead('pipeline', { spec: named, schemaVersion: 3 }, 'Pipeline p').spec).toBe(named);
    // A run that failed before prepare has no spec snapshot.
    expect(migrateOnRead('run', { schemaVersion: 2 }, 'Run r').spec).toBeUndefined();
  });
});
