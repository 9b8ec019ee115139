import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import type { Column, OutputType } from '../../src/spec/columns.js';
import {
  baseTypeName, bigIntByPattern, dateTime2MicrosByPattern, dateTimeOffsetByPattern, decimalByPattern, decoderFor, formatSqlServerType, keyDigits,
  keyKindOf, outputTypeOf, parseBigIntText, parseDateTime2Micros, parseDateTimeOffset, parseDecimalText, parseTimeMicros, wireFormOf,
  type SqlServerTypeInfo,
} from '../../src/sources/sqlserver/sqlServerTypes.js';
import { outcome, thrown } from '../support/thrown.js';

/** 0001-01-01T00:00:00 and 9999-12-31T23:59:59.999999 in microseconds since the epoch. */
const year1 = -62_135_596_800_000_000n;
const lastMicro = 253_402_300_799_999_999n;

function utcMicros(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, fraction = 0n): bigint {
  return BigInt(Date.UTC(y, mo - 1, d, h, mi, s)) * 1000n + fraction;
}

function info(typeName: string, extra: Partial<SqlServerTypeInfo> = {}): SqlServerTypeInfo {
  return { typeName, maxLength: 0, precision: 0, scale: 0, ...extra };
}

/** A decoder for a column as describe would produce it. */
function decoder(sourceType: string, type: OutputType): (value: unknown) => unknown {
  const column: Column = { name: 'c', sourceType, nullable: true, type };
  return decoderFor(column, `Table dbo.t, column "c" (${sourceType})`);
}

/** Dates as tedious (useUTC) builds them from the wire: days since 0001-01-01 offset from 2000-01-01. */
const tediousDate = (daysSinceYear1: number) => new Date(Date.UTC(2000, 0, daysSinceYear1 - 730118));
const tediousDateTime = (daysSince1900: number, ms: number) => new Date(Date.UTC(1900, 0, 1 + daysSince1900, 0, 0, 0, ms));

describe('outputTypeOf', () => {
  it.each([
    ['tinyint', {}, { kind: 'int16' }],
    ['smallint', {}, { kind: 'int16' }],
    ['int', {}, { kind: 'int32' }],
    ['bigint', {}, { kind: 'int64' }],
    ['bit', {}, { kind: 'boolean' }],
    ['decimal', { precision: 38, scale: 10 }, { kind: 'decimal', precision: 38, scale: 10 }],
    ['numeric', { precision: 5, scale: 0 }, { kind: 'decimal', precision: 5, scale: 0 }],
    ['money', {}, { kind: 'decimal', precision: 19, scale: 4 }],
    ['smallmoney', {}, { kind: 'decimal', precision: 10, scale: 4 }],
    ['real', {}, { kind: 'float32' }],
    ['float', {}, { kind: 'float64' }],
    ['char', { maxLength: 10 }, { kind: 'string' }],
    ['varchar', { maxLength: -1 }, { kind: 'string' }],
    ['text', {}, { kind: 'string' }],
    ['nchar', { maxLength: 20 }, { kind: 'string' }],
    ['nvarchar', { maxLength: -1 }, { kind: 'string' }],
    ['ntext', {}, { kind: 'string' }],
    ['xml', {}, { kind: 'string' }],
    ['json', {}, { kind: 'json' }],
    ['binary', { maxLength: 16 }, { kind: 'binary' }],
    ['varbinary', { maxLength: -1 }, { kind: 'binary' }],
    ['image', {}, { kind: 'binary' }],
    ['timestamp', {}, { kind: 'binary' }],
    ['uniqueidentifier', {}, { kind: 'uuid' }],
    ['date', {}, { kind: 'date' }],
    ['time', { scale: 7 }, { kind: 'time' }],
    ['datetime', {}, { kind: 'timestamp', utc: false }],
    ['smalldatetime', {}, { kind: 'timestamp', utc: false }],
    ['datetime2', { scale: 7 }, { kind: 'timestamp', utc: false }],
    ['datetimeoffset', { scale: 7 }, { kind: 'timestampOffset' }],
  ] as const)('%s -> %j', (typeName, extra, expected) => {
    expect(outputTypeOf(info(typeName, extra), 'where')).toEqual(expected);
  });

  it.each([
    ['sql_variant', /CONVERT\(nvarchar\(4000\), col\)/],
    ['hierarchyid', /ToString\(\)/],
    ['geometry', /STAsText\(\)/],
    ['geography', /STAsBinary\(\)/],
    ['vector', /nvarchar\(max\)/],
    ['my_clr_type', /no exact output type/],
  ])('refuses %s naming table, column and type', (typeName, hint) => {
    const err = thrown(() => outputTypeOf(info(typeName), `Table sales.orders, column "shape" (${typeName})`));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toContain('Table sales.orders');
    expect(err.message).toContain('column "shape"');
    expect(err.message).toContain(`type ${typeName} is not supported`);
    expect(err.message).toMatch(hint);
  });

  it('refuses a decimal that is not a valid SQL Server decimal', () => {
    expect(() => outputTypeOf(info('decimal', { precision: 39, scale: 0 }), 'Table t, column "x"')).toThrow(NonRetryableError);
    expect(() => outputTypeOf(info('decimal', { precision: 5, scale: 6 }), 'Table t, column "x"')).toThrow(/decimal\(5,6\)/);
  });
});

