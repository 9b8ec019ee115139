import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { isLosslessNumber, parse } from 'lossless-json';
import { ParquetFileWriter } from '../../src/formats/parquet/parquetFileWriter.js';
import { civilDays } from '../../src/formats/canonicalValues.js';
import type { Column } from '../../src/spec/columns.js';
import { partitionValuesOf, type StagedFile } from '../../src/sink/delta/chunkFiles.js';
import { buildCommit } from '../../src/sink/delta/commitToTable.js';
import { emptySnapshot, findRunCommit, parseCommit, readDeltaTable, replay, type DeltaSnapshot } from '../../src/sink/delta/deltaLog.js';
import { deltaTableLayout, logPathOf, pathOfLogPath } from '../../src/sink/delta/deltaPaths.js';
import { deltaFields, parseSchemaString, protocolAfter, requiredProtocol, schemaEvolution, schemaString } from '../../src/sink/delta/deltaSchema.js';
import { deltaFileStats, millisText } from '../../src/sink/delta/deltaStats.js';
import { vacuumTable } from '../../src/sink/delta/vacuumTable.js';
import { checkWritable } from '../../src/sink/delta/writableTable.js';

/**
 * The Delta log as Siphon writes and reads it, against PROTOCOL.md's examples and the logs of
 * golden tables Spark wrote (test/fixtures/delta): action shapes, statistics, partition values,
 * path encoding, replay, and the vacuum.
 */
const fixtures = join(import.meta.dirname, '../fixtures/delta');
const layout = deltaTableLayout('{pipeline}', 't', 't');

/** A golden table's commits, replayed by Siphon's reader. */
function golden(name: string): DeltaSnapshot {
  const folder = join(fixtures, name, '_delta_log');
  return replay(readdirSync(folder).sort().map((file) => parseCommit(Number(file.slice(0, 20)), readFileSync(join(folder, file), 'utf8'), layout)));
}

const column = (name: string, type: Column['type']): Column => ({ name, sourceType: type.kind, nullable: true, type });

/** A Parquet file of `rows` written by Siphon's encoder, and its add stats. */
async function statsOf(columns: Column[], rows: unknown[][]): Promise<Record<string, any>> {
  const writer = new ParquetFileWriter(columns, 'snappy', async () => undefined);
  await writer.writeRows(rows);
  await writer.finish();
  return parse(deltaFileStats(rows.length, columns, writer.statistics())) as Record<string, any>;
}

describe('paths in the log', () => {
  it('encodes a data file path as a URI the way Spark does, and decodes what Spark wrote', () => {
    // log-replay-special-characters-a: a file named "special p@#h".
    const spark = golden('log-replay-special-characters-a');
    expect([...spark.tombstones.keys()]).toEqual(['special p@#h']);
    expect(logPathOf('special p@#h')).toBe('special%20p@%23h');
    // data-reader-timestamp_ntz: Hive escapes in the folder (%3A), then the URI encoding of % and space.
    const ntz = golden('data-reader-timestamp_ntz');
    for (const add of ntz.files.values()) expect(logPathOf(pathOfLogPath(add.path))).toBe(add.path);
    expect([...ntz.files.keys()]).toContain('tsNtzPartition=2013-07-05 17%3A01%3A00.123456/part-00000-6240e68e-2304-449a-a1e6-0e24866d3508.c000.snappy.parquet');
    // Beyond ASCII: UTF-8 bytes, percent-encoded.
    expect(logPathOf('grp=Zoë/part-1.snappy.parquet')).toBe('grp=Zo%C3%AB/part-1.snappy.parquet');
    expect(pathOfLogPath(logPathOf('a=x%2Fy %23/part.parquet'))).toBe('a=x%2Fy %23/part.parquet');
  });

  it('reads partition values from Hive folders as the log states them (PROTOCOL.md "Partition Value Serialization")', () => {
    const ntz = golden('data-reader-timestamp_ntz');
    for (const [path, add] of ntz.files) expect(partitionValuesOf(path, ['tsNtzPartition'])).toEqual(add.partitionValues);
    expect(partitionValuesOf('grp=x%2Fy%3Dz%25%3A%23/n=__HIVE_DEFAULT_PARTITION__/part-1.parquet', ['grp', 'n'])).toEqual({ grp: 'x/y=z%:#', n: null });
  });
});

