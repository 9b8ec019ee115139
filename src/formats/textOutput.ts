import { once } from 'node:events';
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { ByteSink } from './formatWriter.js';

/** Writers hand text over in pieces of about this many characters. */
export const textPieceChars = 1 << 16;

/** The sink gets chunks of at least this many bytes (the last one excepted), never one per row. */
export const chunkBytes = 1 << 20;

/** Room for a full chunk plus one more piece of the worst case, 3 UTF-8 bytes per UTF-16 unit. */
const bufferBytes = chunkBytes + 3 * textPieceChars + 1024;

/**
 * The byte end of the text formats: UTF-8 (no byte-order mark, which trips Spark and most CSV
 * readers), optionally gzip, into the sink with its backpressure honoured.
 *
 * Text is encoded straight into a chunk-sized buffer in small pieces, so the strings a writer
 * builds die young; a rope of a whole megabyte of rows lives long enough to be promoted, and then
 * garbage collection costs more than the formatting.
 *
 * Gzip is one deflate stream with no flush until the end, so the bytes depend only on the text and
 * a retry writes the same blob; Node writes mtime 0 into the gzip header, so no clock leaks in.
 * Deflate runs on the libuv thread pool; a write-side buffer of two chunks lets the next chunk be
 * built while the previous one compresses.
 */
export class TextOutput {
  private readonly gzip: Gzip | undefined;
  private buffer = Buffer.alloc(bufferBytes);
  private used = 0;
  private compressed: Buffer[] = [];
  private compressedBytes = 0;

  constructor(private readonly sink: ByteSink, gzip: boolean) {
    if (gzip) {
      // zlib hands stream options on to its Transform, though its typings do not list them.
      const options: ZlibOptions & { writableHighWaterMark: number } = { level: 6, chunkSize: 256 * 1024, writableHighWaterMark: 2 * chunkBytes };
      this.gzip = createGzip(options);
      this.gzip.on('data', (chunk: Buffer) => {
        this.compressed.push(chunk);
        this.compressedBytes += chunk.length;
      });
      // Errors surface through the awaited 'drain'/'end' below; this keeps them from going unhandled.
      this.gzip.on('error', () => {});
    }
  }

  /** Encodes the text after what is buffered; true when a chunk is full and flush() is due. */
  append(text: string): boolean {
    const worstCase = text.length * 3;
    if (this.used + worstCase > this.buffer.length) {
      // Only a single row larger than a piece gets here (a big binary or text value).
      const bigger = Buffer.alloc(this.used + worstCase);
      this.buffer.copy(bigger, 0, 0, this.used);
      this.buffer = bigger;
    }
    this.used += this.buffer.write(text, this.used, 'utf8');
    return this.used >= chunkBytes;
  }

  /** Hands the buffered bytes on (to gzip or the sink). */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    // A fresh buffer each time: the gzip stream holds on to the bytes it is given until it has read them.
    const bytes = this.buffer.subarray(0, this.used);
    this.buffer = Buffer.alloc(bufferBytes);
    this.used = 0;
    if (!this.gzip) return this.sink(bytes);
    if (!this.gzip.write(bytes)) await once(this.gzip, 'drain');
    if (this.compressedBytes >= chunkBytes) await this.forward();
  }

  async end(): Promise<void> {
    await this.flush();
    if (!this.gzip) return;
    const ended = once(this.gzip, 'end');
    this.gzip.end();
    await ended;
    await this.forward();
  }

  private async forward(): Promise<void> {
    if (this.compressedBytes === 0) return;
    const bytes = Buffer.concat(this.compressed, this.compressedBytes);
    this.compressed = [];
    this.compressedBytes = 0;
    await this.sink(bytes);
  }
}