describe('formatSqlServerType and baseTypeName', () => {
  it.each([
    [info('nvarchar', { maxLength: 100 }), 'nvarchar(50)'],
    [info('nvarchar', { maxLength: -1 }), 'nvarchar(max)'],
    [info('nchar', { maxLength: 2 }), 'nchar(1)'],
    [info('varchar', { maxLength: 8000 }), 'varchar(8000)'],
    [info('varbinary', { maxLength: -1 }), 'varbinary(max)'],
    [info('binary', { maxLength: 16 }), 'binary(16)'],
    [info('decimal', { precision: 18, scale: 2 }), 'decimal(18,2)'],
    [info('numeric', { precision: 38, scale: 38 }), 'numeric(38,38)'],
    [info('datetime2', { scale: 3 }), 'datetime2(3)'],
    [info('datetimeoffset', { scale: 7 }), 'datetimeoffset(7)'],
    [info('time', { scale: 0 }), 'time(0)'],
    [info('int', { maxLength: 4, precision: 10 }), 'int'],
    [info('money', { precision: 19, scale: 4 }), 'money'],
  ])('%j -> %s', (typeInfo, formatted) => {
    expect(formatSqlServerType(typeInfo)).toBe(formatted);
  });

  it('takes the base name from a declared type', () => {
    expect(baseTypeName('decimal(18,2)')).toBe('decimal');
    expect(baseTypeName('NVARCHAR(max)')).toBe('nvarchar');
    expect(baseTypeName('datetime2(7)')).toBe('datetime2');
    expect(baseTypeName('uniqueidentifier')).toBe('uniqueidentifier');
  });
});

describe('keyKindOf', () => {
  it.each([
    ['tinyint', 'integer'], ['smallint', 'integer'], ['int', 'integer'], ['bigint', 'integer'],
    ['date', 'date'], ['datetime', 'timestamp'], ['smalldatetime', 'timestamp'], ['datetime2', 'timestamp'],
    ['datetimeoffset', 'timestamptz'],
  ])('%s -> %s', (typeName, kind) => {
    expect(keyKindOf(typeName, 'where')).toBe(kind);
  });

  it.each(['decimal', 'nvarchar', 'uniqueidentifier', 'time', 'float'])('refuses %s as a chunk key', (typeName) => {
    const err = thrown(() => keyKindOf(typeName, 'Table dbo.t, chunk key "k" (x)'));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toContain('Table dbo.t, chunk key "k"');
    expect(err.message).toContain(typeName);
  });
});

