import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ChunkChecksummer, checksumTerms, sourceSumDigits, unscaledDigits, type ChecksumDialect } from '../../src/quality/chunkChecksum.js';
import type { Column, OutputType } from '../../src/spec/columns.js';
import { hashBytesExtended, hashed } from '../../src/quality/postgresTextHash.js';
import { dateDigits } from '../../src/quality/calendarDigits.js';

/**
 * The JS side of reconciliation's checksum (README "Reconciliation"), type by type. Expected
 * terms come from the engines themselves where a hash is involved (values PostgreSQL's
 * hashtextextended and float8send, MariaDB's CRC32 gave for the same inputs, pasted here) or
 * from Node's own encoders, never from the module under test.
 */
const column = (name: string, type: OutputType, sourceType = 'x'): Column => ({ name, sourceType, nullable: true, type });

function checksumOf(type: OutputType, values: unknown[], dialect: ChecksumDialect = 'postgres') {
  const terms = checksumTerms([column('c', type)], dialect);
  const checksummer = new ChunkChecksummer(terms, dialect);
  checksummer.add(values.map((value) => [value]));
  return checksummer.result();
}

describe('chunk checksum terms', () => {
  it('sums integers exactly at their extremes, and counts NULLs out', () => {
    expect(checksumOf({ kind: 'int32' }, [2147483647, -2147483648, null, 5])).toEqual({ rows: 4, columns: [{ nonNull: 3, sum: '4' }] });
    expect(checksumOf({ kind: 'int64' }, [9223372036854775807n, 9223372036854775807n, null])).toEqual({ rows: 3, columns: [{ nonNull: 2, sum: '18446744073709551614' }] });
    expect(checksumOf({ kind: 'uint64' }, [18446744073709551615n, 1n])).toEqual({ rows: 2, columns: [{ nonNull: 2, sum: '18446744073709551616' }] });
    // 2^20 values of 2^31 - 1: far past a double's exact range if the lanes did not fold.
    const many = Array.from({ length: 1 << 12 }, () => 2147483647);
    const checksummer = new ChunkChecksummer(checksumTerms([column('c', { kind: 'int32' })], 'postgres'), 'postgres');
    for (let i = 0; i < 256; i++) checksummer.add(many.map((value) => [value]));
    expect(checksummer.result().columns[0]!.sum).toBe(String(2147483647n * (1n << 20n)));
  });

  it('sums decimals as unscaled integers, short and long, signs and zeros', () => {
    const type: OutputType = { kind: 'decimal', precision: 38, scale: 4 };
    expect(checksumOf(type, ['-12.3000', '0.0001', '99999999999999999999999999999999.9999', '-0.0000', null]).columns[0])
      .toEqual({ nonNull: 4, sum: String(-123000n + 1n + 999999999999999999999999999999999999n) });
    expect(unscaledDigits('-12.3', 2)).toBe('-1230');
    expect(unscaledDigits('0.00', 2)).toBe('0');
    expect(unscaledDigits('-0.00', 2)).toBe('0');
    // The source's sum text with more (zero) digits than the scale, as PostgreSQL may print it.
    expect(sourceSumDigits({ name: 'c', term: 'decimal', scale: 2 }, '12.3400')).toBe('1234');
    expect(sourceSumDigits({ name: 'c', term: 'micros', scale: 0 }, '1700000000000000.000000')).toBe('1700000000000000');
    expect(sourceSumDigits({ name: 'c', term: 'integer', scale: 0 }, null)).toBe('0');
  });

  it('sums floats as their IEEE 754 bits, -0.0 and NaN apart from 0.0, as PostgreSQL float8send/float4send give them', () => {
    // select ('x'||encode(float8send(v),'hex'))::bit(64)::bigint: -0 -> -9223372036854775808, NaN -> 9221120237041090560, 1.5 -> 4609434218613702656
    expect(checksumOf({ kind: 'float64' }, [-0]).columns[0]!.sum).toBe('-9223372036854775808');
    expect(checksumOf({ kind: 'float64' }, [Number.NaN]).columns[0]!.sum).toBe('9221120237041090560');
    expect(checksumOf({ kind: 'float64' }, [1.5, 0]).columns[0]!.sum).toBe('4609434218613702656');
    expect(checksumOf({ kind: 'float32' }, [-0]).columns[0]!.sum).toBe('-2147483648');
    expect(checksumOf({ kind: 'float64' }, [Number.MAX_VALUE, -Infinity]).columns[0]!.sum).toBe(String(0x7fefffffffffffffn + BigInt.asIntN(64, 0xfff0000000000000n)));
    // MySQL gives no float bits: values are counted only.
    expect(checksumOf({ kind: 'float64' }, [1.5, null], 'mysql').columns[0]).toEqual({ nonNull: 1, sum: '0' });
  });

  it('hashes strings, json and uuids as each engine does, Unicode beyond the BMP included', () => {
    // PostgreSQL: select hashtextextended(v collate "C", 0)
    expect(checksumOf({ kind: 'string' }, ['hello world']).columns[0]!.sum).toBe('6947366892317592103');
    expect(checksumOf({ kind: 'json' }, ['Zoë 𝔘 🚀']).columns[0]!.sum).toBe('5261205854029187490');
    expect(checksumOf({ kind: 'string' }, ['', null]).columns[0]).toEqual({ nonNull: 1, sum: '-6939563903564495251' });
    expect(checksumOf({ kind: 'string' }, ['hello world', 'Zoë 𝔘 🚀']).columns[0]!.sum).toBe(String(6947366892317592103n + 5261205854029187490n));
    // MariaDB: select crc32('hello world'), crc32(convert('Zoë 𝔘 🚀' using utf8mb4)) with a utf8mb4 client
    expect(checksumOf({ kind: 'string' }, ['hello world', 'Zoë 𝔘 🚀'], 'mysql').columns[0]!.sum).toBe(String(222957957 + 2818625779));
    // SQL Server: HASHBYTES('MD5', nvarchar) hashes UTF-16LE; the first 8 bytes as a signed bigint.
    const md5 = createHash('md5').update(Buffer.from('🚀 x', 'utf16le')).digest();
    expect(checksumOf({ kind: 'uuid' }, ['🚀 x'], 'sqlserver').columns[0]!.sum).toBe(String(md5.readBigInt64BE(0)));
  });

  it('hashes ASCII strings of every tail length straight from their units as the engines hash their bytes', () => {
    // PostgreSQL: select hashtextextended(v collate "C", 0): lengths 1, 4, 10, 12 (one whole block), 25 and 36 (blocks and tails).
    const postgres: Array<[string, bigint]> = [
      ['x', -474845166489675639n], ['abcd', -1038429303365892052n], ['abcdefghij', -3183301415634409076n], ['abcdefghijkl', -7556637188122330412n],
      ['The quick brown fox jumps', -6568008242738964476n], ['0123456789abcdef0123456789abcdef0123', -2917977427944661696n],
    ];
    for (const [text, hash] of postgres) expect(checksumOf({ kind: 'string' }, [text]).columns[0]!.sum, text).toBe(String(hash));
    // MariaDB: select crc32(v) with a utf8mb4 client (the last one not ASCII: zlib's path).
    const mysql: Array<[string, number]> = [['x', 2363233923], ['abc', 891568578], ['abcde', 2240272485], ['abcdefghijkl', 4135066404], ['The quick brown fox jumps', 3616334110], ['café au lait, déjà vu', 1709688591]];
    for (const [text, crc] of mysql) expect(checksumOf({ kind: 'string' }, [text], 'mysql').columns[0]!.sum, text).toBe(String(crc));
    // Every length up to 40, ASCII and with one character past it at each place (and long strings past the byte buffer's first size), against zlib and PostgreSQL's byte path.
    const alphabet = 'Zz09 ~!aQ';
    for (let length = 0; length <= 40; length++) {
      const ascii = Array.from({ length }, (_, i) => alphabet[(i * 7 + length) % alphabet.length]).join('');
      const variants = [ascii, ...Array.from({ length }, (_, i) => `${ascii.slice(0, i)}é${ascii.slice(i + 1)}`), `${ascii}🚀`.repeat(length)];
      for (const text of variants) {
        expect(checksumOf({ kind: 'string' }, [text], 'mysql').columns[0]!.sum, text).toBe(String(crc32(text)));
        hashBytesExtended(new TextEncoder().encode(text), Buffer.byteLength(text));
        const expected = BigInt.asIntN(64, (BigInt(hashed.high) << 32n) | BigInt(hashed.low));
        expect(checksumOf({ kind: 'string' }, [text]).columns[0]!.sum, text).toBe(String(expected));
      }
    }
  });

  it('sums canonical decimals through the number lane and anything else through the exact path, so a changed digit changes the sum', () => {
    const type: OutputType = { kind: 'decimal', precision: 18, scale: 4 };
    expect(checksumOf(type, ['308753464.5678', '-0.0001', '99999999999.9999']).columns[0]!.sum).toBe(String(3087534645678n - 1n + 999999999999999n));
    expect(checksumOf({ kind: 'decimal', precision: 18, scale: 0 }, ['999999999999999', '-12']).columns[0]!.sum).toBe(String(999999999999999n - 12n));
    // Not in the canonical form (a digit short after the point, no integer digit): the exact path, the same number.
    expect(checksumOf(type, ['1.000', '-.5']).columns[0]!.sum).toBe(String(10000n - 5000n));
    expect(checksumOf(type, ['308753464.5678']).columns[0]!.sum).not.toBe(checksumOf(type, ['308753464.5679']).columns[0]!.sum);
    // Integers past 2^50 take the 64-bit halves, still exact.
    expect(checksumOf({ kind: 'int64' }, [2n ** 50n, 2n ** 50n + 1n, -(2n ** 52n)]).columns[0]!.sum).toBe(String(2n ** 51n + 1n - 2n ** 52n));
  });

  it('hashes binary with MD5 (PostgreSQL, SQL Server) or CRC32 (MySQL)', () => {
    // PostgreSQL: ('x'||substr(md5(v),1,16))::bit(64)::bigint for '\x00ff' and '' (as the server computed them)
    expect(checksumOf({ kind: 'binary' }, [new Uint8Array([0, 255]), new Uint8Array(0)]).columns[0]!.sum)
      .toBe(String(-3423521937737701376n + -3162216497309240828n));
    expect(checksumOf({ kind: 'binary' }, [new TextEncoder().encode('hello world')], 'mysql').columns[0]!.sum).toBe('222957957');
  });

  it('sums booleans, days, microseconds and offsets', () => {
    expect(checksumOf({ kind: 'boolean' }, [true, false, true, null]).columns[0]).toEqual({ nonNull: 3, sum: '2' });
    expect(checksumOf({ kind: 'date' }, [-719162, 2932896, 0]).columns[0]!.sum).toBe(String(-719162 + 2932896));
    expect(checksumOf({ kind: 'time' }, [86399999999n, 1n], 'mysql').columns[0]!.sum).toBe('86400000000');
    expect(checksumOf({ kind: 'timestamp', utc: true }, [-62135596800000000n, 253402300799999999n], 'mysql').columns[0]!.sum).toBe(String(-62135596800000000n + 253402300799999999n));
  });

  it('sums MySQL dates and datetimes as their numeric forms (v + 0), and TIMESTAMPs as microseconds', () => {
    const days = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000;
    const micros = (y: number, m: number, d: number, h: number, mi: number, s: number, us: number) => BigInt(Date.UTC(y, m - 1, d, h, mi, s)) * 1000n + BigInt(us);
    // MariaDB: select DATE'1000-01-01' + 0, ... (10000101, 99991231, 19700101, 20240229, 19691231); TO_DAYS('1000-01-01') - 719528 = -354285
    expect(days(1000, 1, 1)).toBe(-354285);
    const dates = [days(1000, 1, 1), days(9999, 12, 31), 0, days(2024, 2, 29), -1];
    expect(checksumOf({ kind: 'date' }, [...dates, null], 'mysql').columns[0]).toEqual({ nonNull: 5, sum: String(10000101 + 99991231 + 19700101 + 20240229 + 19691231) });
    // select CAST('9999-12-31 23:59:59.999999' AS DATETIME(6)) + 0, ...: times 10^6 each.
    const dateTimes = [micros(1000, 1, 1, 0, 0, 0, 0), micros(9999, 12, 31, 23, 59, 59, 999999), micros(1969, 12, 31, 23, 59, 59, 500000), micros(2024, 2, 29, 12, 34, 56, 1)];
    const digits = [10000101000000000000n, 99991231235959999999n, 19691231235959500000n, 20240229123456000001n];
    expect(checksumOf({ kind: 'timestamp', utc: false }, [...dateTimes, null], 'mysql').columns[0]).toEqual({ nonNull: 4, sum: String(digits.reduce((a, b) => a + b)) });
    // A changed microsecond, second or day changes the sum.
    const base = checksumOf({ kind: 'timestamp', utc: false }, dateTimes, 'mysql').columns[0]!.sum;
    for (const delta of [1n, 1_000_000n, 86_400_000_000n, -1n]) {
      expect(checksumOf({ kind: 'timestamp', utc: false }, [dateTimes[0]! + delta, ...dateTimes.slice(1)], 'mysql').columns[0]!.sum).not.toBe(base);
    }
    expect(checksumOf({ kind: 'date' }, [dates[0]! + 1, ...dates.slice(1)], 'mysql').columns[0]!.sum).not.toBe(checksumOf({ kind: 'date' }, dates, 'mysql').columns[0]!.sum);
    // Every 97th day from year 1000 to 9999, against Node's own calendar.
    for (let day = days(1000, 1, 1); day <= days(9999, 12, 31); day += 97) {
      const date = new Date(day * 86_400_000);
      expect(dateDigits(day), date.toISOString()).toBe(date.getUTCFullYear() * 10_000 + (date.getUTCMonth() + 1) * 100 + date.getUTCDate());
    }
    // A TIMESTAMP (utc) is summed as its microseconds since 1970 (the source's UNIX_TIMESTAMP x 10^6).
    expect(checksumTerms([column('c', { kind: 'timestamp', utc: true }, 'timestamp(6)')], 'mysql')[0]!.term).toBe('micros');
    expect(checksumTerms([column('c', { kind: 'timestamp', utc: false }, 'datetime(6)')], 'mysql')[0]!.term).toBe('dateTimeDigits');
  });

  it('hashes PostgreSQL times and timestamps as time_hash_extended / timestamp_hash_extended do, at both ends of the calendar', () => {
    // select time_hash_extended('23:59:59.999999'::time, 0), timestamp_hash_extended('2020-01-01 10:00:00.123456'::timestamp, 0),
    //   timestamp_hash_extended('9999-12-31 23:59:59.999999', 0), timestamp_hash_extended('0001-01-01 00:00:00', 0)
    expect(checksumOf({ kind: 'time' }, [86399999999n]).columns[0]!.sum).toBe('6530740619647147056');
    expect(checksumOf({ kind: 'timestamp', utc: false }, [1577872800123456n]).columns[0]!.sum).toBe('-892507399957794445');
    expect(checksumOf({ kind: 'timestamp', utc: true }, [253402300799999999n, -62135596800000000n]).columns[0]!.sum).toBe(String(-4620880348773890818n + -6687948877792058550n));
    expect(checksumOf({ kind: 'timestampOffset' }, [{ micros: 10n, offsetMinutes: -840 }, { micros: 5n, offsetMinutes: 330 }], 'sqlserver').columns[0]!.sum).toBe(String(15 - 840 + 330));
  });

  it('checksums an overridden column as the source text it is read as', () => {
    const overridden: Column = { ...column('c', { kind: 'decimal', precision: 10, scale: 2 }), override: { from: { kind: 'float64' } } };
    expect(checksumTerms([overridden], 'postgres')).toEqual([{ name: 'c', term: 'text', scale: 0 }]);
  });
});
