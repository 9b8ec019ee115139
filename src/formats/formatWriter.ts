import type { Column } from '../spec/columns.js';
import type { OutputSpec } from '../spec/pipelineSpec.js';
import { CsvFileWriter } from './csv/csvFileWriter.js';
import { JsonLinesFileWriter } from './jsonl/jsonLinesFileWriter.js';
import { ParquetFileWriter } from './parquet/parquetFileWriter.js';

/** Where a writer's bytes go; the writer awaits it before encoding more, which bounds memory. */
export type ByteSink = (bytes: Uint8Array) => Promise<void>;

/**
 * One output file being written from batches of rows (arrays of canonical values in column
 * order). For Parquet each call is one row group; text formats stream the rows as they come.
 */
export interface FormatWriter {
  writeRows(rows: unknown[][]): Promise<void>;
  finish(): Promise<void>;
}

export function openFormatWriter(output: OutputSpec, columns: Column[], sink: ByteSink): FormatWriter {
  switch (output.format) {
    case 'parquet':
      return new ParquetFileWriter(columns, output.compression, sink);
    case 'csv':
      return new CsvFileWriter(columns, output.compression === 'gzip', sink);
    case 'jsonl':
      return new JsonLinesFileWriter(columns, output.compression === 'gzip', sink);
  }
}

export function fileExtension(output: OutputSpec): string {
  const base = output.format;
  return output.compression === 'gzip' && output.format !== 'parquet' ? `${base}.gz` : base;
}

/**
 * A gzip file is labelled application/gzip rather than text with Content-Encoding gzip: with the
 * encoding header, HTTP clients decompress on download, and a reader expecting a .gz gets text.
 */
export function contentType(output: OutputSpec): string {
  if (output.format !== 'parquet' && output.compression === 'gzip') return 'application/gzip';
  switch (output.format) {
    case 'parquet': return 'application/vnd.apache.parquet';
    case 'csv': return 'text/csv; charset=utf-8';
    case 'jsonl': return 'application/jsonl; charset=utf-8';
  }
}