describe('replay', () => {
  it('reconciles adds and removes in version order (Action Reconciliation)', () => {
    // basic-with-inserts-overwrite-restore: two appends, an overwrite, a restore of version 1.
    const table = golden('basic-with-inserts-overwrite-restore');
    expect(table.version).toBe(3);
    expect([...table.files.keys()].sort()).toEqual([
      'part-00000-5e752668-638c-4e95-9521-5e88926e3169-c000.snappy.parquet',
      'part-00000-d24c9b15-187d-4542-90ef-7834bfaa4971-c000.snappy.parquet',
      'part-00001-180c081a-f358-4bf9-8daa-4d04a5aa7f51-c000.snappy.parquet',
      'part-00001-66f56273-e583-4a88-9da6-2c199bdaf665-c000.snappy.parquet',
    ]);
    expect([...table.tombstones.keys()].sort()).toEqual([
      'part-00000-79fa68ed-3d70-4f61-95da-9eb676b24a98-c000.snappy.parquet',
      'part-00001-bc9b37c2-a201-499d-b604-93623e2de1d6-c000.snappy.parquet',
    ]);
    expect(table.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(parseSchemaString(table.metadata!.schemaString)).toEqual([{ name: 'id', type: 'long', nullable: true, metadata: {} }]);
  });

  it('refuses a log whose commits do not start at version 0 (another tool checkpointed and cleaned up)', async () => {
    const blobs = new Map([['t/_delta_log/00000000000000000003.json', readFileSync(join(fixtures, 'basic-with-inserts-overwrite-restore/_delta_log/00000000000000000003.json'), 'utf8')], ['t/_delta_log/_last_checkpoint', '{}']]);
    await expect(readDeltaTable(fakeContainer(blobs), layout)).rejects.toThrow(/no version 0.*writes no checkpoints/);
    blobs.set('t/_delta_log/00000000000000000000.json', readFileSync(join(fixtures, 'basic-with-inserts-overwrite-restore/_delta_log/00000000000000000000.json'), 'utf8'));
    await expect(readDeltaTable(fakeContainer(blobs), layout)).rejects.toThrow(/version 1 missing/);
  });

  it('finds a run\'s own commit by the provenance in commitInfo, only after the version the run started from', () => {
    const commits = [
      parseCommit(0, '{"commitInfo":{"timestamp":1,"siphon":{"pipelineId":"p","runId":"r1","attempt":0}}}\n', layout),
      parseCommit(1, '{"commitInfo":{"timestamp":2,"operation":"WRITE"}}\n', layout),
      parseCommit(2, '{"commitInfo":{"timestamp":3,"siphon":{"pipelineId":"p","runId":"r2","attempt":1}}}\n', layout),
    ];
    const snapshot = replay(commits);
    expect(findRunCommit(snapshot, 'r2', -1)?.version).toBe(2);
    expect(findRunCommit(snapshot, 'r1', -1)?.version).toBe(0);
    expect(findRunCommit(snapshot, 'r1', 0)).toBeUndefined();
  });
});

describe('schema and protocol', () => {
  it('writes the schema Spark writes for the same types (data-skipping-basic-stats-all-types)', () => {
    const spark = parseSchemaString(golden('data-skipping-basic-stats-all-types').metadata!.schemaString).filter((field) => field.name !== 'as_byte');
    const mine = deltaFields([
      column('as_int', { kind: 'int32' }), column('as_long', { kind: 'int64' }), column('as_short', { kind: 'int16' }),
      column('as_float', { kind: 'float32' }), column('as_double', { kind: 'float64' }), column('as_string', { kind: 'string' }),
      column('as_date', { kind: 'date' }), column('as_timestamp', { kind: 'timestamp', utc: true }), column('as_big_decimal', { kind: 'decimal', precision: 1, scale: 0 }),
    ]);
    expect(mine).toEqual(spark);
    expect(JSON.parse(schemaString(mine))).toEqual({ type: 'struct', fields: spark });
  });

  it('needs reader 3 / writer 7 with timestampNtz only for a wall-clock timestamp, as Spark\'s table has it', () => {
    const ntz = golden('data-reader-timestamp_ntz');
    expect(requiredProtocol(deltaFields([column('id', { kind: 'int32' }), column('tsNtz', { kind: 'timestamp', utc: false })]))).toEqual(ntz.protocol);
    expect(requiredProtocol(deltaFields([column('t', { kind: 'timestamp', utc: true })]))).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    // An existing 1/2 table gaining such a column keeps the features writer 2 implied.
    expect(protocolAfter({ minReaderVersion: 1, minWriterVersion: 2 }, requiredProtocol(deltaFields([column('w', { kind: 'timestamp', utc: false })])))).toEqual({
      minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: ['appendOnly', 'invariants', 'timestampNtz'],
    });
    expect(protocolAfter(ntz.protocol!, { minReaderVersion: 1, minWriterVersion: 2 })).toBeUndefined();
  });

  it('takes added columns and refuses removed or retyped ones, naming them', () => {
    const table = deltaFields([column('a', { kind: 'int32' }), column('b', { kind: 'string' })]);
    expect(schemaEvolution(table, deltaFields([column('a', { kind: 'int32' }), column('b', { kind: 'string' }), column('c', { kind: 'date' })]), 'here').added).toEqual(['c']);
    expect(() => schemaEvolution(table, deltaFields([column('a', { kind: 'int64' })]), 'here')).toThrow(/column "b" of the table is not among the columns read; column "a" \(integer in the table, long now\) changed type/);
  });

  it('refuses tables with features it does not follow', () => {
    const table = (protocol: object, configuration: Record<string, string> = {}, extra: object[] = []): DeltaSnapshot => replay([parseCommit(0, [
      { protocol },
      { metaData: { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: schemaString(deltaFields([column('a', { kind: 'int32' })])), partitionColumns: [], configuration } },
      ...extra,
    ].map((action) => JSON.stringify(action)).join('\n'), layout)]);
    expect(() => checkWritable(table({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] }), 'append', 'here')).toThrow(/table features deletionVectors/);
    expect(() => checkWritable(table({ minReaderVersion: 2, minWriterVersion: 5 }, { 'delta.columnMapping.mode': 'name' }), 'append', 'here')).toThrow(/column mapping/);
    expect(() => checkWritable(table({ minReaderVersion: 1, minWriterVersion: 2 }, { 'delta.appendOnly': 'true' }), 'overwrite', 'here')).toThrow(/append-only/);
    expect(() => checkWritable(table({ minReaderVersion: 1, minWriterVersion: 2 }, { 'delta.appendOnly': 'true' }), 'append', 'here')).not.toThrow();
    expect(() => checkWritable(table({ minReaderVersion: 1, minWriterVersion: 3 }, { 'delta.constraints.positive': 'a > 0' }), 'append', 'here')).toThrow(/CHECK constraints/);
    expect(() => checkWritable(golden('data-reader-timestamp_ntz'), 'merge', 'here')).not.toThrow();
  });
});

