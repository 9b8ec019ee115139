import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { groupBuffers, type ColumnarGroup, type LeafSpec } from './columnarGroup.js';
import type { EncodeRequest } from './encodeWorker.js';
import { encodeRowGroup, loadZstd, type EncodedGroup, type ParquetCodec } from './rowGroupEncoder.js';

/**
 * Where row groups are encoded. With a second CPU, in one worker thread per process, so the copy
 * reads and decodes the next group while the last one is encoded and compressed (the group's
 * typed arrays are transferred, not copied). With one CPU (a 2048 MB Flex Consumption instance
 * has about one vCPU) a thread would only take turns with the reader and add its own overhead,
 * so groups are encoded inline. The choice is automatic; the bytes are the same either way: both
 * run encodeRowGroup.
 */
export type EncodeMode = 'thread' | 'inline';

const workerFile = new URL('./encodeWorker.js', import.meta.url);

/**
 * The thread runs the compiled worker file; when the code runs from TypeScript sources (tests),
 * there is none next to this module, and groups are encoded inline.
 */
const automaticMode: EncodeMode = availableCpus() >= 2 && existsSync(fileURLToPath(workerFile)) ? 'thread' : 'inline';

/**
 * CPUs this process may use: the affinity count, capped by a cgroup CPU quota (a container's CPU
 * limit), which the libuv of Node 20 does not take into account in availableParallelism().
 */
function availableCpus(): number {
  const cpus = availableParallelism();
  const quota = cgroupCpuQuota();
  return quota !== undefined && Number.isFinite(quota) && quota > 0 ? Math.min(cpus, quota) : cpus;
}

function cgroupCpuQuota(): number | undefined {
  try {
    // cgroup v2: "<quota> <period>" or "max <period>".
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    return quota === 'max' ? undefined : Number(quota) / Number(period);
  } catch {
    try {
      // cgroup v1: a quota of -1 means none.
      const quota = Number(readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', 'utf8'));
      const period = Number(readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_period_us', 'utf8'));
      return quota > 0 && period > 0 ? quota / period : undefined;
    } catch {
      return undefined;
    }
  }
}

export function defaultEncodeMode(): EncodeMode {
  return automaticMode;
}

/** Encodes a group (into `output` if it is large enough; see encodeRowGroup). */
export async function encodeGroup(mode: EncodeMode, specs: LeafSpec[], codec: ParquetCodec, group: ColumnarGroup, output?: ArrayBuffer): Promise<EncodedGroup> {
  if (mode === 'thread') return encoderThread().encode(specs, codec, group, output);
  if (codec === 'ZSTD') await loadZstd();
  return encodeRowGroup(specs, codec, group, output);
}

type Pending = { resolve: (encoded: EncodedGroup) => void; reject: (err: Error) => void };

/** One worker for the process, started on first use and restarted if it dies. */
class EncoderThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  dead = false;

  constructor() {
    this.worker = new Worker(workerFile);
    // An idle encoder must not keep the process alive; it is referenced only while groups are out.
    this.worker.unref();
    this.worker.on('message', (message: { id: number; encoded?: EncodedGroup; error?: string }) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) this.worker.unref();
      if (message.encoded) waiting.resolve(message.encoded);
      else waiting.reject(new Error(`Parquet encoder thread: ${message.error}`));
    });
    const fail = (err: Error) => {
      this.dead = true;
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`Parquet encoder thread exited with code ${code}`)));
  }

  encode(specs: LeafSpec[], codec: ParquetCodec, group: ColumnarGroup, output?: ArrayBuffer): Promise<EncodedGroup> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      const request: EncodeRequest = { id, specs, codec, group, output };
      this.worker.postMessage(request, output ? [...groupBuffers(group), output] : groupBuffers(group));
    });
  }
}

let thread: EncoderThread | undefined;

function encoderThread(): EncoderThread {
  if (!thread || thread.dead) thread = new EncoderThread();
  return thread;
}
