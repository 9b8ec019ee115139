import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import type { OutputType } from '../../src/spec/columns.js';
import {
  bitsToBigint,
  dateDaysByPattern,
  dateTimeMicrosByPattern,
  decoderFor,
  keyDigitsFromText,
  keyDigitsOf,
  keyKindOf,
  keyParameter,
  mariadbHistogramPoints,
  mysqlHistogramPoints,
  outputTypeOf,
  parseDateDays,
  parseDateTimeMicros,
  parseTimeMicros,
  timeMicrosByPattern,
  typeInfoFromField,
  type MysqlTypeInfo,
  type ResultField,
} from '../../src/sources/mysql/mysqlTypes.js';
import { thrown, outcome } from '../support/thrown.js';

const where = 'Table shop.orders, column "c"';

function info(dataType: string, extra: Partial<MysqlTypeInfo> = {}): MysqlTypeInfo {
  return { dataType, unsigned: false, columnType: dataType, ...extra };
}

describe('outputTypeOf', () => {
  it.each<[string, Partial<MysqlTypeInfo>, OutputType]>([
    ['tinyint', {}, { kind: 'int16' }],
    ['tinyint', { unsigned: true }, { kind: 'int16' }],
    // BOOLEAN is tinyint(1) and still holds -128..127.
    ['tinyint', { columnType: 'tinyint(1)' }, { kind: 'int16' }],
    ['smallint', {}, { kind: 'int16' }],
    ['smallint', { unsigned: true }, { kind: 'int32' }],
    ['mediumint', {}, { kind: 'int32' }],
    ['mediumint', { unsigned: true }, { kind: 'int32' }],
    ['int', {}, { kind: 'int32' }],
    ['int', { unsigned: true }, { kind: 'int64' }],
    ['bigint', {}, { kind: 'int64' }],
    ['bigint', { unsigned: true }, { kind: 'uint64' }],
    ['decimal', { precision: 38, scale: 10 }, { kind: 'decimal', precision: 38, scale: 10 }],
    ['decimal', { precision: 5, scale: 5, unsigned: true }, { kind: 'decimal', precision: 5, scale: 5 }],
    ['decimal', { precision: 10, scale: 0 }, { kind: 'decimal', precision: 10, scale: 0 }],
    ['float', {}, { kind: 'float32' }],
    ['double', {}, { kind: 'float64' }],
    ['bit', { precision: 1 }, { kind: 'boolean' }],
    ['bit', { precision: 2 }, { kind: 'uint64' }],
    ['bit', { precision: 64 }, { kind: 'uint64' }],
    ['year', {}, { kind: 'int16' }],
    ['char', {}, { kind: 'string' }],
    ['varchar', {}, { kind: 'string' }],
    ['tinytext', {}, { kind: 'string' }],
    ['text', {}, { kind: 'string' }],
    ['mediumtext', {}, { kind: 'string' }],
    ['longtext', {}, { kind: 'string' }],
    ['enum', {}, { kind: 'string' }],
    ['set', {}, { kind: 'string' }],
    ['inet4', {}, { kind: 'string' }],
    ['inet6', {}, { kind: 'string' }],
    ['binary', {}, { kind: 'binary' }],
    ['varbinary', {}, { kind: 'binary' }],
    ['tinyblob', {}, { kind: 'binary' }],
    ['blob', {}, { kind: 'binary' }],
    ['mediumblob', {}, { kind: 'binary' }],
    ['longblob', {}, { kind: 'binary' }],
    ['json', {}, { kind: 'json' }],
    ['uuid', {}, { kind: 'uuid' }],
    ['date', {}, { kind: 'date' }],
    ['datetime', {}, { kind: 'timestamp', utc: false }],
    ['timestamp', {}, { kind: 'timestamp', utc: true }],
    ['time', {}, { kind: 'time' }],
  ])('%s %j', (dataType, extra, expected) => {
    expect(outputTypeOf(info(dataType, extra), where)).toEqual(expected);
  });

  it.each(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection'])(
    'fails on spatial type %s naming table, column and type',
    (dataType) => {
      const error = thrown(() => outputTypeOf(info(dataType), 'Table shop.places, column "geo" (' + dataType + ')'));
      expect(error.message).toBe(`Table shop.places, column "geo" (${dataType}): spatial type ${dataType} is not supported; select ST_AsText() or ST_AsWKB() of it in a query`);
    },
  );

  it.each(['vector', 'type code 99', 'mystery'])('fails on unknown type %s naming table, column and type', (dataType) => {
    const error = thrown(() => outputTypeOf(info(dataType, { columnType: `${dataType}(3)` }), 'Table shop.t, column "v" (x)'));
    expect(error.message).toBe(`Table shop.t, column "v" (x): type ${dataType}(3) is not supported`);
  });

  it('maps a decimal beyond 38 digits to its exact decimal (the format decides whether it can hold it)', () => {
    expect(outputTypeOf(info('decimal', { precision: 65, scale: 30, columnType: 'decimal(65,30)' }), 'Table shop.t, column "big" (decimal(65,30))')).toEqual({ kind: 'decimal', precision: 65, scale: 30 });
  });

  it('fails on a decimal without usable precision', () => {
    expect(thrown(() => outputTypeOf(info('decimal', { precision: 0, scale: 0 }), where)).message).toMatch(/^Table shop\.orders, column "c": decimal without a usable precision/);
    expect(thrown(() => outputTypeOf(info('decimal', { precision: 3, scale: 5 }), where)).message).toMatch(/decimal without a usable precision/);
  });
});

