import type { RowGroup, SchemaElement, Statistics } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writeIndexes } from 'hyparquet-writer/src/indexes.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { PageIndexes } from 'hyparquet-writer/src/types.js';
import type { Column } from '../../spec/columns.js';
import type { ByteSink, FormatWriter } from '../formatWriter.js';
import type { RowBuffer } from '../rowBuffer.js';
import { ColumnarGroupBuilder, leafSpecs, type LeafSpec } from './columnarGroup.js';
import { defaultEncodeMode, encodeGroup, type EncodeMode } from './encoderThread.js';
import type { EncodedGroup, ParquetCodec } from './rowGroupEncoder.js';
import { parquetSchema } from './parquetSchema.js';

export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none';

const codecs = { snappy: 'SNAPPY', zstd: 'ZSTD', gzip: 'GZIP', none: 'UNCOMPRESSED' } as const satisfies Record<ParquetCompression, ParquetCodec>;

/**
 * Groups handed to the encoder and not yet in the sink: one is encoded while the caller gathers
 * the next. More would keep the encoder thread busy through the caller's pauses, but each holds
 * another group and its bytes, and on two cores it brought no measurable gain.
 */
const maxGroupsInFlight = 1;

/** "PAR1", at both ends of the file. */
const magic = 0x31524150;

/**
 * Writes one Parquet file, a row group per buffer of rows (see ColumnarGroupBuilder), with the
 * file layout and footer of hyparquet-writer's ParquetWriter (whose footer and index writers it
 * uses). Each group's bytes go to the sink as one piece, so a file of any size holds about one
 * encoded group in memory. A group is encoded while the caller gathers the next one (in the
 * encoder thread when there is one): `writeBuffer` returns once the previous group is in the
 * sink, and errors of a group surface at the next call or at `finish`. The arrays of an encoded
 * group and the buffer of its bytes are reused for the next groups (no allocation per group).
 */
export class ParquetFileWriter implements FormatWriter {
  private readonly schema: SchemaElement[];
  private readonly specs: LeafSpec[];
  private readonly codec: ParquetCodec;
  private readonly encodeMode: EncodeMode;
  /** Bytes handed to the sink so far. */
  private offset = 0;
  private numRows = 0n;
  private readonly rowGroups: RowGroup[] = [];
  private readonly pageIndexes: PageIndexes[] = [];
  /** The buffer of the last group's bytes once the sink has them, for the next group to be encoded into. */
  private spareOutput: ArrayBuffer | undefined;
  /** Groups being encoded or written, oldest first; each one's bytes follow the one before. */
  private inFlight: Array<Promise<void>> = [];

  constructor(private readonly columns: Column[], compression: ParquetCompression, private readonly sink: ByteSink, options: { encodeMode?: EncodeMode } = {}) {
    this.schema = parquetSchema(columns);
    this.specs = leafSpecs(columns);
    this.codec = codecs[compression];
    this.encodeMode = options.encodeMode ?? defaultEncodeMode();
  }

  /** Writes the rows as one row group. */
  async writeRows(rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const buffer = new ColumnarGroupBuilder(this.columns, rows.length);
    for (const row of rows) buffer.add(row);
    await this.writeBuffer(buffer);
  }

  /** Writes the buffered rows as one row group and empties the buffer. */
  async writeBuffer(buffer: RowBuffer): Promise<void> {
    if (!(buffer instanceof ColumnarGroupBuilder)) throw new Error('A Parquet file is written from a columnar row buffer');
    if (buffer.rows === 0) return;
    const group = buffer.take();
    while (this.inFlight.length >= maxGroupsInFlight) await this.inFlight.shift();
    const output = this.spareOutput;
    this.spareOutput = undefined;
    const encoded = encodeGroup(this.encodeMode, this.specs, this.codec, group, output);
    const before = this.inFlight.at(-1);
    const appended = Promise.all([encoded, before]).then(([result]) => {
      buffer.recycle(result.group);
      return this.append(result, group.rows);
    });
    // Marked as handled here; the rejection itself is awaited (and thrown) by a later call.
    appended.catch(() => undefined);
    this.inFlight.push(appended);
  }

