import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import type { Column, FileEntry } from '../spec/columns.js';
import type { FileFormat } from '../spec/pipelineSpec.js';
import { openFormatWriter } from '../formats/formatWriter.js';
import { outputSchema } from '../spec/pipelineSpec.js';
import { parquetCanonicalRows } from './parquetCanonicalRows.js';
import { blobAsyncBuffer } from '../sink/blobAsyncBuffer.js';

export type ResultPageFormat = 'jsonl' | 'csv';
export type ResultPageRequest = { files: FileEntry[]; stored: FileFormat; columns: Column[]; offset: number; limit: number; format: ResultPageFormat };

/**
 * Rows `offset` to `offset + limit` of a query's result, rendered as JSON Lines or CSV (with its
 * header), read from the result files in order. Whole files before the offset are skipped by their
 * recorded row counts. Memory holds the page and at most one Parquet row group, never the whole
 * result:
 * - Parquet is read by byte ranges for the row groups that hold the page, into canonical values,
 *   and written by Siphon's own CSV and JSON Lines writers: the page reads exactly as a CSV or
 *   JSON Lines run of the query would have written it.
 * - CSV and JSON Lines files are streamed record by record and left once the page is full. In
 *   their own format the records pass through as written; in the other, every value is carried as
 *   its text (CSV has no types to recover; JSON numbers and documents become their text).
 */
export async function readResultPage(container: ContainerClient, request: ResultPageRequest): Promise<string> {
  const canonical: unknown[][] = [];
  const passedThrough: string[] = [];
  let skip = request.offset;
  let taken = 0;
  for (const file of request.files) {
    if (taken >= request.limit) break;
    if (skip >= file.rows) {
      skip -= file.rows;
      continue;
    }
    const wanted = Math.min(file.rows - skip, request.limit - taken);
    const blob = container.getBlobClient(file.path);
    if (request.stored === 'parquet') {
      const rows = await parquetCanonicalRows(blobAsyncBuffer(blob, file.bytes), request.columns, skip, skip + wanted);
      canonical.push(...rows);
      taken += rows.length;
    } else {
      const records = await readTextRecords(blob, request.stored, request.columns, skip, wanted);
      if (request.stored === request.format) passedThrough.push(...records.map((record) => record.raw));
      else canonical.push(...records.map((record) => record.values));
      taken += records.length;
    }
    skip = 0;
  }
  if (request.stored !== 'parquet' && request.stored === request.format) {
    const header = request.format === 'csv' ? await render(request.format, request.columns, []) : '';
    return header + passedThrough.join('');
  }
  const columns = request.stored === 'parquet' ? request.columns : request.columns.map((column) => ({ ...column, nullable: true, type: { kind: 'string' as const } }));
  return render(request.format, columns, canonical);
}

/** Rows through Siphon's own writer for the format, into memory. */
async function render(format: ResultPageFormat, columns: Column[], rows: unknown[][]): Promise<string> {
  const chunks: Uint8Array[] = [];
  const writer = openFormatWriter(outputSchema.parse({ container: 'page', format, compression: 'none' }), columns, async (bytes) => {
    chunks.push(bytes.slice());
  });
  await writer.writeRows(rows);
  await writer.finish();
  return Buffer.concat(chunks).toString('utf8');
}

type BlobReader = Pick<ReturnType<ContainerClient['getBlobClient']>, 'downloadToBuffer' | 'download'>;

/** A record as written (`raw`, with its line end) and its values as text (null for NULL). */
type TextRecord = { raw: string; values: Array<string | null> };

async function readTextRecords(blob: BlobReader, stored: 'csv' | 'jsonl', columns: Column[], skip: number, wanted: number): Promise<TextRecord[]> {
  const download = await blob.download();
  const stream = download.readableStreamBody as Readable | undefined;
  if (!stream) return [];
  const records: TextRecord[] = [];
  const source = stored === 'jsonl' ? jsonRecords(stream, columns) : csvRecords(stream);
  // A CSV file starts with its header.
  let index = stored === 'csv' ? -1 : 0;
  try {
    for await (const record of source) {
      if (index >= skip) {
        records.push(record);
        if (records.length >= wanted) break;
      }
      index++;
    }
  } finally {
    stream.destroy();
  }
  return records;
}

async function* jsonRecords(stream: Readable, columns: Column[]): AsyncGenerator<TextRecord> {
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (line === '') continue;
    const object = JSON.parse(line) as Record<string, unknown>;
    yield { raw: `${line}\n`, values: columns.map((column) => textOf(object[column.name])) };
  }
}

function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * CSV records (RFC 4180, as Siphon writes it: a line break inside quotes belongs to the value; an
 * empty unquoted field is NULL, `""` the empty string).
 */
async function* csvRecords(stream: Readable): AsyncGenerator<TextRecord> {
  let values: Array<string | null> = [];
  let raw = '';
  let field = '';
  let wasQuoted = false;
  let quoted = false;
  let afterQuote = false;
  const endField = () => {
    const text = !wasQuoted && field.endsWith('\r') ? field.slice(0, -1) : field;
    values.push(text === '' && !wasQuoted ? null : text);
    field = '';
    wasQuoted = false;
    afterQuote = false;
  };
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const text = piece.toString('utf8');
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      raw += c;
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
        yield { raw, values };
        values = [];
        raw = '';
      } else if (!(c === '\r' && afterQuote)) {
        field += c;
        afterQuote = false;
      }
    }
  }
  if (raw !== '') {
    endField();
    yield { raw: `${raw}\r\n`, values };
  }
}
