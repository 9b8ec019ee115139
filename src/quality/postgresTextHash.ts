/**
 * PostgreSQL's `hashtextextended(text, 0)` of a string, computed here: Bob Jenkins' lookup3 as
 * PostgreSQL's hash_bytes_extended (src/common/hashfn.c) runs it on a little-endian server, over
 * the string's UTF-8 bytes, the 64-bit result (b << 32 | c) read as a signed bigint. The
 * reconciliation checksum hashes PostgreSQL's strings with it because the server computes it at
 * a tenth of md5's cost (measured: 0.05 vs 0.78 CPU s per million 30-character strings), and
 * this port costs about as much as zlib's crc32. No npm package ports PostgreSQL's variant
 * (the seed handling and the byte placement of the last 11 bytes are its own).
 */
const scratch = { bytes: new Uint8Array(256) };

const rot = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/**
 * Where the hashes leave their result: high (b) and low (c) 32 bits, unsigned. One shared object
 * rather than a tuple per call, which at millions of values a chunk is garbage the collector
 * would have to take.
 */
export const hashed = { high: 0, low: 0 };

/** The hash of UTF-8 bytes[0, length), left in `hashed`. */
export function hashBytesExtended(k: Uint8Array, length: number): void {
  let a = (0x9e3779b9 + length + 3923095) | 0;
  let b = a;
  let c = a;
  let i = 0;
  let len = length;
  while (len >= 12) {
    a = (a + (k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24))) | 0;
    b = (b + (k[i + 4]! | (k[i + 5]! << 8) | (k[i + 6]! << 16) | (k[i + 7]! << 24))) | 0;
    c = (c + (k[i + 8]! | (k[i + 9]! << 8) | (k[i + 10]! << 16) | (k[i + 11]! << 24))) | 0;
    // mix(a, b, c)
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
    i += 12;
    len -= 12;
  }
  // The last 11 bytes, little-endian; the lowest byte of c is left for nothing (as in hashfn.c).
  if (len >= 11) c = (c + (k[i + 10]! << 24)) | 0;
  if (len >= 10) c = (c + (k[i + 9]! << 16)) | 0;
  if (len >= 9) c = (c + (k[i + 8]! << 8)) | 0;
  if (len >= 8) b = (b + (k[i + 7]! << 24)) | 0;
  if (len >= 7) b = (b + (k[i + 6]! << 16)) | 0;
  if (len >= 6) b = (b + (k[i + 5]! << 8)) | 0;
  if (len >= 5) b = (b + k[i + 4]!) | 0;
  if (len >= 4) a = (a + (k[i + 3]! << 24)) | 0;
  if (len >= 3) a = (a + (k[i + 2]! << 16)) | 0;
  if (len >= 2) a = (a + (k[i + 1]! << 8)) | 0;
  if (len >= 1) a = (a + k[i]!) | 0;
  // final(a, b, c)
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  hashed.high = b >>> 0;
  hashed.low = c >>> 0;
}

const encoder = new TextEncoder();

/**
 * hashBytesExtended of a string's UTF-8 bytes. An ASCII string (each unit its own byte, the
 * common case) is hashed straight from its UTF-16 units, twelve at a time, with no copy into a
 * buffer: measured 83 -> 45 ms for a million 24-40 character strings. The first unit past ASCII
 * (seen at the end, from the OR of all units) sends the string to the encoder and the byte loop.
 */
