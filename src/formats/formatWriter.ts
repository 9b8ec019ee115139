import type { Column } from '../spec/columns.js';
import type { OutputSpec } from '../spec/pipelineSpec.js';
import { CsvFileWriter } from './csv/csvFileWriter.js';
import { JsonLinesFileWriter } from './jsonl/jsonLinesFileWriter.js';
import { ColumnarGroupBuilder } from './parquet/columnarGroup.js';
import { ParquetFileWriter, type LeafStatistics } from './parquet/parquetFileWriter.js';
import { RowList, type RowBuffer } from './rowBuffer.js';

/**
 * Where a writer's bytes go; the writer awaits it before encoding more, which bounds memory.
 * The sink copies what it keeps: once it resolves, the writer may reuse the buffer.
 */
export type ByteSink = (bytes: Uint8Array) => Promise<void>;

/**
 * One output file being written from batches of rows (arrays of canonical values in column
 * order). For Parquet each call is one row group; text formats stream the rows as they come.
 */
export interface FormatWriter {
  writeRows(rows: unknown[][]): Promise<void>;
  /** Writes the rows of a buffer from openRowBuffer (for Parquet, one row group) and empties it. */
  writeBuffer(buffer: RowBuffer): Promise<void>;
  finish(): Promise<void>;
  /** Parquet only: each leaf's min, max and NULL count over the file, once finished. */
  statistics?(): LeafStatistics[];
}

export type { RowBuffer } from './rowBuffer.js';

/** An empty buffer for rows of `columns`; `capacity` is the rows it starts with room for (it grows). */
export function openRowBuffer(output: OutputSpec, columns: Column[], capacity: number): RowBuffer {
  return output.format === 'parquet' || output.format === 'delta' ? new ColumnarGroupBuilder(columns, capacity) : new RowList();
}

export function openFormatWriter(output: OutputSpec, columns: Column[], sink: ByteSink): FormatWriter {
  switch (output.format) {
    case 'parquet': case 'delta':
      return new ParquetFileWriter(columns, output.compression, sink);
    case 'csv':
      return new CsvFileWriter(columns, output.compression === 'gzip', sink);
    case 'jsonl':
      return new JsonLinesFileWriter(columns, output.compression === 'gzip', sink);
  }
}

export function fileExtension(output: OutputSpec): string {
  // Named as every Delta writer names its data files.
  if (output.format === 'delta') return 'snappy.parquet';
  const base = output.format;
  return output.compression === 'gzip' && output.format !== 'parquet' ? `${base}.gz` : base;
}

/**
 * A gzip file is labelled application/gzip rather than text with Content-Encoding gzip: with the
 * encoding header, HTTP clients decompress on download, and a reader expecting a .gz gets text.
 */
export function contentType(output: OutputSpec): string {
  if ((output.format === 'csv' || output.format === 'jsonl') && output.compression === 'gzip') return 'application/gzip';
  switch (output.format) {
    case 'parquet': case 'delta': return 'application/vnd.apache.parquet';
    case 'csv': return 'text/csv; charset=utf-8';
    case 'jsonl': return 'application/jsonl; charset=utf-8';
  }
}