describe('keyKindOf', () => {
  it.each<[string, boolean, string]>([
    ['tinyint', false, 'integer'],
    ['smallint', true, 'integer'],
    ['mediumint', false, 'integer'],
    ['int', true, 'integer'],
    ['bigint', false, 'integer'],
    ['bigint', true, 'integer'],
    ['date', false, 'date'],
    ['datetime', false, 'timestamp'],
    ['timestamp', false, 'timestamptz'],
  ])('%s (unsigned %s) -> %s', (dataType, unsigned, kind) => {
    expect(keyKindOf(info(dataType, { unsigned }), where)).toBe(kind);
  });

  it.each(['varchar', 'float', 'decimal', 'year', 'bit', 'time', 'uuid'])('rejects %s as a chunk key, naming it', (dataType) => {
    const error = thrown(() => keyKindOf(info(dataType, { columnType: `${dataType}(9)` }), 'Table shop.t, chunk key "k"'));
    expect(error.message).toBe(`Table shop.t, chunk key "k": a chunk key must be an integer, date, datetime or timestamp column, not ${dataType}(9)`);
  });
});

describe('typeInfoFromField', () => {
  const field = (columnType: number, extra: Partial<ResultField> = {}): ResultField => ({ name: 'c', columnType, flags: 0, characterSet: 63, columnLength: 0, decimals: 0, ...extra });

  // Column definitions as MariaDB 10.11 sends them for the same table the integration test reads.
  it.each<[string, ResultField, Partial<MysqlTypeInfo>]>([
    ['tinyint', field(1, { columnLength: 4 }), { dataType: 'tinyint', unsigned: false, columnType: 'tinyint' }],
    ['tinyint unsigned', field(1, { flags: 32, columnLength: 3 }), { dataType: 'tinyint', unsigned: true, columnType: 'tinyint unsigned' }],
    ['smallint', field(2), { dataType: 'smallint' }],
    ['mediumint unsigned', field(9, { flags: 32 }), { dataType: 'mediumint', unsigned: true }],
    ['int', field(3), { dataType: 'int' }],
    ['bigint unsigned', field(8, { flags: 32, columnLength: 20 }), { dataType: 'bigint', unsigned: true, columnType: 'bigint unsigned' }],
    ['decimal(38,10)', field(246, { columnLength: 40, decimals: 10 }), { dataType: 'decimal', precision: 38, scale: 10, columnType: 'decimal(38,10)' }],
    ['decimal(5,5) unsigned', field(246, { flags: 32, columnLength: 6, decimals: 5 }), { dataType: 'decimal', precision: 5, scale: 5, columnType: 'decimal(5,5) unsigned' }],
    ['decimal(12,0)', field(246, { columnLength: 13, decimals: 0 }), { precision: 12, scale: 0 }],
    ['float', field(4, { columnLength: 12, decimals: 31 }), { dataType: 'float' }],
    ['double', field(5, { columnLength: 22, decimals: 31 }), { dataType: 'double' }],
    ['bit(1)', field(16, { flags: 32, columnLength: 1 }), { dataType: 'bit', precision: 1, columnType: 'bit(1)' }],
    ['bit(64)', field(16, { flags: 32, columnLength: 64 }), { dataType: 'bit', precision: 64 }],
    ['json (MariaDB)', field(252, { characterSet: 45, extendedFormat: 'json' }), { dataType: 'json' }],
    ['json (MySQL)', field(245), { dataType: 'json' }],
    ['date', field(10, { flags: 128 }), { dataType: 'date' }],
    ['datetime(6)', field(12, { decimals: 6 }), { dataType: 'datetime', columnType: 'datetime(6)' }],
    ['datetime', field(12, { decimals: 0 }), { dataType: 'datetime', columnType: 'datetime' }],
    ['timestamp(3)', field(7, { decimals: 3 }), { dataType: 'timestamp', columnType: 'timestamp(3)' }],
    ['time(6)', field(11, { decimals: 6 }), { dataType: 'time', columnType: 'time(6)' }],
    ['year', field(13, { flags: 96 }), { dataType: 'year' }],
    ['enum', field(254, { flags: 256, characterSet: 45 }), { dataType: 'enum' }],
    ['set', field(254, { flags: 2048, characterSet: 45 }), { dataType: 'set' }],
    ['char', field(254, { characterSet: 45 }), { dataType: 'char' }],
    ['binary', field(254, { flags: 128 }), { dataType: 'binary' }],
    ['varchar', field(253, { characterSet: 45 }), { dataType: 'varchar' }],
    ['varbinary', field(253, { flags: 128 }), { dataType: 'varbinary' }],
    ['blob', field(252, { flags: 144 }), { dataType: 'blob' }],
    ['text', field(252, { characterSet: 45 }), { dataType: 'text' }],
    ['longblob', field(251), { dataType: 'longblob' }],
    ['uuid', field(254, { characterSet: 45, extendedTypeName: 'uuid' }), { dataType: 'uuid' }],
    ['inet6', field(254, { characterSet: 45, extendedTypeName: 'inet6' }), { dataType: 'inet6' }],
    ['point', field(255, { extendedTypeName: 'point' }), { dataType: 'point' }],
    ['geometry (MySQL)', field(255), { dataType: 'geometry' }],
    ['NULL', field(6), { dataType: 'null' }],
  ])('%s', (_name, input, expected) => {
    expect(typeInfoFromField(input)).toMatchObject(expected);
  });
});

