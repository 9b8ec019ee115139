/**
 * A query's Parquet result read back for GET /api/queries/{id}/result: every output type written
 * by Siphon's own Parquet writer must come back as the same canonical value (see
 * formats/canonicalValues.ts), exactly: decimals to the last digit, 64-bit integers beyond 2^53,
 * microseconds of times, unsigned 64-bit values, UUIDs, bytes, offsets. A page in the middle of a
 * file (row groups skipped) reads the right rows.
 */
import { describe, expect, it } from 'vitest';
import type { AsyncBuffer } from 'hyparquet';
import type { Column } from '../../src/spec/columns.js';
import { openFormatWriter, openRowBuffer } from '../../src/formats/formatWriter.js';
import { outputSchema } from '../../src/spec/pipelineSpec.js';
import { parquetCanonicalRows } from '../../src/queries/parquetCanonicalRows.js';

const columns: Column[] = [
  { name: 'i16', sourceType: 'smallint', nullable: true, type: { kind: 'int16' } },
  { name: 'i32', sourceType: 'int', nullable: true, type: { kind: 'int32' } },
  { name: 'i64', sourceType: 'bigint', nullable: true, type: { kind: 'int64' } },
  { name: 'u64', sourceType: 'bigint unsigned', nullable: true, type: { kind: 'uint64' } },
  { name: 'd9', sourceType: 'numeric(9,2)', nullable: true, type: { kind: 'decimal', precision: 9, scale: 2 } },
  { name: 'd18', sourceType: 'numeric(18,4)', nullable: true, type: { kind: 'decimal', precision: 18, scale: 4 } },
  { name: 'd38', sourceType: 'numeric(38,10)', nullable: true, type: { kind: 'decimal', precision: 38, scale: 10 } },
  { name: 'f64', sourceType: 'double', nullable: true, type: { kind: 'float64' } },
  { name: 'ok', sourceType: 'boolean', nullable: true, type: { kind: 'boolean' } },
  { name: 's', sourceType: 'text', nullable: true, type: { kind: 'string' } },
  { name: 'j', sourceType: 'jsonb', nullable: true, type: { kind: 'json' } },
  { name: 'u', sourceType: 'uuid', nullable: true, type: { kind: 'uuid' } },
  { name: 'b', sourceType: 'bytea', nullable: true, type: { kind: 'binary' } },
  { name: 'day', sourceType: 'date', nullable: true, type: { kind: 'date' } },
  { name: 't', sourceType: 'time', nullable: true, type: { kind: 'time' } },
  { name: 'ts', sourceType: 'timestamp', nullable: true, type: { kind: 'timestamp', utc: false } },
  { name: 'tsz', sourceType: 'timestamptz', nullable: true, type: { kind: 'timestamp', utc: true } },
  { name: 'tso', sourceType: 'datetimeoffset', nullable: true, type: { kind: 'timestampOffset' } },
];

function row(n: number): unknown[] {
  const sign = n % 2 === 0 ? 1n : -1n;
  return [
    n % 30_000, n * 7, sign * (9_007_199_254_740_993n + BigInt(n)), 18_446_744_073_709_551_615n - BigInt(n),
    `${n % 2 ? '-' : ''}${n}.05`, `${n}.0001`, `${n % 2 ? '-' : ''}1234567890123456789012345678.${String(n).padStart(10, '0')}`,
    n / 3, n % 3 === 0, `row ${n}, "quoted"\nline`, `{"n": ${n}, "big": 12345678901234567890}`,
    `0000000${n % 10}-0000-4000-8000-00000000000${n % 10}`, new Uint8Array([n % 256, 0, 255]),
    -719_162 + n, 86_399_999_999n - BigInt(n), -62_135_596_800_000_000n + BigInt(n), 1_700_000_000_123_456n + BigInt(n),
    { micros: 1_700_000_000_000_001n + BigInt(n), offsetMinutes: (n % 2 ? -1 : 1) * 330 },
  ];
}

async function parquetFile(rows: unknown[][], rowGroupRows: number): Promise<AsyncBuffer> {
  const output = outputSchema.parse({ container: 'test', format: 'parquet', compression: 'snappy', rowGroupRows: 1_000, maxRowsPerFile: 100_000 });
  const parts: Uint8Array[] = [];
  const writer = openFormatWriter(output, columns, async (bytes) => {
    parts.push(bytes.slice());
  });
  for (let start = 0; start < rows.length; start += rowGroupRows) {
    const group = openRowBuffer(output, columns, rowGroupRows);
    for (const values of rows.slice(start, start + rowGroupRows)) group.add(values);
    await writer.writeBuffer(group);
  }
  await writer.finish();
  const bytes = Buffer.concat(parts);
  return { byteLength: bytes.length, slice: async (from, to) => bytes.buffer.slice(bytes.byteOffset + from, bytes.byteOffset + (to ?? bytes.length)) as ArrayBuffer };
}

describe('parquetCanonicalRows', () => {
  it('reads back every output type exactly as it was written, NULLs included', async () => {
    const rows = [...Array.from({ length: 20 }, (_, n) => row(n)), columns.map(() => null)];
    const read = await parquetCanonicalRows(await parquetFile(rows, 1_000), columns, 0, rows.length);
    expect(read).toEqual(rows);
  });

  it('reads a page in the middle of the file, across row groups', async () => {
    const rows = Array.from({ length: 3_500 }, (_, n) => row(n));
    const read = await parquetCanonicalRows(await parquetFile(rows, 1_000), columns, 1_990, 2_015);
    expect(read).toEqual(rows.slice(1_990, 2_015));
  });
});