describe('statistics (PROTOCOL.md "Per-file Statistics")', () => {
  it('states what Spark states for the same values (data-skipping-basic-stats-all-types)', async () => {
    const spark = golden('data-skipping-basic-stats-all-types');
    const sparkStats = parse([...spark.files.values()][0]!.stats!) as Record<string, any>;
    const columns = [
      column('as_int', { kind: 'int32' }), column('as_long', { kind: 'int64' }), column('as_short', { kind: 'int16' }),
      column('as_float', { kind: 'float32' }), column('as_double', { kind: 'float64' }), column('as_string', { kind: 'string' }),
      column('as_date', { kind: 'date' }), column('as_timestamp', { kind: 'timestamp', utc: true }), column('as_big_decimal', { kind: 'decimal', precision: 1, scale: 0 }),
    ];
    const mine = await statsOf(columns, [[0, 0n, 0, 0, 0, '0', civilDays(2000, 1, 1), 946_713_600_000_000n, '0']]);
    const comparable = (stats: Record<string, any>) => {
      // Numbers by value (Spark writes 0.0 where Siphon writes 0), timestamps as instants.
      const values = (side: Record<string, any>) => Object.fromEntries(Object.entries(side).filter(([name]) => name !== 'as_byte').map(([name, value]) => [name, name === 'as_timestamp' ? Date.parse(value) : isLosslessNumber(value) ? Number(value.value) : value]));
      return { numRecords: Number(stats.numRecords), minValues: values(stats.minValues), maxValues: values(stats.maxValues), nullCount: values(stats.nullCount) };
    };
    // Spark writes the session's offset (2000-01-01T00:00:00.000-08:00), Siphon UTC (…08:00:00.000Z): the same instant.
    expect(comparable(mine)).toEqual(comparable(sparkStats));
  });

  it('keeps big numbers exact, cuts long strings, and leaves out bounds that would not be bounds', async () => {
    const long = 'x'.repeat(40);
    const stats = await statsOf([
      column('i8', { kind: 'int64' }), column('d', { kind: 'decimal', precision: 38, scale: 10 }), column('f', { kind: 'float64' }),
      column('s', { kind: 'string' }), column('b', { kind: 'boolean' }), column('day', { kind: 'date' }), column('ts', { kind: 'timestamp', utc: false }),
    ], [
      [9_223_372_036_854_775_807n, '9999999999999999999999999999.9999999999', 1.5, long, true, civilDays(-43, 3, 15), 1_700_000_000_123_999n],
      [-9_223_372_036_854_775_808n, '-0.0000000001', Number.NaN, `${'y'.repeat(31)}\u{10FFFF}z`, false, civilDays(2024, 5, 1), null],
      [null, null, null, null, null, null, null],
    ]);
    expect(stats.numRecords.toString()).toBe('3');
    expect(stats.minValues.i8.value).toBe('-9223372036854775808');
    expect(stats.maxValues.i8.value).toBe('9223372036854775807');
    expect(stats.minValues.d.value).toBe('-0.0000000001');
    expect(stats.maxValues.d.value).toBe('9999999999999999999999999999.9999999999');
    // NaN: no bounds (a reader would skip files wrongly); a BC date: no JSON form; booleans: none collected.
    expect(stats.minValues.f).toBeUndefined();
    expect(stats.minValues.day).toBeUndefined();
    expect(stats.minValues.b).toBeUndefined();
    // Strings to 32 characters; a cut maximum raised past every string with its prefix.
    expect(stats.minValues.s).toBe('x'.repeat(32));
    expect(stats.maxValues.s).toBe(`${'y'.repeat(30)}z`);
    // Timestamps truncated down to milliseconds, no zone for timestamp_ntz.
    expect(stats.minValues.ts).toBe('2023-11-14T22:13:20.123');
    expect(millisText(1_700_000_000_123_999n, true)).toBe('2023-11-14T22:13:20.123Z');
    expect(millisText(-1n, true)).toBe('1969-12-31T23:59:59.999Z');
    expect(Object.fromEntries(Object.entries(stats.nullCount).map(([name, count]) => [name, String(count)]))).toEqual({ i8: '1', d: '1', f: '1', s: '1', b: '1', day: '1', ts: '2' });
  });
});

