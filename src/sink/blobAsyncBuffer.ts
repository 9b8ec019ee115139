import type { ContainerClient } from '@azure/storage-blob';
import type { AsyncBuffer } from 'hyparquet';

type RangeReader = Pick<ReturnType<ContainerClient['getBlobClient']>, 'downloadToBuffer'>;

/** A blob as hyparquet's AsyncBuffer: each slice is one ranged download, so only the parts read are fetched. */
export function blobAsyncBuffer(blob: RangeReader, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    slice: async (start, end) => {
      const length = (end ?? byteLength) - start;
      const buffer = await blob.downloadToBuffer(start, length);
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
    },
  };
}