describe('wireFormOf', () => {
  it.each([
    ['int', 'native'], ['bigint', 'native'], ['nvarchar(max)', 'native'], ['datetime', 'native'], ['date', 'native'],
    ['uniqueidentifier', 'native'], ['varbinary(max)', 'native'], ['xml', 'native'],
    ['decimal(38,10)', 'decimalText'], ['numeric(9,2)', 'decimalText'], ['money', 'moneyText'], ['smallmoney', 'moneyText'],
    ['datetime2(7)', 'datetime2Text'], ['datetimeoffset(3)', 'datetimeoffsetText'], ['time(7)', 'timeText'], ['json', 'nvarcharText'],
  ])('%s -> %s', (sourceType, wire) => {
    expect(wireFormOf({ name: 'c', sourceType, nullable: true, type: { kind: 'string' } })).toBe(wire);
  });
});

describe('integers and booleans', () => {
  it('reads bigint strings exactly at ±2^63 bounds', () => {
    const decode = decoder('bigint', { kind: 'int64' });
    expect(decode('9223372036854775807')).toBe(9_223_372_036_854_775_807n);
    expect(decode('-9223372036854775808')).toBe(-9_223_372_036_854_775_808n);
    expect(decode('9007199254740993')).toBe(9_007_199_254_740_993n);
    expect(decode('0')).toBe(0n);
  });

  it('refuses bigint text that is not a bigint', () => {
    expect(() => parseBigIntText('9223372036854775808')).toThrow(NonRetryableError);
    expect(() => parseBigIntText('-9223372036854775809')).toThrow(NonRetryableError);
    expect(() => parseBigIntText('12a')).toThrow(NonRetryableError);
    expect(() => parseBigIntText('1e3')).toThrow(NonRetryableError);
    expect(() => decoder('bigint', { kind: 'int64' })(12.5)).toThrow(/expected text/);
  });

  it('keeps tinyint, smallint and int as numbers', () => {
    expect(decoder('tinyint', { kind: 'int16' })(255)).toBe(255);
    expect(decoder('smallint', { kind: 'int16' })(-32768)).toBe(-32768);
    expect(decoder('int', { kind: 'int32' })(-2147483648)).toBe(-2147483648);
    expect(decoder('int', { kind: 'int32' })(2147483647)).toBe(2147483647);
    expect(() => decoder('int', { kind: 'int32' })('1')).toThrow(/Table dbo\.t, column "c" \(int\)/);
  });

  it('reads bit as boolean and floats as they are', () => {
    expect(decoder('bit', { kind: 'boolean' })(true)).toBe(true);
    expect(decoder('bit', { kind: 'boolean' })(false)).toBe(false);
    expect(decoder('real', { kind: 'float32' })(3.4028234663852886e38)).toBe(3.4028234663852886e38);
    expect(decoder('float', { kind: 'float64' })(-1.7976931348623157e308)).toBe(-1.7976931348623157e308);
    expect(decoder('float', { kind: 'float64' })(5e-324)).toBe(5e-324);
  });
});

