import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import type { FileEntry } from '../spec/columns.js';
import type { OutputFormat } from '../spec/pipelineSpec.js';

export type ResultPageRequest = { files: FileEntry[]; stored: OutputFormat; columns: string[]; offset: number; limit: number };

/**
 * Rows `offset` to `offset + limit` of a query's result, as objects keyed by column, read from
 * its files in order. Whole files before the offset are skipped by their recorded row counts;
 * within a file, Parquet is read by byte ranges for the row groups that hold the page (hyparquet),
 * CSV and JSON Lines are streamed line by line and left once the page is full. Memory holds the
 * page and at most one row group, never the whole result.
 */
export async function readResultPage(container: ContainerClient, request: ResultPageRequest): Promise<Record<string, unknown>[]> {
  const page: Record<string, unknown>[] = [];
  let skip = request.offset;
  for (const file of request.files) {
    if (page.length >= request.limit) break;
    if (skip >= file.rows) {
      skip -= file.rows;
      continue;
    }
    const wanted = Math.min(file.rows - skip, request.limit - page.length);
    const blob = container.getBlobClient(file.path);
    const rows = request.stored === 'parquet'
      ? await readParquetRows(blobBuffer(blob, file.bytes), skip, skip + wanted)
      : await readTextRows(blob, request.stored, request.columns, skip, wanted);
    page.push(...rows);
    skip = 0;
  }
  return page;
}

type BlobReader = Pick<ReturnType<ContainerClient['getBlobClient']>, 'downloadToBuffer' | 'download'>;

function blobBuffer(blob: BlobReader, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    slice: async (start, end) => {
      const length = (end ?? byteLength) - start;
      const buffer = await blob.downloadToBuffer(start, length);
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
    },
  };
}

async function readParquetRows(file: AsyncBuffer, rowStart: number, rowEnd: number): Promise<Record<string, unknown>[]> {
  const metadata = await parquetMetadataAsync(file);
  return (await parquetReadObjects({ file, metadata, rowStart, rowEnd })) as Record<string, unknown>[];
}

async function readTextRows(blob: BlobReader, stored: 'csv' | 'jsonl', columns: string[], skip: number, wanted: number): Promise<Record<string, unknown>[]> {
  const download = await blob.download();
  const stream = download.readableStreamBody as Readable | undefined;
  if (!stream) return [];
  const rows: Record<string, unknown>[] = [];
  const records: AsyncGenerator<Record<string, unknown>> = stored === 'jsonl' ? jsonObjects(stream) : csvObjects(stream, columns);
  let index = stored === 'csv' ? -1 : 0; // a CSV file starts with its header
  try {
    for await (const record of records) {
      if (index >= skip && index >= 0) {
        rows.push(record);
        if (rows.length >= wanted) break;
      }
      index++;
    }
  } finally {
    stream.destroy();
  }
  return rows;
}

async function* jsonObjects(stream: Readable): AsyncGenerator<Record<string, unknown>> {
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) if (line !== '') yield JSON.parse(line) as Record<string, unknown>;
}

async function* csvObjects(stream: Readable, columns: string[]): AsyncGenerator<Record<string, unknown>> {
  for await (const fields of csvRecords(stream)) yield csvRow(fields, columns);
}

/**
 * CSV records as fields (RFC 4180, as Siphon writes it: a line break inside quotes belongs to the
 * value; an empty unquoted field is NULL, `""` the empty string).
 */
async function* csvRecords(stream: Readable): AsyncGenerator<Array<string | null>> {
  let fields: Array<string | null> = [];
  let field = '';
  let wasQuoted = false;
  let quoted = false;
  let afterQuote = false;
  const endField = () => {
    const text = !wasQuoted && field.endsWith('\r') ? field.slice(0, -1) : field;
    fields.push(text === '' && !wasQuoted ? null : text);
    field = '';
    wasQuoted = false;
    afterQuote = false;
  };
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const text = piece.toString('utf8');
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quoted) {
        if (c === '"') {
          quoted = false;
          afterQuote = true;
        } else field += c;
      } else if (c === '"') {
        if (afterQuote) field += '"';
        quoted = true;
        wasQuoted = true;
        afterQuote = false;
      } else if (c === ',') {
        endField();
      } else if (c === '\n') {
        endField();
        yield fields;
        fields = [];
      } else if (!(c === '\r' && afterQuote)) {
        field += c;
        afterQuote = false;
      }
    }
  }
  if (field !== '' || fields.length) {
    endField();
    yield fields;
  }
}

function csvRow(fields: Array<string | null>, columns: string[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((name, index) => [name, fields[index] ?? null]));
}