describe('parseDateDays', () => {
  it.each<[string, number]>([
    ['1970-01-01', 0],
    ['1969-12-31', -1],
    ['2024-02-29', 19_782],
    ['1000-01-01', -354_285],
    ['9999-12-31', 2_932_896],
    ['0001-01-01', -719_162],
  ])('%s -> %d', (text, days) => {
    expect(parseDateDays(text, where)).toBe(days);
  });

  it('rejects the zero date, naming the column', () => {
    expect(thrown(() => parseDateDays('0000-00-00', where)).message).toBe(`${where}: zero date '0000-00-00' names no day; replace it with NULL in the source or map it in a query`);
  });

  it.each(['2024-00-10', '2024-05-00', '0000-01-01', '2023-02-29', '2024-04-31', '2024-13-01', '24-01-01', 'x'])('rejects %s', (text) => {
    expect(thrown(() => parseDateDays(text, where)).message).toContain(where);
  });
});

describe('parseDateTimeMicros', () => {
  it.each<[string, bigint]>([
    ['1970-01-01 00:00:00', 0n],
    ['1969-12-31 23:59:59.999999', -1n],
    ['2038-01-19 03:14:07.999999', 2_147_483_647_999_999n],
    ['2024-05-01 12:34:56.5', BigInt(Date.UTC(2024, 4, 1, 12, 34, 56)) * 1000n + 500_000n],
    ['2024-05-01 12:34:56.000001', BigInt(Date.UTC(2024, 4, 1, 12, 34, 56)) * 1000n + 1n],
    ['2024-05-01 12:34:56.123', BigInt(Date.UTC(2024, 4, 1, 12, 34, 56)) * 1000n + 123_000n],
    ['1000-01-01 00:00:00.000000', -30_610_224_000_000_000n],
    ['9999-12-31 23:59:59.999999', 253_402_300_799_999_999n],
  ])('%s -> %d', (text, micros) => {
    expect(parseDateTimeMicros(text, where)).toBe(micros);
  });

  it('rejects zero datetimes and impossible times, naming the column', () => {
    expect(thrown(() => parseDateTimeMicros('0000-00-00 00:00:00', where)).message).toMatch(/^Table shop\.orders, column "c": zero date '0000-00-00 00:00:00'/);
    expect(thrown(() => parseDateTimeMicros('2024-01-01 24:00:00', where)).message).toContain(where);
    expect(thrown(() => parseDateTimeMicros('2024-02-30 00:00:00', where)).message).toContain('does not exist');
  });
});

