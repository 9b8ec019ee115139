import { createHash } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';

export type StagedBlobWriterOptions = {
  contentType: string;
  blockSizeInBytes?: number;
  maxBlocksInFlight?: number;
};

export type CommittedBlob = { bytes: number; md5: string };

/**
 * Uploads one file as staged blocks and makes it visible only at commit, so a reader never sees
 * half a file and a retry that restages the same block ids and commits replaces it whole.
 * `write` waits while `maxBlocksInFlight` blocks are uploading: that is the backpressure that
 * keeps memory at about (maxBlocksInFlight + 1) blocks whatever the file size.
 */
export class StagedBlobWriter {
  private readonly blockSize: number;
  private readonly maxInFlight: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
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
    this.pending.push(bytes);
    this.pendingBytes += bytes.byteLength;
    if (this.pendingBytes >= this.blockSize) await this.stagePending();
  }

  async commit(): Promise<CommittedBlob> {
    if (this.pendingBytes > 0) await this.stagePending();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    const md5 = this.hash.digest();
    await this.blob.commitBlockList(this.blockIds, {
      blobHTTPHeaders: { blobContentType: this.options.contentType, blobContentMD5: md5 },
    });
    return { bytes: this.totalBytes, md5: md5.toString('base64') };
  }

  private async stagePending(): Promise<void> {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    // Same length for every id of a blob, as the service requires; the index makes it deterministic.
    const blockId = Buffer.from(`block-${String(this.blockIds.length).padStart(8, '0')}`).toString('base64');
    this.blockIds.push(blockId);
    const upload = this.blob.stageBlock(blockId, body, body.byteLength).then(
      () => undefined,
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
