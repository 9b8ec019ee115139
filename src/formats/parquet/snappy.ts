import { createRequire } from 'node:module';

/**
 * Snappy for Parquet pages. The native one (the `snappy` package: Rust's snap crate, prebuilt by
 * napi-rs for each platform and installed as an optional dependency, with no install script) is
 * five to ten times faster than JavaScript, and is used whenever its binary loads. Without it
 * (a platform with no prebuilt binary, or a package assembled on another platform than the one
 * it runs on) pages are compressed by jsSnappyCompress below. Both are deterministic, but they
 * emit different (equally valid) bytes: a file's bytes depend on which one the installation has.
 */
type NativeSnappy = { compressSync(input: Buffer): Buffer };

const native: NativeSnappy | undefined = (() => {
  try {
    return createRequire(import.meta.url)('snappy') as NativeSnappy;
  } catch {
    return undefined;
  }
})();

/** The compressed form of `input`; may be a view of a buffer that the next call reuses. */
export const snappyCompress: (input: Uint8Array) => Uint8Array = native
  ? (input) => native.compressSync(Buffer.from(input.buffer, input.byteOffset, input.byteLength))
  : jsSnappyCompress;

/*
 * The JavaScript fallback: exactly the bytes of hyparquet-writer's snappy.js (a port of
 * snappyjs: one block over the whole input, 14-bit hash table at most, the same skip heuristic),
 * which is what Siphon wrote before, at about half the time: it writes into one preallocated
 * buffer instead of appending byte by byte through a DataView.
 */
const maxHashTableBits = 14;
const maxOffset = 0xffff;
const inputMargin = 15;
const hashTables: Uint32Array[] = [];
let scratch = new Uint8Array(1 << 16);

/**
 * The compressed form of `input` by the JavaScript port. The result is a view of a buffer reused
 * by the next call: the caller copies it out before compressing again.
 */
export function jsSnappyCompress(input: Uint8Array): Uint8Array {
  const inputSize = input.length;
  // Every literal of up to 60 bytes costs one header byte and is followed by a copy of at least
  // 4 bytes that costs at most 3, so only literals over 60 bytes (header up to 5 bytes) grow the
  // output: it never exceeds inputSize + inputSize / 12 + the length varint and a last header.
  const bound = inputSize + (inputSize >>> 3) + 32;
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  const out = scratch;
  let op = 0;
  let length = inputSize;
  while ((length & ~0x7f) !== 0) {
    out[op++] = (length & 0x7f) | 0x80;
    length >>>= 7;
  }
  out[op++] = length;

  let hashTableBits = 1;
  while (1 << hashTableBits <= inputSize && hashTableBits <= maxHashTableBits) hashTableBits++;
  hashTableBits--;
  const shift = 32 - hashTableBits;
  const table = (hashTables[hashTableBits] ??= new Uint32Array(1 << hashTableBits));
  table.fill(0);

  let ip = 0;
  let nextEmit = 0;
  if (inputSize >= inputMargin) {
    const ipLimit = inputSize - inputMargin;
    ip++;
    let nextHash = Math.imul(load32(input, ip), 0x1e35a7bd) >>> shift;
    outer: for (;;) {
      let skip = 32;
      let nextIp = ip;
      let candidate = 0;
      do {
        ip = nextIp;
        const hash = nextHash;
        const bytesBetweenHashLookups = skip >>> 5;
        skip++;
        nextIp = ip + bytesBetweenHashLookups;
        if (ip > ipLimit) break outer;
        nextHash = Math.imul(load32(input, nextIp), 0x1e35a7bd) >>> shift;
        candidate = table[hash]!;
        table[hash] = ip;
      } while (ip - candidate > maxOffset || load32(input, ip) !== load32(input, candidate));

      op = emitLiteral(out, op, input, nextEmit, ip - nextEmit);

      do {
        const base = ip;
        let matched = 4;
        while (ip + matched < inputSize && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        op = emitCopy(out, op, base - candidate, matched);
        nextEmit = ip;
        if (ip >= ipLimit) break outer;
        const prevHash = Math.imul(load32(input, ip - 1), 0x1e35a7bd) >>> shift;
        table[prevHash] = ip - 1;
        const curHash = Math.imul(load32(input, ip), 0x1e35a7bd) >>> shift;
        candidate = table[curHash]!;
        table[curHash] = ip;
      } while (ip - candidate <= maxOffset && load32(input, ip) === load32(input, candidate));

      ip++;
      nextHash = Math.imul(load32(input, ip), 0x1e35a7bd) >>> shift;
    }
  }
  if (nextEmit < inputSize) op = emitLiteral(out, op, input, nextEmit, inputSize - nextEmit);
  return out.subarray(0, op);
}

/**
 * The little-endian 32-bit word at `pos`. Past the end it reads missing bytes as 0 where the
 * original reads NaN; both hash to 0 and neither value is ever used (see the loop bounds).
 */
function load32(array: Uint8Array, pos: number): number {
  return array[pos]! | (array[pos + 1]! << 8) | (array[pos + 2]! << 16) | (array[pos + 3]! << 24);
}

function emitLiteral(out: Uint8Array, op: number, input: Uint8Array, ip: number, len: number): number {
  if (len <= 60) {
    out[op++] = (len - 1) << 2;
  } else {
    const value = len - 1;
    const bytes = value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4;
    out[op++] = (59 + bytes) << 2;
    for (let i = 0; i < bytes; i++) out[op++] = value >>> (i * 8);
  }
  if (len < 32) {
    for (let i = 0; i < len; i++) out[op + i] = input[ip + i]!;
  } else {
    out.set(input.subarray(ip, ip + len), op);
  }
  return op + len;
}

function emitCopyLessThan64(out: Uint8Array, op: number, offset: number, len: number): number {
  if (len < 12 && offset < 2048) {
    out[op++] = 1 + ((len - 4) << 2) + ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 + ((len - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

function emitCopy(out: Uint8Array, op: number, offset: number, len: number): number {
  while (len >= 68) {
    op = emitCopyLessThan64(out, op, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    op = emitCopyLessThan64(out, op, offset, 60);
    len -= 60;
  }
  return emitCopyLessThan64(out, op, offset, len);
}
