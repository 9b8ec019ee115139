import { parentPort } from 'node:worker_threads';
import { groupBuffers, type ColumnarGroup, type LeafSpec } from './columnarGroup.js';
import { encodeRowGroup, loadZstd, type ParquetCodec } from './rowGroupEncoder.js';

/**
 * The encoder thread (see encoderThread.ts): encodes the row groups it is sent, one at a time,
 * and sends back the group's bytes and column chunk metadata, and the group's own arrays for
 * reuse (all buffers transferred, none copied). `output` is a buffer to encode into.
 */
export type EncodeRequest = { id: number; specs: LeafSpec[]; codec: ParquetCodec; group: ColumnarGroup; output?: ArrayBuffer | undefined };

parentPort!.on('message', (request: EncodeRequest) => {
  void (async () => {
    try {
      if (request.codec === 'ZSTD') await loadZstd();
      const encoded = encodeRowGroup(request.specs, request.codec, request.group, request.output);
      parentPort!.postMessage({ id: request.id, encoded }, [encoded.bytes.buffer as ArrayBuffer, ...groupBuffers(encoded.group)]);
    } catch (err) {
      parentPort!.postMessage({ id: request.id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
  })();
});