describe('the commit of a run', () => {
  const columns = [column('id', { kind: 'int32' }), column('grp', { kind: 'string' }), column('at', { kind: 'timestamp', utc: true })];
  const file = (name: string, grp: string | null): StagedFile => ({ path: `t/grp=${grp ?? '__HIVE_DEFAULT_PARTITION__'}/${name}`, rows: 1, bytes: 10, partitionValues: { grp }, stats: '{"numRecords":1}', modificationTime: 5 });
  const request = (mode: 'append' | 'overwrite', files: StagedFile[]) => ({
    layout, mode, partitionBy: ['grp'], retentionHours: 24, provenance: { pipelineId: 'p', runId: 'r9', attempt: 2 }, readVersion: -1, writtenColumns: columns, files, now: () => new Date(1_000), where: 'here',
  });
  const lines = (actions: unknown[]) => actions.map((action) => JSON.parse(JSON.stringify(action)) as Record<string, any>);

  it('creates the table with commitInfo first, protocol, metaData and the adds (PROTOCOL.md "Actions")', async () => {
    const built = (await buildCommit(undefined as unknown as ContainerClient, emptySnapshot(), request('append', [file('part-r9-c00000-0000.snappy.parquet', 'a b'), file('part-r9-c00001-0000.snappy.parquet', null)])))!;
    const [info, protocol, metaData, ...adds] = lines(built.actions) as [Record<string, any>, Record<string, any>, Record<string, any>, ...Array<Record<string, any>>];
    expect(info).toEqual({ commitInfo: {
      timestamp: 1_000, operation: 'WRITE', operationParameters: { mode: 'Append', partitionBy: '["grp"]' }, isBlindAppend: true,
      operationMetrics: { numFiles: '2', numOutputRows: '2', numOutputBytes: '20', numRemovedFiles: '0', numRewrittenFiles: '0' }, engineInfo: 'Siphon', siphon: { pipelineId: 'p', runId: 'r9', attempt: 2 },
    } });
    expect(protocol).toEqual({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } });
    expect(metaData.metaData).toMatchObject({ format: { provider: 'parquet', options: {} }, partitionColumns: ['grp'], configuration: { 'delta.deletedFileRetentionDuration': 'interval 24 hours' }, createdTime: 1_000 });
    expect(metaData.metaData.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseSchemaString(metaData.metaData.schemaString).map((field) => field.type)).toEqual(['integer', 'string', 'timestamp']);
    expect(adds).toEqual([
      { add: { path: 'grp=a%20b/part-r9-c00000-0000.snappy.parquet', partitionValues: { grp: 'a b' }, size: 10, modificationTime: 5, dataChange: true, stats: '{"numRecords":1}' } },
      { add: { path: 'grp=__HIVE_DEFAULT_PARTITION__/part-r9-c00001-0000.snappy.parquet', partitionValues: { grp: null }, size: 10, modificationTime: 5, dataChange: true, stats: '{"numRecords":1}' } },
    ]);
  });

  it('overwrites with a remove per live file, carrying its partition values and size, and no new metaData', async () => {
    const first = (await buildCommit(undefined as unknown as ContainerClient, emptySnapshot(), request('append', [file('part-r1-c00000-0000.snappy.parquet', 'a')])))!;
    const snapshot = replay([parseCommit(0, first.actions.map((action) => JSON.stringify(action)).join('\n'), layout)]);
    const built = (await buildCommit(undefined as unknown as ContainerClient, snapshot, { ...request('overwrite', [file('part-r9-c00000-0000.snappy.parquet', 'b')]), retentionHours: 24 }))!;
    const actions = lines(built.actions);
    expect(actions.map((action) => Object.keys(action)[0])).toEqual(['commitInfo', 'remove', 'add']);
    expect(actions[0]!.commitInfo).toMatchObject({ operationParameters: { mode: 'Overwrite', partitionBy: '["grp"]' }, readVersion: 0, isBlindAppend: false });
    expect(actions[1]).toEqual({ remove: { path: 'grp=a/part-r1-c00000-0000.snappy.parquet', deletionTimestamp: 1_000, dataChange: true, extendedFileMetadata: true, partitionValues: { grp: 'a' }, size: 10 } });
    // An append of nothing has nothing to say; an overwrite of nothing empties the table.
    expect(await buildCommit(undefined as unknown as ContainerClient, snapshot, request('append', []))).toBeUndefined();
    expect(lines((await buildCommit(undefined as unknown as ContainerClient, snapshot, request('overwrite', [])))!.actions).map((action) => Object.keys(action)[0])).toEqual(['commitInfo', 'remove']);
  });
});