describe('parseTimeMicros', () => {
  it.each<[string, bigint]>([
    ['00:00:00', 0n],
    ['00:00:00.000001', 1n],
    ['12:34:56.5', 45_296_500_000n],
    ['23:59:59.999999', 86_399_999_999n],
    ['-00:00:00', 0n],
  ])('%s -> %d', (text, micros) => {
    expect(parseTimeMicros(text, where)).toBe(micros);
  });

  it.each(['24:00:00', '24:00:00.000000', '838:59:59.000000', '-838:59:59.000000', '-00:00:00.000001', '-01:00:00'])('rejects %s outside a day, naming the column', (text) => {
    const message = thrown(() => parseTimeMicros(text, where)).message;
    expect(message).toBe(`${where}: time '${text}' is outside 00:00:00..23:59:59.999999; a time column holds a time of day, so an interval must be cast (e.g. TIME_TO_SEC) in a query`);
  });
});

describe('positional parsing equals the general pattern', () => {
  const where = 'Table db.t, column "c" (datetime(6))';
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  let seed = 777;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1_103_515_245) + 12345) >>> 0;
    return seed % n;
  };
  const dates = [
    '0001-01-01', '9999-12-31', '1970-01-01', '1969-12-31', '2000-02-29', '1900-02-29', '2023-02-29', '2024-02-29', '2024-04-31', '2024-13-01',
    '2024-00-10', '2024-01-00', '0000-00-00', '0000-01-01', '2024-1-01', '20240101', '',
    ...Array.from({ length: 3000 }, () => `${pad(next(10000), 4)}-${pad(next(13), 2)}-${pad(next(32), 2)}`),
  ];
  const times = ['00:00:00', '23:59:59', '24:00:00', '23:60:00', '23:59:60', '838:59:59', '-00:00:00', '-01:00:00', '1:00:00', '12:34',
    ...Array.from({ length: 50 }, () => `${pad(next(24), 2)}:${pad(next(60), 2)}:${pad(next(60), 2)}`)];
  const fractions = ['', '.5', '.12', '.123', '.1234', '.12345', '.123456', '.000001', '.1234567', '.', '.x'];

  it('for dates: year 1 and 9999, leap days, zero and invalid dates', () => {
    for (const date of dates) expect(outcome(() => parseDateDays(date, where)), date).toEqual(outcome(() => dateDaysByPattern(date, where)));
  });

  it('for datetimes: fractions of 0 to 7 digits, T or space, invalid times', () => {
    let checked = 0;
    for (const date of dates) {
      for (const separator of [' ', 'T']) {
        const text = `${date}${separator}${times[next(times.length)]}${fractions[next(fractions.length)]}`;
        expect(outcome(() => parseDateTimeMicros(text, where)), text).toEqual(outcome(() => dateTimeMicrosByPattern(text, where)));
        checked++;
      }
    }
    for (const fraction of fractions) {
      for (const text of [`0001-01-01 00:00:00${fraction}`, `9999-12-31 23:59:59${fraction}`, `1970-01-01 00:00:00${fraction}`, `2262-04-11 23:47:16${fraction}`]) {
        expect(outcome(() => parseDateTimeMicros(text, where)), text).toEqual(outcome(() => dateTimeMicrosByPattern(text, where)));
      }
    }
    expect(checked).toBeGreaterThan(6000);
  });

  it('for times: times of day, negative, 100 hours and more, out of range', () => {
    for (const time of times) {
      for (const fraction of fractions) {
        const text = `${time}${fraction}`;
        expect(outcome(() => parseTimeMicros(text, where)), text).toEqual(outcome(() => timeMicrosByPattern(text, where)));
      }
    }
  });
});