describe('decimals and money (selected as text)', () => {
  const d38 = decoder('decimal(38,10)', { kind: 'decimal', precision: 38, scale: 10 });

  it('keeps decimal(38,10) at full precision', () => {
    expect(d38('9999999999999999999999999999.9999999999')).toBe('9999999999999999999999999999.9999999999');
    expect(d38('-9999999999999999999999999999.9999999999')).toBe('-9999999999999999999999999999.9999999999');
    expect(d38('1234567890123456789012345678.1234567891')).toBe('1234567890123456789012345678.1234567891');
    expect(d38('0.0000000001')).toBe('0.0000000001');
    expect(d38('-0.5000000000')).toBe('-0.5000000000');
  });

  it('pads to the scale, normalises zero and leading zeros', () => {
    expect(parseDecimalText('12', 2)).toBe('12.00');
    expect(parseDecimalText('-.5', 2)).toBe('-0.50');
    expect(parseDecimalText('007.1', 1)).toBe('7.1');
    expect(parseDecimalText('-0.00', 2)).toBe('0.00');
    expect(parseDecimalText('12345', 0)).toBe('12345');
    expect(parseDecimalText('12.000', 0)).toBe('12');
  });

  it('refuses digits beyond the scale and non-decimals', () => {
    expect(() => parseDecimalText('1.234', 2)).toThrow(NonRetryableError);
    expect(() => parseDecimalText('1e5', 2)).toThrow(NonRetryableError);
    expect(() => parseDecimalText('', 2)).toThrow(NonRetryableError);
    expect(() => parseDecimalText('1,000.00', 2)).toThrow(NonRetryableError);
    expect(() => d38(1.5)).toThrow(/expected text/);
  });

  it('reads money and smallmoney with all four decimals at their extremes', () => {
    const money = decoder('money', { kind: 'decimal', precision: 19, scale: 4 });
    expect(money('922337203685477.5807')).toBe('922337203685477.5807');
    expect(money('-922337203685477.5808')).toBe('-922337203685477.5808');
    expect(money('0.0001')).toBe('0.0001');
    const smallmoney = decoder('smallmoney', { kind: 'decimal', precision: 10, scale: 4 });
    expect(smallmoney('214748.3647')).toBe('214748.3647');
    expect(smallmoney('-214748.3648')).toBe('-214748.3648');
  });
});

describe('datetime2 (selected as text)', () => {
  const decode = decoder('datetime2(7)', { kind: 'timestamp', utc: false });

  it('reads the first instant of 0001-01-01', () => {
    expect(decode('0001-01-01 00:00:00.0000000')).toBe(year1);
  });

  it('truncates 9999-12-31 23:59:59.9999999 to the last microsecond', () => {
    expect(decode('9999-12-31 23:59:59.9999999')).toBe(lastMicro);
  });

  it('truncates the 100 ns digit toward the earlier microsecond, before the epoch too', () => {
    expect(decode('2024-05-01 10:00:00.1234567')).toBe(utcMicros(2024, 5, 1, 10, 0, 0, 123_456n));
    expect(decode('1969-12-31 23:59:59.9999999')).toBe(-1n);
    expect(decode('1970-01-01 00:00:00.0000009')).toBe(0n);
  });

  it('reads every scale, with or without a fraction, with a space or a T', () => {
    expect(decode('2024-05-01 10:00:00')).toBe(utcMicros(2024, 5, 1, 10));
    expect(decode('2024-05-01 10:00:00.5')).toBe(utcMicros(2024, 5, 1, 10, 0, 0, 500_000n));
    expect(decode('2024-05-01T10:00:00.123')).toBe(utcMicros(2024, 5, 1, 10, 0, 0, 123_000n));
    expect(decode('2024-02-29 23:59:59.000001')).toBe(utcMicros(2024, 2, 29, 23, 59, 59, 1n));
  });

  it('refuses text that is no datetime2', () => {
    expect(() => decode('2024-13-01 00:00:00')).toThrow(NonRetryableError);
    expect(() => decode('2024-05-01 10:00:00.12345678')).toThrow(NonRetryableError);
    expect(() => decode('2024-05-01 10:00:00 +01:00')).toThrow(/offset/);
    expect(() => decode(new Date())).toThrow(/Table dbo\.t, column "c" \(datetime2\(7\)\)/);
  });
});