describe('vacuum', () => {
  it('never deletes a file the latest version or a version within the retention names', async () => {
    // The golden table's files, all old, plus an old orphan; its tombstones were written at 1697588691416.
    const table = golden('basic-with-inserts-overwrite-restore');
    const old = new Date(1_600_000_000_000);
    const names = [...table.files.keys(), ...table.tombstones.keys(), 'part-orphan.snappy.parquet', 'sub/_hidden/x.parquet'];
    const container = fakeContainer(new Map(names.map((name) => [`t/${name}`, ''])), old);
    const removedAt = 1_697_588_691_416;
    // One hour after the removes, with a day's retention: the tombstoned files are still readable by version 2.
    const withinRetention = await vacuumTable(container, layout, table, { retentionHours: 24, now: new Date(removedAt + 3_600_000) });
    expect(withinRetention).toEqual(['t/part-orphan.snappy.parquet']);
    const pastRetention = await vacuumTable(container, layout, table, { retentionHours: 24, now: new Date(removedAt + 48 * 3_600_000) });
    expect(pastRetention.sort()).toEqual([...table.tombstones.keys()].map((name) => `t/${name}`).sort());
    for (const live of table.files.keys()) expect(container.deleted).not.toContain(`t/${live}`);
    expect(container.deleted).not.toContain('t/sub/_hidden/x.parquet');
  });
});

/** The few ContainerClient calls the log reader and the vacuum make, over a map of blob names to text. */
function fakeContainer(blobs: Map<string, string>, lastModified = new Date()): ContainerClient & { deleted: string[] } {
  const deleted: string[] = [];
  const container = {
    containerName: 'fake',
    deleted,
    async *listBlobsFlat({ prefix }: { prefix: string }) {
      for (const name of [...blobs.keys()].sort()) if (name.startsWith(prefix)) yield { name, properties: { lastModified } };
    },
    getBlockBlobClient: (name: string) => ({ downloadToBuffer: async () => Buffer.from(blobs.get(name) ?? '') }),
    deleteBlob: async (name: string) => {
      deleted.push(name);
      blobs.delete(name);
    },
  };
  return container as unknown as ContainerClient & { deleted: string[] };
}