export function hashTextExtended(text: string): void {
  const length = text.length;
  let a = (0x9e3779b9 + length + 3923095) | 0;
  let b = a;
  let c = a;
  let seen = 0;
  let i = 0;
  let len = length;
  while (len >= 12) {
    const u0 = text.charCodeAt(i); const u1 = text.charCodeAt(i + 1); const u2 = text.charCodeAt(i + 2); const u3 = text.charCodeAt(i + 3);
    const u4 = text.charCodeAt(i + 4); const u5 = text.charCodeAt(i + 5); const u6 = text.charCodeAt(i + 6); const u7 = text.charCodeAt(i + 7);
    const u8 = text.charCodeAt(i + 8); const u9 = text.charCodeAt(i + 9); const u10 = text.charCodeAt(i + 10); const u11 = text.charCodeAt(i + 11);
    seen |= u0 | u1 | u2 | u3 | u4 | u5 | u6 | u7 | u8 | u9 | u10 | u11;
    a = (a + (u0 | (u1 << 8) | (u2 << 16) | (u3 << 24))) | 0;
    b = (b + (u4 | (u5 << 8) | (u6 << 16) | (u7 << 24))) | 0;
    c = (c + (u8 | (u9 << 8) | (u10 << 16) | (u11 << 24))) | 0;
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
    i += 12;
    len -= 12;
  }
  // The last 11 units, placed as hashBytesExtended places the last bytes (no read past the end,
  // which would take V8 off its fast path).
  if (len >= 11) { const u = text.charCodeAt(i + 10); seen |= u; c = (c + (u << 24)) | 0; }
  if (len >= 10) { const u = text.charCodeAt(i + 9); seen |= u; c = (c + (u << 16)) | 0; }
  if (len >= 9) { const u = text.charCodeAt(i + 8); seen |= u; c = (c + (u << 8)) | 0; }
  if (len >= 8) { const u = text.charCodeAt(i + 7); seen |= u; b = (b + (u << 24)) | 0; }
  if (len >= 7) { const u = text.charCodeAt(i + 6); seen |= u; b = (b + (u << 16)) | 0; }
  if (len >= 6) { const u = text.charCodeAt(i + 5); seen |= u; b = (b + (u << 8)) | 0; }
  if (len >= 5) { const u = text.charCodeAt(i + 4); seen |= u; b = (b + u) | 0; }
  if (len >= 4) { const u = text.charCodeAt(i + 3); seen |= u; a = (a + (u << 24)) | 0; }
  if (len >= 3) { const u = text.charCodeAt(i + 2); seen |= u; a = (a + (u << 16)) | 0; }
  if (len >= 2) { const u = text.charCodeAt(i + 1); seen |= u; a = (a + (u << 8)) | 0; }
  if (len >= 1) { const u = text.charCodeAt(i); seen |= u; a = (a + u) | 0; }
  if (seen >= 0x80) {
    const bytes = utf8Of(text);
    hashBytesExtended(bytes, encoder.encodeInto(text, bytes).written);
    return;
  }
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  hashed.high = b >>> 0;
  hashed.low = c >>> 0;
}

/** The reused buffer, grown to hold the UTF-8 of `text` (at most 3 bytes per UTF-16 unit). */
function utf8Of(text: string): Uint8Array {
  if (text.length * 3 > scratch.bytes.length) scratch.bytes = new Uint8Array(Math.max(text.length * 3, scratch.bytes.length * 2));
  return scratch.bytes;
}

/**
 * PostgreSQL's hashint8extended(value, 0), which is also timestamp_hash_extended and
 * time_hash_extended of their int64 microseconds: the low half xor the high half (inverted for
 * negative values), through hash_uint32_extended. `value` must be a safe integer.
 */
export function hashInt8Extended(value: number): void {
  const high = Math.floor(value / 4_294_967_296);
  hashInt8Halves(high, value - high * 4_294_967_296);
}

/** hashInt8Extended of the int64 high (signed) x 2^32 + low (unsigned). */
export function hashInt8Halves(high: number, low: number): void {
  const folded = (low ^ (high >= 0 ? high : ~high)) >>> 0;
  let a = (0x9e3779b9 + 4 + 3923095 + folded) | 0;
  let b = (0x9e3779b9 + 4 + 3923095) | 0;
  let c = b;
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  hashed.high = b >>> 0;
  hashed.low = c >>> 0;
}
