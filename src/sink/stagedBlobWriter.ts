import { createHash } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';

export type StagedBlobWriterOptions = {
  contentType: string;
  blockSizeInBytes?: number;
  maxBlocksInFlight?: number;
};

export type CommittedBlob = { bytes: number; md5: string };

/** The first block buffer of a blob; it doubles up to the block size, so small files stay small. */
const initialBufferBytes = 64 * 1024;

/**
 * Uploads one file as staged blocks and makes it visible only at commit, so a reader never sees
 * half a file and a retry that restages the same block ids and commits replaces it whole.
 * Written bytes are copied into the block being filled (the caller may reuse its buffer once
 * `write` resolves); a full block is staged while the next one fills. `write` waits while
 * `maxBlocksInFlight` blocks are uploading: that is the backpressure that keeps memory at about
 * (maxBlocksInFlight + 1) blocks whatever the file size. Block buffers are reused once their
 * upload is done, so a long file does not allocate (and leave to the garbage collector) a new
 * buffer per block.
 */
export class StagedBlobWriter {
  private readonly blockSize: number;
  private readonly maxInFlight: number;
  private block: Uint8Array | undefined;
  private filled = 0;
  /** A finished upload's buffer, kept for the next block. */
  private spare: Uint8Array | undefined;
  private readonly blockIds: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private readonly hash = createHash('md5');
  private totalBytes = 0;

  constructor(private readonly blob: BlockBlobClient, private readonly options: StagedBlobWriterOptions) {
    this.blockSize = options.blockSizeInBytes ?? 8 * 1024 * 1024;
    this.maxInFlight = options.maxBlocksInFlight ?? 2;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.throwIfFailed();
    this.hash.update(bytes);
    this.totalBytes += bytes.byteLength;
    let at = 0;
    while (at < bytes.byteLength) {
      const block = this.room(bytes.byteLength - at);
      const length = Math.min(bytes.byteLength - at, block.byteLength - this.filled);
      block.set(bytes.subarray(at, at + length), this.filled);
      this.filled += length;
      at += length;
      if (this.filled === this.blockSize) await this.stageBlock();
    }
  }

  async commit(): Promise<CommittedBlob> {
    if (this.filled > 0) await this.stageBlock();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    this.block = undefined;
    this.spare = undefined;
    const md5 = this.hash.digest();
    await this.blob.commitBlockList(this.blockIds, {
      blobHTTPHeaders: { blobContentType: this.options.contentType, blobContentMD5: md5 },
    });
    return { bytes: this.totalBytes, md5: md5.toString('base64') };
  }

  /** The block being filled, with room for `wanted` more bytes or up to the block size. */
  private room(wanted: number): Uint8Array {
    let block = this.block;
    if (!block) {
      block = this.spare ?? new Uint8Array(Math.min(this.blockSize, Math.max(initialBufferBytes, wanted)));
      this.spare = undefined;
    } else if (this.filled === block.byteLength) {
      const bigger = new Uint8Array(Math.min(this.blockSize, Math.max(block.byteLength * 2, this.filled + wanted)));
      bigger.set(block);
      block = bigger;
    }
    this.block = block;
    return block;
  }

  private async stageBlock(): Promise<void> {
    const buffer = this.block!;
    const body = buffer.subarray(0, this.filled);
    this.block = undefined;
    this.filled = 0;
    // Same length for every id of a blob, as the service requires; the index makes it deterministic.
    const blockId = Buffer.from(`block-${String(this.blockIds.length).padStart(8, '0')}`).toString('base64');
    this.blockIds.push(blockId);
    const upload = this.blob.stageBlock(blockId, body, body.byteLength).then(
      () => {
        if (buffer.byteLength === this.blockSize) this.spare = buffer;
      },
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    const tracked = upload.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