describe('decoderFor', () => {
  const decode = (type: OutputType, raw: unknown) => decoderFor(type, where)(raw);

  it('keeps NULL as null in every type', () => {
    for (const kind of ['int16', 'int64', 'uint64', 'string', 'binary', 'date', 'time', 'boolean'] as const) expect(decode({ kind } as OutputType, null)).toBeNull();
  });

  it('turns 64-bit integers into exact bigints', () => {
    expect(decode({ kind: 'int64' }, '9223372036854775807')).toBe(9_223_372_036_854_775_807n);
    expect(decode({ kind: 'int64' }, '-9223372036854775808')).toBe(-9_223_372_036_854_775_808n);
    expect(decode({ kind: 'int64' }, 4_294_967_295)).toBe(4_294_967_295n);
    expect(decode({ kind: 'uint64' }, '18446744073709551615')).toBe(18_446_744_073_709_551_615n);
  });

  it('takes a BIGINT as mysql2 hands it over: a number up to 2^53 - 1, its digits beyond', () => {
    expect(decode({ kind: 'int64' }, Number.MAX_SAFE_INTEGER)).toBe(9_007_199_254_740_991n);
    expect(decode({ kind: 'int64' }, Number.MIN_SAFE_INTEGER)).toBe(-9_007_199_254_740_991n);
    expect(decode({ kind: 'int64' }, '9007199254740992')).toBe(9_007_199_254_740_992n);
    expect(decode({ kind: 'int64' }, '-9007199254740993')).toBe(-9_007_199_254_740_993n);
    expect(decode({ kind: 'uint64' }, Number.MAX_SAFE_INTEGER)).toBe(9_007_199_254_740_991n);
    expect(decode({ kind: 'uint64' }, '9007199254740993')).toBe(9_007_199_254_740_993n);
  });

  it('reads BIT(n) bytes big-endian and BIT(1) as a boolean', () => {
    expect(decode({ kind: 'uint64' }, Buffer.from('ffffffffffffffff', 'hex'))).toBe(18_446_744_073_709_551_615n);
    expect(decode({ kind: 'uint64' }, Buffer.from('0102', 'hex'))).toBe(258n);
    expect(bitsToBigint(new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0]))).toBe(1n << 63n);
    expect(decode({ kind: 'boolean' }, Buffer.from([1]))).toBe(true);
    expect(decode({ kind: 'boolean' }, Buffer.from([0]))).toBe(false);
  });

  it('keeps decimal(38,10) text digit for digit', () => {
    for (const text of ['9999999999999999999999999999.9999999999', '-9999999999999999999999999999.9999999999', '0.0000000001', '-0.5000000000']) {
      expect(decode({ kind: 'decimal', precision: 38, scale: 10 }, text)).toBe(text);
    }
  });

  it('rounds a widened FLOAT back to float32 exactly', () => {
    expect(decode({ kind: 'float32' }, 1.2345677614212036)).toBe(Math.fround(1.2345678));
    expect(decode({ kind: 'float64' }, 0.30000000000000004)).toBe(0.1 + 0.2);
  });

  it('hands binary over as a Uint8Array of the same bytes', () => {
    const value = decode({ kind: 'binary' }, Buffer.from([0, 1, 255]));
    expect(value).toBeInstanceOf(Uint8Array);
    expect(Array.from(value as Uint8Array)).toEqual([0, 1, 255]);
  });

  it('converts dates, times and timestamps, and lowercases uuids', () => {
    expect(decode({ kind: 'date' }, '9999-12-31')).toBe(2_932_896);
    expect(decode({ kind: 'time' }, '23:59:59.999999')).toBe(86_399_999_999n);
    expect(decode({ kind: 'timestamp', utc: true }, '1970-01-01 00:00:00.000001')).toBe(1n);
    expect(decode({ kind: 'uuid' }, '123E4567-E89B-12D3-A456-426614174000')).toBe('123e4567-e89b-12d3-a456-426614174000');
    expect(decode({ kind: 'string' }, 'emoji 😀 𝄞')).toBe('emoji 😀 𝄞');
  });

  it('fails on a zero date mid-copy naming table and column', () => {
    expect(() => decode({ kind: 'date' }, '0000-00-00')).toThrow(/^Table shop\.orders, column "c": zero date/);
  });
});