describe('datetimeoffset (selected as text)', () => {
  const decode = decoder('datetimeoffset(7)', { kind: 'timestampOffset' });

  it('keeps the instant in UTC and the offset it was recorded in', () => {
    expect(decode('2024-05-01 10:00:00.1234567 +05:30')).toEqual({ micros: utcMicros(2024, 5, 1, 4, 30, 0, 123_456n), offsetMinutes: 330 });
    expect(decode('2024-05-01 10:00:00.1234560 -08:00')).toEqual({ micros: utcMicros(2024, 5, 1, 18, 0, 0, 123_456n), offsetMinutes: -480 });
    expect(decode('2024-05-01 10:00:00 +14:00')).toEqual({ micros: utcMicros(2024, 4, 30, 20), offsetMinutes: 840 });
    expect(decode('2024-05-01 10:00:00 -14:00')).toEqual({ micros: utcMicros(2024, 5, 2, 0), offsetMinutes: -840 });
    expect(decode('2024-05-01 10:00:00.000000 +00:00')).toEqual({ micros: utcMicros(2024, 5, 1, 10), offsetMinutes: 0 });
  });

  it('reads style 126/127 forms too (T, Z, no space)', () => {
    expect(decode('2024-05-01T10:00:00Z')).toEqual({ micros: utcMicros(2024, 5, 1, 10), offsetMinutes: 0 });
    expect(decode('2024-05-01T10:00:00.5+05:30')).toEqual({ micros: utcMicros(2024, 5, 1, 4, 30, 0, 500_000n), offsetMinutes: 330 });
  });

  it('reads the extremes of the range', () => {
    expect(decode('0001-01-01 00:00:00.0000000 -08:00')).toEqual({ micros: year1 + 8n * 3_600_000_000n, offsetMinutes: -480 });
    expect(decode('9999-12-31 23:59:59.9999999 +14:00')).toEqual({ micros: lastMicro - 14n * 3_600_000_000n, offsetMinutes: 840 });
  });

  it('refuses a value without an offset or with one beyond ±14:00', () => {
    expect(() => parseDateTimeOffset('2024-05-01 10:00:00')).toThrow(/no offset/);
    expect(() => parseDateTimeOffset('2024-05-01 10:00:00 +14:30')).toThrow(/outside/);
  });
});

describe('time (selected as text)', () => {
  const decode = decoder('time(7)', { kind: 'time' });

  it('reads both ends of the day, the 100 ns digit truncated', () => {
    expect(decode('00:00:00.0000000')).toBe(0n);
    expect(decode('00:00:00.0000001')).toBe(0n);
    expect(decode('23:59:59.9999999')).toBe(86_399_999_999n);
    expect(decode('12:34:56.789')).toBe(45_296_789_000n);
    expect(decode('12:34:56')).toBe(45_296_000_000n);
  });

  it('refuses what is no time of day', () => {
    expect(() => parseTimeMicros('24:00:00')).toThrow(NonRetryableError);
    expect(() => parseTimeMicros('12:60:00')).toThrow(NonRetryableError);
    expect(() => parseTimeMicros('noon')).toThrow(NonRetryableError);
  });
});

describe('date, datetime and smalldatetime (as tedious decodes them)', () => {
  it('turns a date into days since 1970-01-01 at both ends of the range', () => {
    const decode = decoder('date', { kind: 'date' });
    expect(decode(tediousDate(0))).toBe(-719_162); // 0001-01-01
    expect(decode(tediousDate(3_652_058))).toBe(2_932_896); // 9999-12-31
    expect(decode(tediousDate(719_162))).toBe(0); // 1970-01-01
    expect(() => decode(new Date(Date.UTC(2024, 0, 1, 5)))).toThrow(/whole day/);
  });

  it('turns datetime into wall-clock microseconds, milliseconds as SQL Server prints them', () => {
    const decode = decoder('datetime', { kind: 'timestamp', utc: false });
    expect(decode(tediousDateTime(-53_690, 0))).toBe(utcMicros(1753, 1, 1)); // datetime's first day
    expect(decode(tediousDateTime(45_411, 36_000_997))).toBe(utcMicros(2024, 5, 1, 10, 0, 0, 997_000n));
    expect(decode(tediousDateTime(2_958_463, 86_399_997))).toBe(utcMicros(9999, 12, 31, 23, 59, 59, 997_000n));
  });

  it('turns smalldatetime into wall-clock microseconds', () => {
    const decode = decoder('smalldatetime', { kind: 'timestamp', utc: false });
    expect(decode(new Date(Date.UTC(2079, 5, 6, 23, 59)))).toBe(utcMicros(2079, 6, 6, 23, 59));
  });
});

