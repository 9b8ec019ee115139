import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { Column } from '../spec/columns.js';
import { offsetColumnSuffix } from '../formats/parquet/parquetSchema.js';
import { decimalTextOf } from '../formats/decimalText.js';

/**
 * Rows `rowStart` to `rowEnd` of a Parquet file Siphon wrote, as canonical values (see
 * formats/canonicalValues.ts) in column order: the inverse of formats/parquet/parquetSchema.ts.
 * The file is read with its type annotations set aside, so hyparquet hands over the physical
 * values and nothing passes through a double or a Date (hyparquet turns DECIMAL into a float and
 * timestamps into milliseconds); only the row groups holding the rows are fetched.
 */
export async function parquetCanonicalRows(file: AsyncBuffer, columns: Column[], rowStart: number, rowEnd: number, metadata?: FileMetaData): Promise<unknown[][]> {
  const footer = metadata ?? await parquetMetadataAsync(file);
  const physical = { ...footer, schema: footer.schema.map(({ converted_type: _converted, logical_type: _logical, ...element }) => element) };
  // Only the columns asked for are fetched; one the file lacks (added to a table after the file
  // was written) reads as NULL.
  const present = new Set(footer.schema.slice(1).map((element) => element.name));
  const leaves = columns.flatMap((column) => (column.type.kind === 'timestampOffset' ? [column.name, column.name + offsetColumnSuffix] : [column.name])).filter((name) => present.has(name));
  const objects = (await parquetReadObjects({ file, metadata: physical, rowStart, rowEnd, utf8: false, columns: leaves })) as Array<Record<string, unknown>>;
  const readers = columns.map((column) => canonicalReader(column));
  return objects.map((object) => readers.map((read) => read(object)));
}

type Reader = (row: Record<string, unknown>) => unknown;

function canonicalReader(column: Column): Reader {
  const { name, type } = column;
  const value = (convert: (raw: never) => unknown): Reader => (row) => {
    const raw = row[name];
    return raw === null || raw === undefined ? null : convert(raw as never);
  };
  switch (type.kind) {
    case 'int16': case 'int32': case 'float32': case 'float64': case 'boolean': case 'date':
      return value((raw: unknown) => raw);
    case 'int64': case 'time': case 'timestamp':
      return value((raw: bigint | number) => BigInt(raw));
    case 'uint64':
      return value((raw: bigint | number) => BigInt.asUintN(64, BigInt(raw)));
    case 'string': case 'json':
      return value((raw: Uint8Array | string) => (typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')));
    case 'binary':
      return value((raw: Uint8Array | string) => (typeof raw === 'string' ? new TextEncoder().encode(raw) : raw));
    case 'uuid':
      return value((raw: Uint8Array) => Buffer.from(raw).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'));
    case 'decimal': {
      const scale = type.scale;
      return value((raw: number | bigint | Uint8Array) => decimalTextOf(raw instanceof Uint8Array ? signedBigEndian(raw) : BigInt(raw), scale));
    }
    case 'timestampOffset':
      return (row) => {
        const micros = row[name];
        if (micros === null || micros === undefined) return null;
        return { micros: BigInt(micros as bigint), offsetMinutes: Number(row[name + offsetColumnSuffix]) };
      };
  }
}

/** A two's complement big-endian integer (a FIXED_LEN_BYTE_ARRAY decimal). */
function signedBigEndian(bytes: Uint8Array): bigint {
  let unsigned = 0n;
  for (const byte of bytes) unsigned = (unsigned << 8n) | BigInt(byte);
  return BigInt.asIntN(bytes.length * 8, unsigned);
}
