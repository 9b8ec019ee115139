import { crc32 } from 'node:zlib';

/**
 * CRC-32 (the zlib/MySQL `CRC32()` polynomial) of a string's UTF-8 bytes. zlib's crc32 of a
 * string first encodes it into a new buffer, which for the short strings of a table costs more
 * than the CRC itself (measured: 134 ms for a million 24-40 character strings). An ASCII string
 * (each UTF-16 unit its own byte) is run here through the four tables of slicing-by-4, straight
 * from its units; the first unit past ASCII hands the string to zlib.
 */
const tables = (() => {
  const t = new Int32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) t[k * 256 + n] = t[(k - 1) * 256 + n]! >>> 8 ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  }
  return t;
})();

/** CRC32 of `text` as UTF-8, an unsigned 32-bit integer, as MySQL's CRC32() of the same utf8mb4 string. */
export function crc32Text(text: string): number {
  const length = text.length;
  const t = tables;
  let crc = -1;
  let seen = 0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const u0 = text.charCodeAt(i);
    const u1 = text.charCodeAt(i + 1);
    const u2 = text.charCodeAt(i + 2);
    const u3 = text.charCodeAt(i + 3);
    seen |= u0 | u1 | u2 | u3;
    crc ^= u0 | (u1 << 8) | (u2 << 16) | (u3 << 24);
    crc = t[768 + (crc & 0xff)]! ^ t[512 + ((crc >>> 8) & 0xff)]! ^ t[256 + ((crc >>> 16) & 0xff)]! ^ t[crc >>> 24]!;
  }
  for (; i < length; i++) {
    const unit = text.charCodeAt(i);
    seen |= unit;
    crc = t[(crc ^ unit) & 0xff]! ^ (crc >>> 8);
  }
  if (seen >= 0x80) return crc32(text);
  return (crc ^ -1) >>> 0;
}
