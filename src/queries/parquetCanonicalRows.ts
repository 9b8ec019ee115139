import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import type { Column } from '../spec/columns.js';
import { offsetColumnSuffix } from '../formats/parquet/parquetSchema.js';

/**
 * Rows `rowStart` to `rowEnd` of a Parquet file Siphon wrote, as canonical values (see
 * formats/canonicalValues.ts) in column order: the inverse of formats/parquet/parquetSchema.ts.
 * The file is read with its type annotations set aside, so hyparquet hands over the physical
 * values and nothing passes through a double or a Date (hyparquet turns DECIMAL into a float and
 * timestamps into milliseconds); only the row groups holding the rows are fetched.
 */
export async function parquetCanonicalRows(file: AsyncBuffer, columns: Column[], rowStart: number, rowEnd: number): Promise<unknown[][]> {
  const metadata = await parquetMetadataAsync(file);
  const physical = { ...metadata, schema: metadata.schema.map(({ converted_type: _converted, logical_type: _logical, ...element }) => element) };
  const objects = (await parquetReadObjects({ file, metadata: physical, rowStart, rowEnd, utf8: false })) as Array<Record<string, unknown>>;
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
      return value((raw: number | bigint | Uint8Array) => decimalText(raw instanceof Uint8Array ? signedBigEndian(raw) : BigInt(raw), scale));
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

/** The canonical decimal: plain digits with exactly `scale` fraction digits ("-12.30"). */
function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}
