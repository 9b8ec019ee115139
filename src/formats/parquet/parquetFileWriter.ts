import { gzipSync } from 'node:zlib';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { Column, OutputType } from '../../spec/columns.js';
import { unscaledDecimal } from '../decimalText.js';
import { parquetSchema } from './parquetSchema.js';

export type ParquetCompression = 'snappy' | 'gzip' | 'none';

export type ByteSink = (bytes: Uint8Array) => Promise<void>;

const codecs = { snappy: 'SNAPPY', gzip: 'GZIP', none: 'UNCOMPRESSED' } as const;

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

/** Writes one Parquet file from row batches (arrays of canonical values in column order). */
export class ParquetFileWriter {
  private readonly writer: ParquetWriter;

  constructor(private readonly columns: Column[], compression: ParquetCompression, sink: ByteSink) {
    this.writer = new ParquetWriter({
      writer: new SinkByteWriter(sink),
      schema: parquetSchema(columns),
      codec: codecs[compression],
      compressors: compression === 'gzip' ? { GZIP: gzip } : undefined,
      createdBy: 'siphon',
    });
  }

  /** Writes the rows as one row group. */
  async writeRowGroup(rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const columnData = this.columns.map((column, index) => ({ name: column.name, data: columnValues(rows, index, column.type) }));
    await this.writer.write({ columnData, rowGroupSize: rows.length });
  }

  async finish(): Promise<void> {
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
    default:
      for (let i = 0; i < rows.length; i++) values[i] = rows[i]![index] ?? null;
      return values;
  }
}

function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes);
}
