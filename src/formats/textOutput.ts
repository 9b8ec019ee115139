import { once } from 'node:events';
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { ByteSink } from './formatWriter.js';

/** Text is handed on in chunks of at least this size, never per row. */
export const textChunkChars = 1 << 20;

/**
 * The byte end of the text formats: UTF-8 (no byte-order mark, which trips Spark and most CSV
 * readers), optionally gzip, into the sink with its backpressure honoured.
 *
 * Gzip is one deflate stream with no flush until the end, so the bytes depend only on the text and
 * a retry writes the same blob; Node writes mtime 0 into the gzip header, so no clock leaks in.
 * Deflate runs on the libuv thread pool; a small write-side buffer lets the next chunk of text be
 * built while the previous one compresses.
 */
export class TextOutput {
  private readonly gzip: Gzip | undefined;
  private compressed: Buffer[] = [];
  private compressedBytes = 0;

  constructor(private readonly sink: ByteSink, gzip: boolean) {
    if (gzip) {
      // zlib hands stream options on to its Transform, though its typings do not list them.
      const options: ZlibOptions & { writableHighWaterMark: number } = { level: 6, chunkSize: 256 * 1024, writableHighWaterMark: 2 * textChunkChars };
      this.gzip = createGzip(options);
      this.gzip.on('data', (chunk: Buffer) => {
        this.compressed.push(chunk);
        this.compressedBytes += chunk.length;
      });
      // Errors surface through the awaited 'drain'/'end' below; this keeps them from going unhandled.
      this.gzip.on('error', () => {});
    }
  }

  async write(text: string): Promise<void> {
    if (text.length === 0) return;
    const bytes = Buffer.from(text, 'utf8');
    if (!this.gzip) return this.sink(bytes);
    if (!this.gzip.write(bytes)) await once(this.gzip, 'drain');
    if (this.compressedBytes >= textChunkChars) await this.forward();
  }

  async end(): Promise<void> {
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
