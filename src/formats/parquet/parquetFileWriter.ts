import { gzipSync } from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { NonRetryableError, errorMessage } from '../../errors/errorTypes.js';
import type { Column, OutputType } from '../../spec/columns.js';
import type { TimestampWithOffset } from '../canonicalValues.js';
import { unscaledDecimal } from '../decimalText.js';
import { offsetColumnSuffix, parquetSchema } from './parquetSchema.js';
import type { ByteSink, FormatWriter } from '../formatWriter.js';

export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none';

const codecs = { snappy: 'SNAPPY', zstd: 'ZSTD', gzip: 'GZIP', none: 'UNCOMPRESSED' } as const;

/** zstd level 3, the library's and Spark's default: most of the ratio at a fraction of the CPU. */
const zstdLevel = 3;

/**
 * hyparquet-writer calls compressors synchronously, and the zstd WASM module can only be
 * instantiated asynchronously, so it is loaded once per process and awaited before each row group.
 */
let zstdReady: Promise<void> | undefined;

function loadZstd(): Promise<void> {
  zstdReady ??= zstdInit().catch((err: unknown) => {
    zstdReady = undefined;
    throw err;
  });
  return zstdReady;
}

const compressors = {
  gzip: { GZIP: (bytes: Uint8Array): Uint8Array => gzipSync(bytes) },
  zstd: { ZSTD: (bytes: Uint8Array): Uint8Array => zstdCompress(bytes, zstdLevel) },
  snappy: undefined,
  none: undefined,
} as const;

/**
 * Hands each finished row group's bytes to the sink and reuses its buffer, so a file of any size
 * holds one encoded row group in memory. The writer awaits the sink before encoding the next.
 */
class SinkByteWriter extends ByteWriter {
  constructor(private readonly sink: ByteSink) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    const bytes = new Uint8Array(this.buffer, 0, this.index).slice();
    this.index = 0;
    return this.sink(bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

type ColumnData = { name: string; data: unknown[] };

/** Writes one Parquet file from row batches (arrays of canonical values in column order). */
export class ParquetFileWriter implements FormatWriter {
  private readonly writer: ParquetWriter;
  private readonly schema: SchemaElement[];

  constructor(private readonly columns: Column[], private readonly compression: ParquetCompression, sink: ByteSink) {
    this.schema = parquetSchema(columns);
    this.writer = new ParquetWriter({
      writer: new SinkByteWriter(sink),
      schema: this.schema,
      codec: codecs[compression],
      compressors: compressors[compression],
      createdBy: 'siphon',
    });
    // Start loading early; writeRows awaits it before the first compression.
    if (compression === 'zstd') loadZstd().catch(() => {});
  }

  /** Writes the rows as one row group. */
  async writeRows(rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    if (this.compression === 'zstd') await loadZstd();
    const columnData: ColumnData[] = [];
    this.columns.forEach((column, index) => {
      try {
        if (column.type.kind === 'timestampOffset') {
          const [instants, offsets] = offsetColumns(rows, index);
          columnData.push({ name: column.name, data: instants }, { name: column.name + offsetColumnSuffix, data: offsets });
        } else {
          columnData.push({ name: column.name, data: columnValues(rows, index, column.type) });
        }
      } catch (err) {
        throw new NonRetryableError(`column ${column.name}: ${errorMessage(err)}`);
      }
    });
    await this.writer.write({ columnData, rowGroupSize: rows.length });
  }

  async finish(): Promise<void> {
    // JSON columns are written as the document's own UTF-8 bytes under the JSON logical type only,
    // because with the JSON converted type hyparquet-writer re-serializes each value (rounding big
    // numbers through doubles). The footer is written from this same schema array, so adding the
    // converted type now gives readers that only know converted types (DuckDB among them) a string
    // column instead of bytes, without touching the pages already written.
    for (const element of this.schema) {
      if (element.logical_type?.type === 'JSON') element.converted_type = 'JSON';
    }
    await this.writer.finish();
  }
}

const utf8 = new TextEncoder();

function columnValues(rows: unknown[][], index: number, type: OutputType): unknown[] {
  const values = new Array<unknown>(rows.length);
  switch (type.kind) {
    case 'decimal':
      for (let i = 0; i < rows.length; i++) {
        const value = rows[i]![index];
        values[i] = value == null ? null : unscaledDecimal(value as string, type.scale);
      }
      return values;
    case 'json':
      for (let i = 0; i < rows.length; i++) {
        const value = rows[i]![index];
        values[i] = value == null ? null : utf8.encode(value as string);
      }
      return values;
    case 'uuid':
      for (let i = 0; i < rows.length; i++) {
        const value = rows[i]![index];
        values[i] = value == null ? null : uuidBytes(value as string);
      }
      return values;
    default:
      for (let i = 0; i < rows.length; i++) values[i] = rows[i]![index] ?? null;
      return values;
  }
}

function offsetColumns(rows: unknown[][], index: number): [unknown[], unknown[]] {
  const instants = new Array<unknown>(rows.length);
  const offsets = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = rows[i]![index] as TimestampWithOffset | null | undefined;
    instants[i] = value == null ? null : value.micros;
    offsets[i] = value == null ? null : value.offsetMinutes;
  }
  return [instants, offsets];
}

/**
 * The 16 bytes of a uuid's text. Done here rather than by hyparquet-writer, which parses each
 * value with a regex and a substring per byte.
 */
function uuidBytes(text: string): Uint8Array {
  if (text.length !== 36 || text[8] !== '-' || text[13] !== '-' || text[18] !== '-' || text[23] !== '-') throw new Error(`Not a uuid: ${JSON.stringify(text)}`);
  const bytes = new Uint8Array(16);
  let position = 0;
  for (let i = 0; i < 16; i++) {
    if (position === 8 || position === 13 || position === 18 || position === 23) position++;
    const high = hexDigit(text.charCodeAt(position));
    const low = hexDigit(text.charCodeAt(position + 1));
    if (high < 0 || low < 0) throw new Error(`Not a uuid: ${JSON.stringify(text)}`);
    bytes[i] = (high << 4) | low;
    position += 2;
  }
  return bytes;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}