  /**
   * Each leaf's minimum, maximum and NULL count over the whole file, from the statistics the
   * encoder wrote into the footer (so they say exactly what readers see there). Complete once
   * `finish` has resolved.
   */
  statistics(): LeafStatistics[] {
    return this.specs.map((spec, index) => {
      const leaf: LeafStatistics = { spec, nullCount: 0, nanCount: 0 };
      for (const group of this.rowGroups) {
        const statistics = group.columns[index]!.meta_data!.statistics as (Statistics & { nan_count?: bigint }) | undefined;
        if (!statistics) continue;
        leaf.nullCount += Number(statistics.null_count ?? 0n);
        leaf.nanCount += Number(statistics.nan_count ?? 0n);
        if (statistics.min_value !== undefined && statistics.min_value !== null && (leaf.min === undefined || compareStatistic(statistics.min_value, leaf.min) < 0)) leaf.min = statistics.min_value;
        if (statistics.max_value !== undefined && statistics.max_value !== null && (leaf.max === undefined || compareStatistic(statistics.max_value, leaf.max) > 0)) leaf.max = statistics.max_value;
      }
      return leaf;
    });
  }

  async finish(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
    // JSON columns are written as the document's own UTF-8 bytes under the JSON logical type only,
    // because with the JSON converted type hyparquet-writer would have re-serialized each value
    // (rounding big numbers through doubles). The footer is written from this same schema array, so
    // adding the converted type now gives readers that only know converted types (DuckDB among
    // them) a string column instead of bytes.
    for (const element of this.schema) {
      if (element.logical_type?.type === 'JSON') element.converted_type = 'JSON';
    }
    const writer = new ByteWriter();
    if (this.offset === 0) writer.appendUint32(magic);
    else writer.offset = this.offset;
    writeIndexes(writer, this.pageIndexes);
    writeMetadata(writer, { version: 2, created_by: 'siphon', schema: this.schema, num_rows: this.numRows, row_groups: this.rowGroups, metadata_length: 0 });
    writer.appendUint32(magic);
    await this.sink(new Uint8Array(writer.buffer, 0, writer.index).slice());
  }

  /** Places an encoded group after what the file holds so far: its offsets become file offsets. */
  private async append(encoded: EncodedGroup, rows: number): Promise<void> {
    if (this.offset === 0) {
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, magic, true);
      await this.sink(header);
      this.offset = 4;
    }
    const bytes = encoded.bytes;
    const base = BigInt(this.offset);
    let totalByteSize = 0n;
    encoded.columns.forEach((chunk, index) => {
      chunk.file_offset += base;
      const meta = chunk.meta_data!;
      meta.data_page_offset += base;
      if (meta.dictionary_page_offset !== undefined) meta.dictionary_page_offset += base;
      totalByteSize += meta.total_uncompressed_size;
      const offsetIndex = encoded.offsetIndexes[index];
      for (const location of offsetIndex?.page_locations ?? []) location.offset += base;
      this.pageIndexes.push({ chunk, offsetIndex });
    });
    this.rowGroups.push({
      columns: encoded.columns,
      total_byte_size: totalByteSize,
      num_rows: BigInt(rows),
      total_compressed_size: BigInt(bytes.length),
    });
    this.numRows += BigInt(rows);
    this.offset += bytes.length;
    await this.sink(bytes);
    // The sink copied what it keeps (see ByteSink).
    this.spareOutput = bytes.buffer as ArrayBuffer;
  }
}

/**
 * A leaf's statistics over a file, in the encoder's own value types: a number (INT32, FLOAT,
 * DOUBLE), a bigint (INT64, UINT_64 as unsigned, every DECIMAL as its unscaled integer), a
 * boolean, or the bytes (strings as UTF-8, binary, uuid). min and max are absent when every
 * value is NULL (or NaN).
 */
export type LeafStatistics = { spec: LeafSpec; min?: unknown; max?: unknown; nullCount: number; nanCount: number };

/** The order the encoder chose min and max in: numbers and bigints by value, bytes unsigned lexicographically. */
function compareStatistic(a: unknown, b: unknown): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return (a as number | bigint) < (b as number | bigint) ? -1 : (a as number | bigint) > (b as number | bigint) ? 1 : 0;
}