describe('keys', () => {
  it('binds integers as bigint and temporal bounds as MySQL text', () => {
    expect(keyParameter('integer', '18446744073709551615')).toBe(18_446_744_073_709_551_615n);
    expect(keyParameter('integer', '-9223372036854775808')).toBe(-9_223_372_036_854_775_808n);
    expect(keyParameter('date', '2932896')).toBe('9999-12-31');
    expect(keyParameter('date', '-354285')).toBe('1000-01-01');
    expect(keyParameter('timestamp', '1')).toBe('1970-01-01 00:00:00.000001');
    expect(keyParameter('timestamptz', '2147483647999999')).toBe('2038-01-19 03:14:07.999999');
  });

  it('round-trips digits through text and canonical values', () => {
    expect(keyDigitsOf(18_446_744_073_709_551_615n)).toBe('18446744073709551615');
    expect(keyDigitsOf(-354_285)).toBe('-354285');
    expect(() => keyDigitsOf('12')).toThrow();
    expect(keyDigitsFromText('integer', '-0042')).toBe('-42');
    expect(keyDigitsFromText('date', '1970-01-02')).toBe('1');
    expect(keyDigitsFromText('timestamp', '1970-01-01 00:00:01.000000')).toBe('1000000');
    expect(() => keyDigitsFromText('integer', '1.5')).toThrow();
  });
});

describe('mysqlHistogramPoints (MySQL 8 COLUMN_STATISTICS)', () => {
  it('weighs singleton buckets by their own frequency', () => {
    const json = JSON.stringify({ buckets: [[1, 0.5], [2, 0.75], [10, 0.9]], 'null-values': 0.1, 'histogram-type': 'singleton', 'data-type': 'int' });
    expect(mysqlHistogramPoints(json, 'integer')).toEqual([
      { key: '1', weight: 0.5 },
      { key: '2', weight: 0.25 },
      { key: '10', weight: expect.closeTo(0.15, 10) },
    ]);
  });

  it('puts equi-height buckets at their upper value', () => {
    const json = JSON.stringify({ buckets: [['2024-01-01 00:00:00.000000', '2024-01-01 00:00:01.000000', 0.5, 10], ['2024-01-02 00:00:00.000000', '2024-01-03 00:00:00.000000', 1, 10]], 'histogram-type': 'equi-height', 'data-type': 'datetime' });
    const base = BigInt(Date.UTC(2024, 0, 1)) * 1000n;
    expect(mysqlHistogramPoints(json, 'timestamp')).toEqual([
      { key: String(base + 1_000_000n), weight: 0.5 },
      { key: String(base + 2n * 86_400_000_000n), weight: 0.5 },
    ]);
    const dates = JSON.stringify({ buckets: [['1970-01-01', '1970-01-11', 1, 11]] });
    expect(mysqlHistogramPoints(dates, 'date')).toEqual([{ key: '10', weight: 1 }]);
  });

  it('gives up on what it cannot read', () => {
    expect(mysqlHistogramPoints('not json', 'integer')).toBeUndefined();
    expect(mysqlHistogramPoints('{"buckets": []}', 'integer')).toBeUndefined();
    expect(mysqlHistogramPoints('{"buckets": [["0000-00-00", 1]]}', 'date')).toBeUndefined();
    expect(mysqlHistogramPoints('{"buckets": [[1, 2, 3]]}', 'integer')).toBeUndefined();
  });
});