describe('uuid, binary, strings', () => {
  it('lowercases uniqueidentifiers', () => {
    const decode = decoder('uniqueidentifier', { kind: 'uuid' });
    expect(decode('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(decode('00000000-0000-0000-0000-000000000000')).toBe('00000000-0000-0000-0000-000000000000');
    expect(() => decode('not-a-guid')).toThrow(NonRetryableError);
  });

  it('hands Buffers on as plain Uint8Arrays with the same bytes', () => {
    const decode = decoder('varbinary(max)', { kind: 'binary' });
    const bytes = decode(Buffer.from([0x00, 0xff, 0x10, 0x80])) as Uint8Array;
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect([...bytes]).toEqual([0x00, 0xff, 0x10, 0x80]);
    expect((decode(Buffer.alloc(0)) as Uint8Array).byteLength).toBe(0);
    const pooled = Buffer.from('xxhelloxx').subarray(2, 7);
    expect(new TextDecoder().decode(decode(pooled) as Uint8Array)).toBe('hello');
    expect([...(decoder('timestamp', { kind: 'binary' })(Buffer.from('00000000000007d1', 'hex')) as Uint8Array)]).toEqual([0, 0, 0, 0, 0, 0, 7, 0xd1]);
    expect(() => decode('0xff')).toThrow(/expected bytes/);
  });

  it('keeps strings, Unicode beyond the BMP and char padding as they are', () => {
    expect(decoder('nvarchar(max)', { kind: 'string' })('naïve 🐘 𝄞')).toBe('naïve 🐘 𝄞');
    expect(decoder('nchar(5)', { kind: 'string' })('ab   ')).toBe('ab   ');
    expect(decoder('xml', { kind: 'string' })('<a b="1"/>')).toBe('<a b="1"/>');
    expect(decoder('json', { kind: 'json' })('{"a":[1,2]}')).toBe('{"a":[1,2]}');
  });
});

describe('NULL', () => {
  it.each([
    ['bigint', { kind: 'int64' }], ['decimal(9,2)', { kind: 'decimal', precision: 9, scale: 2 }], ['datetime2(7)', { kind: 'timestamp', utc: false }],
    ['datetimeoffset(7)', { kind: 'timestampOffset' }], ['time(7)', { kind: 'time' }], ['date', { kind: 'date' }], ['varbinary(10)', { kind: 'binary' }],
    ['uniqueidentifier', { kind: 'uuid' }], ['bit', { kind: 'boolean' }],
  ] as const)('stays null for %s', (sourceType, type) => {
    expect(decoder(sourceType, type)(null)).toBeNull();
  });
});

describe('keyDigits', () => {
  it('reads integer, date, timestamp and timestamptz key text', () => {
    expect(keyDigits('integer', '-9223372036854775808', 'floor')).toBe('-9223372036854775808');
    expect(keyDigits('date', '2024-05-01', 'floor')).toBe('19844');
    expect(keyDigits('date', '0001-01-01', 'floor')).toBe('-719162');
    expect(keyDigits('timestamp', '2024-05-01 10:00:00.1234560', 'floor')).toBe(String(utcMicros(2024, 5, 1, 10, 0, 0, 123_456n)));
    expect(keyDigits('timestamptz', '2024-05-01 10:00:00.0000000 +05:30', 'floor')).toBe(String(utcMicros(2024, 5, 1, 4, 30)));
  });

  it('rounds a 100 ns remainder down for lower bounds and up for upper bounds', () => {
    expect(keyDigits('timestamp', '9999-12-31 23:59:59.9999999', 'floor')).toBe(String(lastMicro));
    expect(keyDigits('timestamp', '9999-12-31 23:59:59.9999999', 'ceil')).toBe(String(lastMicro + 1n));
    expect(keyDigits('timestamp', '2024-05-01 10:00:00.1234560', 'ceil')).toBe(String(utcMicros(2024, 5, 1, 10, 0, 0, 123_456n)));
    expect(keyDigits('timestamptz', '2024-05-01 10:00:00.0000001 -08:00', 'ceil')).toBe(String(utcMicros(2024, 5, 1, 18, 0, 0, 1n)));
    // datetime widened to datetime2(7): 1/300 s ticks have 100 ns remainders.
    expect(keyDigits('timestamp', '2024-05-01 10:00:00.0033333', 'floor')).toBe(String(utcMicros(2024, 5, 1, 10, 0, 0, 3_333n)));
    expect(keyDigits('timestamp', '2024-05-01 10:00:00.0066667', 'ceil')).toBe(String(utcMicros(2024, 5, 1, 10, 0, 0, 6_667n)));
  });

  it('parses the datetime2 text helper directly', () => {
    expect(parseDateTime2Micros('1970-01-01 00:00:00.0000001', 'k', 'ceil')).toBe(1n);
  });
});

describe('rowversion keys', () => {
  it('takes a rowversion (catalog name timestamp) as a rowversion key, not a date', () => {
    expect(keyKindOf('timestamp', 'where')).toBe('rowversion');
    expect(keyKindOf('rowversion', 'where')).toBe('rowversion');
  });

  it('reads the hex text of keyText as the unsigned 64-bit integer, the same for floor and ceil', () => {
    expect(keyDigits('rowversion', '0x00000000000007D1', 'floor')).toBe('2001');
    expect(keyDigits('rowversion', '0xffffffffffffffff', 'ceil')).toBe('18446744073709551615');
    expect(keyDigits('rowversion', '0x8000000000000000', 'floor')).toBe('9223372036854775808');
    expect(() => keyDigits('rowversion', '2001', 'floor', 'Table dbo.t, chunk key "rv"')).toThrow(/Table dbo.t, chunk key "rv": "2001" is not a rowversion/);
  });
});

describe('positional reading equals the general pattern', () => {
  const where = 'Table dbo.t, column "c"';
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  let seed = 4242;
  // The high bits of a linear congruential generator: its low bits repeat with short periods.
  const next = (n: number) => {
    seed = (Math.imul(seed, 1_103_515_245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const digits = (n: number) => Array.from({ length: n }, () => String(next(10))).join('');

  it('for bigint text: 1 to 20 digits, signs, the 2^53 and 2^63 edges, junk', () => {
    const texts = ['0', '-0', '1', '-1', '', '-', '+1', ' 1', '1 ', '1.0', '0x10', '9007199254740991', '-9007199254740991', '9007199254740992',
      '999999999999999', '-999999999999999', '1000000000000000', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '00012',
      ...Array.from({ length: 2000 }, () => `${next(2) ? '-' : ''}${digits(1 + next(20))}`)];
    for (const text of texts) expect(outcome(() => parseBigIntText(text, where)), text).toEqual(outcome(() => bigIntByPattern(text, where)));
  });

  it('for decimal text: every scale, zeros, signs, points, too many digits', () => {
    const fixed = ['0.0000', '-0.0000', '0.5000', '-0.5000', '.5000', '-.5000', '00.5000', '1.', '1', '-1', '+1.0000', ' 1.0000', '1.00001', '1.00000',
      '12.3', '', '-', '.', '0', '-0', '00', '123456789012345678901234567890.12345678', '1e5', '1,5'];
    for (const scale of [0, 1, 2, 4, 10, 38]) {
      const texts = [...fixed, ...Array.from({ length: 400 }, () => {
        const whole = next(4) === 0 ? '0' : digits(1 + next(20));
        const fraction = digits(Math.max(0, scale + next(3) - 1));
        return `${next(3) === 0 ? '-' : ''}${whole}${next(6) === 0 ? '' : '.'}${fraction}`;
      })];
      for (const text of texts) expect(outcome(() => parseDecimalText(text, scale, where)), `${text} scale ${scale}`).toEqual(outcome(() => decimalByPattern(text, scale, where)));
    }
  });

  const dates = ['0001-01-01', '9999-12-31', '1970-01-01', '1969-12-31', '2000-02-29', '1900-02-29', '2023-02-29', '2024-04-31', '2024-13-01',
    '2024-00-10', '2024-01-00', '0000-01-01', '10000-01-01', '2024-1-01', '',
    ...Array.from({ length: 1500 }, () => `${pad(1 + next(9999), 4)}-${pad(1 + next(12), 2)}-${pad(1 + next(31), 2)}`)];
  const times = ['00:00:00', '23:59:59', '24:00:00', '23:60:00', '23:59:60', '1:00:00', '12:34', ...Array.from({ length: 50 }, () => `${pad(next(24), 2)}:${pad(next(60), 2)}:${pad(next(60), 2)}`)];
  const fractions = ['', '.5', '.12', '.123456', '.1234567', '.0000001', '.9999999', '.0000000', '.12345678', '.', '.x'];
  const separators = [' ', ' ', ' ', 'T'];

  it('for datetime2 text: scales 0 to 7, floor and ceil, a T, invalid dates and times', () => {
    let checked = 0;
    for (const date of dates) {
      const text = `${date}${separators[next(separators.length)]}${times[next(times.length)]}${fractions[next(fractions.length)]}`;
      for (const rounding of ['floor', 'ceil'] as const) {
        expect(outcome(() => parseDateTime2Micros(text, where, rounding)), text).toEqual(outcome(() => dateTime2MicrosByPattern(text, where, rounding)));
        checked++;
      }
    }
    for (const fraction of fractions) {
      for (const text of [`0001-01-01 00:00:00${fraction}`, `9999-12-31 23:59:59${fraction}`, ` 2024-01-01 00:00:00${fraction}`, `2024-01-01 00:00:00${fraction} +01:00`]) {
        expect(outcome(() => parseDateTime2Micros(text, where, 'ceil')), text).toEqual(outcome(() => dateTime2MicrosByPattern(text, where, 'ceil')));
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });

  it('for datetimeoffset text: offsets to ±14:00 and beyond, -00:00, Z, no space', () => {
    const offsets = [' +00:00', ' -00:00', ' +14:00', ' -14:00', ' +14:01', ' +05:30', ' -09:45', ' +05:60', '+05:30', 'Z', '', ' 05:30', ' +5:30',
      ...Array.from({ length: 30 }, () => ` ${next(2) ? '+' : '-'}${pad(next(15), 2)}:${pad(next(60), 2)}`)];
    for (const date of dates) {
      const text = `${date} ${times[next(times.length)]}${fractions[next(fractions.length)]}${offsets[next(offsets.length)]}`;
      for (const rounding of ['floor', 'ceil'] as const) {
        expect(outcome(() => parseDateTimeOffset(text, where, rounding)), text).toEqual(outcome(() => dateTimeOffsetByPattern(text, where, rounding)));
      }
    }
    // -00:00 keeps its sign as the pattern reads it.
    expect(Object.is(parseDateTimeOffset('2024-01-01 00:00:00.0000000 -00:00').offsetMinutes, dateTimeOffsetByPattern('2024-01-01 00:00:00.0000000 -00:00').offsetMinutes)).toBe(true);
  });
});