describe('mariadbHistogramPoints (mysql.column_stats)', () => {
  const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

  it('reads JSON_HB buckets, each ending just below the next start', () => {
    const histogram = JSON.stringify({ histogram_hb: [{ start: '1', size: 0.5, ndv: 5 }, { start: '100', size: 0.3, ndv: 3 }, { start: '200', end: '1000', size: 0.2, ndv: 2 }] });
    expect(mariadbHistogramPoints({ minValue: '1', maxValue: '1000', histType: 'JSON_HB', histogram: new TextEncoder().encode(histogram) }, 'integer')).toEqual([
      { key: '99', weight: 0.5 },
      { key: '199', weight: 0.3 },
      { key: '1000', weight: 0.2 },
    ]);
    const dates = JSON.stringify({ histogram_hb: [{ start: '1970-01-01', size: 0.4 }, { start: '1970-01-05', end: '1970-01-31', size: 0.6 }] });
    expect(mariadbHistogramPoints({ minValue: null, maxValue: null, histType: 'JSON_HB', histogram: new TextEncoder().encode(dates) }, 'date')).toEqual([
      { key: '3', weight: 0.4 },
      { key: '30', weight: 0.6 },
    ]);
  });

  it('reads DOUBLE_PREC_HB ends as fractions of max - min (bytes from MariaDB 10.11, k = seq*seq over 1..1000)', () => {
    const points = mariadbHistogramPoints({ minValue: '1', maxValue: '1000000', histType: 'DOUBLE_PREC_HB', histogram: bytes('570a2a29775c3fa4') }, 'integer');
    // 0x0a57/65535 of the range is about 201^2: the 20% quantile of seq*seq.
    expect(points).toEqual([
      { key: String(1n + (999_999n * 0x0a57n) / 65_535n), weight: 0.2 },
      { key: String(1n + (999_999n * 0x292an) / 65_535n), weight: 0.2 },
      { key: String(1n + (999_999n * 0x5c77n) / 65_535n), weight: 0.2 },
      { key: String(1n + (999_999n * 0xa43fn) / 65_535n), weight: 0.2 },
      { key: '1000000', weight: 0.2 },
    ]);
    expect(Number(points![0]!.key)).toBeCloseTo(40_401, -2);
  });

  it('reads SINGLE_PREC_HB ends', () => {
    expect(mariadbHistogramPoints({ minValue: '0', maxValue: '255', histType: 'SINGLE_PREC_HB', histogram: bytes('40c0') }, 'integer')).toEqual([
      { key: '64', weight: 1 / 3 },
      { key: '192', weight: 1 / 3 },
      { key: '255', weight: 1 / 3 },
    ]);
  });

  it('skips binary histograms of dates (positioned by YYYYMMDD) and collapsed ones', () => {
    expect(mariadbHistogramPoints({ minValue: '2000-01-02', maxValue: '2002-09-27', histType: 'DOUBLE_PREC_HB', histogram: bytes('9807317ccd836ff8') }, 'date')).toBeUndefined();
    // Unsigned bigints near 2^64 lose their differences in the server's doubles.
    expect(mariadbHistogramPoints({ minValue: '18446744073709550615', maxValue: '18446744073709551614', histType: 'DOUBLE_PREC_HB', histogram: bytes('ffffffffffffffff') }, 'integer')).toBeUndefined();
    expect(mariadbHistogramPoints({ minValue: '1', maxValue: '2', histType: 'JSON_HB', histogram: null }, 'integer')).toBeUndefined();
    expect(mariadbHistogramPoints({ minValue: '1', maxValue: '2', histType: 'JSON_HB', histogram: new TextEncoder().encode('{oops') }, 'integer')).toBeUndefined();
  });
});
