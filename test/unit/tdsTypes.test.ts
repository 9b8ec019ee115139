import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { colMetadataToken, doneToken, DoneStatus, messageToken, writeRow } from '../support/tds-server/tokens.js';
import { ByteSink, canonicalLiteral, guidText, parseSqlType, readParam, setPlpChunkBytes, typeInfo, writeNull, writeValue } from '../support/tds-server/sqlTypes.js';

/** TDS encodings of the test double's types, against bytes computed by hand from MS-TDS 2.2.5. */
// The tedious that mssql itself loads.
const require = createRequire(createRequire(import.meta.url).resolve('mssql'));
const { TYPES } = require('tedious') as { TYPES: Record<string, any> };
const { Collation } = require('tedious/lib/collation') as { Collation: { fromBuffer(buffer: Buffer): unknown } };

function bytesOf(type: string, value: string | null, nullable = true): number[] {
  const sink = new ByteSink();
  if (value === null) writeNull(sink, parseSqlType(type), nullable);
  else writeValue(sink, parseSqlType(type), nullable, value);
  return [...sink.view()];
}

const hex = (text: string) => [...Buffer.from(text.replace(/\s+/g, ''), 'hex')];

afterEach(() => setPlpChunkBytes(8000));

describe('TYPE_INFO', () => {
  it('uses the fixed types for NOT NULL numbers and the nullable (N) types otherwise', () => {
    expect([...typeInfo(parseSqlType('int'), false)]).toEqual([0x38]);
    expect([...typeInfo(parseSqlType('int'), true)]).toEqual([0x26, 4]);
    expect([...typeInfo(parseSqlType('bigint'), false)]).toEqual([0x7f]);
    expect([...typeInfo(parseSqlType('bit'), true)]).toEqual([0x68, 1]);
    expect([...typeInfo(parseSqlType('money'), true)]).toEqual([0x6e, 8]);
    expect([...typeInfo(parseSqlType('float'), false)]).toEqual([0x3e]);
    expect([...typeInfo(parseSqlType('datetime'), true)]).toEqual([0x6f, 8]);
  });

  it('carries precision, scale, lengths and the collation', () => {
    expect([...typeInfo(parseSqlType('decimal(38,10)'), true)]).toEqual([0x6a, 17, 38, 10]);
    expect([...typeInfo(parseSqlType('numeric(9,2)'), true)]).toEqual([0x6c, 5, 9, 2]);
    expect([...typeInfo(parseSqlType('nvarchar(max)'), true)]).toEqual(hex('e7 ffff 0904d00034'));
    expect([...typeInfo(parseSqlType('nchar(5)'), true)]).toEqual(hex('ef 0a00 0904d00034'));
    expect([...typeInfo(parseSqlType('varchar(42)'), true)]).toEqual(hex('a7 2a00 0904d00034'));
    expect([...typeInfo(parseSqlType('varbinary(100)'), true)]).toEqual(hex('a5 6400'));
    expect([...typeInfo(parseSqlType('binary(4)'), true)]).toEqual(hex('ad 0400'));
    expect([...typeInfo(parseSqlType('uniqueidentifier'), true)]).toEqual([0x24, 16]);
    expect([...typeInfo(parseSqlType('date'), true)]).toEqual([0x28]);
    expect([...typeInfo(parseSqlType('time(7)'), true)]).toEqual([0x29, 7]);
    expect([...typeInfo(parseSqlType('datetime2(3)'), true)]).toEqual([0x2a, 3]);
    expect([...typeInfo(parseSqlType('datetimeoffset(7)'), true)]).toEqual([0x2b, 7]);
  });

  it('refuses types it cannot send', () => {
    expect(() => typeInfo(parseSqlType('geography'), true)).toThrow(/cannot send values of type geography/);
  });
});

describe('values', () => {
  it('integers and bits, fixed and with a length byte', () => {
    expect(bytesOf('int', '-2', false)).toEqual(hex('feffffff'));
    expect(bytesOf('int', '-2')).toEqual(hex('04 feffffff'));
    expect(bytesOf('tinyint', '255')).toEqual(hex('01 ff'));
    expect(bytesOf('smallint', '-32768')).toEqual(hex('02 0080'));
    expect(bytesOf('bigint', '9223372036854775807')).toEqual(hex('08 ffffffffffffff7f'));
    expect(bytesOf('bigint', '-9223372036854775808', false)).toEqual(hex('0000000000000080'));
    expect(bytesOf('bit', 't')).toEqual(hex('01 01'));
    expect(bytesOf('bit', 'f', false)).toEqual(hex('00'));
  });

  it('decimals as sign and little-endian magnitude, sized by precision', () => {
    // 15000000000 = 0x37E11D600
    expect(bytesOf('decimal(38,10)', '-1.5000000000')).toEqual(hex(`11 00 00d6117e03 ${'00'.repeat(11)}`));
    expect(bytesOf('numeric(9,2)', '12.34')).toEqual(hex('05 01 d2040000'));
    expect(bytesOf('decimal(19,4)', '0.0001')).toEqual(hex('09 01 0100000000000000'));
    expect(bytesOf('decimal(28,0)', '9999999999999999999999999999')).toEqual(hex('0d 01 ffffff0f5f6f8ecc9c7aef40'.replace('ffffff0f5f6f8ecc9c7aef40', Buffer.from((9999999999999999999999999999n).toString(16).padStart(24, '0'), 'hex').reverse().toString('hex'))));
  });

  it('money as ten-thousandths, high 32 bits first', () => {
    expect(bytesOf('money', '1.0000')).toEqual(hex('08 00000000 10270000'));
    expect(bytesOf('money', '922337203685477.5807')).toEqual(hex('08 ffffff7f ffffffff'));
    expect(bytesOf('money', '-0.0001', false)).toEqual(hex('ffffffff ffffffff'));
    expect(bytesOf('smallmoney', '-214748.3648')).toEqual(hex('04 00000080'));
  });

  it('floats as IEEE 754', () => {
    expect(bytesOf('real', '1.5')).toEqual(hex('04 0000c03f'));
    expect(bytesOf('float', '-2', false)).toEqual(hex('00000000000000c0'));
  });

  it('nvarchar as UTF-16LE (astral characters as surrogate pairs), varchar in code page 1252', () => {
    expect(bytesOf('nvarchar(10)', 'a🚀')).toEqual(hex('0600 6100 3dd8 80de'));
    expect(bytesOf('varchar(10)', 'é€')).toEqual(hex('0200 e980'));
    expect(bytesOf('varchar(10)', 'ĉ')).toEqual(hex('0100 3f'));
    expect(bytesOf('nchar(3)', 'ab ')).toEqual(hex('0600 6100 6200 2000'));
  });

  it('max types as PLP: total length, chunks, a zero terminator; NULL as all ones', () => {
    expect(bytesOf('nvarchar(max)', 'ab')).toEqual(hex('0400000000000000 04000000 61006200 00000000'));
    setPlpChunkBytes(2);
    expect(bytesOf('nvarchar(max)', 'ab')).toEqual(hex('0400000000000000 02000000 6100 02000000 6200 00000000'));
    expect(bytesOf('varbinary(max)', '\\x010203')).toEqual(hex('0300000000000000 02000000 0102 01000000 03 00000000'));
    expect(bytesOf('varbinary(max)', '\\x')).toEqual(hex('0000000000000000 00000000'));
    expect(bytesOf('nvarchar(max)', null)).toEqual(hex('ffffffffffffffff'));
    expect(bytesOf('varbinary(10)', null)).toEqual(hex('ffff'));
    expect(bytesOf('int', null)).toEqual(hex('00'));
    expect(bytesOf('datetimeoffset(7)', null)).toEqual(hex('00'));
  });

  it('uniqueidentifier in GUID byte order: the first three groups little-endian', () => {
    expect(bytesOf('uniqueidentifier', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')).toEqual(hex('10 99bceea0 0b9c f84e bb6d6bb9bd380a11'));
    expect(guidText(Buffer.from(hex('99bceea00b9cf84ebb6d6bb9bd380a11')))).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });

  it('date as days since 0001-01-01; time as units of its scale; datetime2 time then date', () => {
    expect(bytesOf('date', '0001-01-01')).toEqual(hex('03 000000'));
    expect(bytesOf('date', '1970-01-01')).toEqual(hex('03 3af90a'));
    // 863,999,999,999 hundred-nanoseconds = 0xC92A69BFFF
    expect(bytesOf('time(7)', '23:59:59.9999999')).toEqual(hex('05 ffbf692ac9'));
    expect(bytesOf('time(0)', '12:00:00.0000000')).toEqual(hex('03 c0a800'));
    expect(bytesOf('datetime2(7)', '1970-01-01 00:00:00.0000001')).toEqual(hex('08 0100000000 3af90a'));
    expect(bytesOf('datetime2(3)', '1970-01-01 00:00:01.5000000')).toEqual(hex('07 dc050000 3af90a'));
  });

  it('datetimeoffset as its UTC date and time, then the offset in minutes', () => {
    expect(bytesOf('datetimeoffset(7)', '1970-01-01 05:30:00.0000000 +05:30')).toEqual(hex('0a 0000000000 3af90a 4a01'));
    // 0001-01-01 00:00 at -08:00 is 08:00 UTC: 28800 s at scale 0.
    expect(bytesOf('datetimeoffset(0)', '0001-01-01 00:00:00.0000000 -08:00')).toEqual(hex('08 807000 000000 20fe'));
  });

  it('datetime as days since 1900 and 1/300 s ticks; smalldatetime as days and minutes', () => {
    expect(bytesOf('datetime', '1900-01-01 00:00:00.003')).toEqual(hex('08 00000000 01000000'));
    expect(bytesOf('datetime', '1753-01-01 00:00:00', false)).toEqual(hex('462effff 00000000'));
    expect(bytesOf('datetime', '9999-12-31 23:59:59.997')).toEqual(hex('08 7f242d00 ff818b01'));
    expect(bytesOf('smalldatetime', '2079-06-06 23:59:00')).toEqual(hex('04 ffff 9f05'));
  });
});

describe('tokens', () => {
  it('COLMETADATA: count, user type, flags, TYPE_INFO, name', () => {
    expect([...colMetadataToken([{ name: 'id', type: parseSqlType('int'), nullable: false }])]).toEqual(hex('81 0100 00000000 0800 38 02 6900 6400'));
  });

  it('NBCROW: a null bitmap, then only the values that are not NULL', () => {
    const sink = new ByteSink();
    const columns = [{ name: 'a', type: parseSqlType('int'), nullable: true }, { name: 'b', type: parseSqlType('nvarchar(10)'), nullable: true }, { name: 'c', type: parseSqlType('bit'), nullable: true }];
    writeRow(sink, columns, ['1', null, null]);
    expect([...sink.view()]).toEqual(hex('d2 06 04 01000000'));
    sink.reset();
    writeRow(sink, columns, ['1', 'x', 't']);
    expect([...sink.view()]).toEqual(hex('d1 04 01000000 0200 7800 01 01'));
  });

  it('DONE with status, command and a 64-bit row count; ERROR with number, state, class and texts', () => {
    expect([...doneToken('doneInProc', DoneStatus.count | DoneStatus.more, 0xc1, 3)]).toEqual(hex('ff 1100 c100 0300000000000000'));
    expect([...doneToken('done', DoneStatus.attention, 0, 0)]).toEqual(hex('fd 2000 0000 0000000000000000'));
    expect([...messageToken('error', { number: 18456, state: 1, severity: 14, message: 'x', serverName: 'S', procName: '', line: 1 })])
      .toEqual(hex('aa 1200 18480000 01 0e 0100 7800 01 5300 00 01000000'));
  });
});

describe('RPC parameters as tedious sends them', () => {
  const param = (type: any, value: unknown, extra: Record<string, unknown> = {}) => {
    // tedious encodes a varchar's text in the connection's collation before it sends it.
    const collation = Collation.fromBuffer(Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]));
    const p = { value: type === TYPES.VarChar ? type.validate(value, collation) : value, collation, ...extra } as Record<string, unknown>;
    if (p.length === undefined && type.resolveLength) p.length = type.resolveLength(p);
    if (p.scale === undefined && type.resolveScale) p.scale = type.resolveScale(p);
    if (p.precision === undefined && type.resolvePrecision) p.precision = type.resolvePrecision(p);
    const options = { useUTC: true, tdsVersion: '7_4' };
    const bytes = Buffer.concat([type.generateTypeInfo(p, options), type.generateParameterLength(p, options), ...type.generateParameterData(p, options)]);
    const read = readParam(bytes, 0);
    expect(read.offset).toBe(bytes.length);
    return read.param;
  };

  it('reads each type the connector binds back into its canonical text', () => {
    expect(param(TYPES.BigInt, 9007199254740991)).toEqual({ type: { name: 'bigint' }, value: '9007199254740991' });
    expect(param(TYPES.BigInt, null)).toEqual({ type: { name: 'bigint' }, value: null });
    expect(param(TYPES.Int, -5)).toEqual({ type: { name: 'int' }, value: '-5' });
    expect(param(TYPES.NVarChar, 'dbo', { length: 128 })).toEqual({ type: { name: 'nvarchar', length: 128 }, value: 'dbo' });
    expect(param(TYPES.NVarChar, 'x🚀'.repeat(3000), { length: 65536 })).toEqual({ type: { name: 'nvarchar', length: 'max' }, value: 'x🚀'.repeat(3000) });
    expect(param(TYPES.VarChar, '-9223372036854775808', { length: 20 })).toEqual({ type: { name: 'varchar', length: 20 }, value: '-9223372036854775808' });
    expect(param(TYPES.Date, new Date(Date.UTC(2024, 1, 29)))).toEqual({ type: { name: 'date' }, value: '2024-02-29' });
    const precise = Object.assign(new Date(Date.UTC(2024, 4, 1, 15, 30, 0, 123)), { nanosecondDelta: 0.0004567 });
    expect(param(TYPES.DateTime2, precise, { scale: 7 })).toEqual({ type: { name: 'datetime2', scale: 7 }, value: '2024-05-01 15:30:00.1234567' });
    const offset = param(TYPES.DateTimeOffset, precise, { scale: 7 });
    // tedious sends the instant in UTC plus the process's own offset; the text is that local wall time.
    const minutes = -precise.getTimezoneOffset();
    expect(offset.type).toEqual({ name: 'datetimeoffset', scale: 7 });
    expect(offset.value!.endsWith(`${minutes < 0 ? '-' : '+'}${String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0')}:${String(Math.abs(minutes) % 60).padStart(2, '0')}`)).toBe(true);
    if (minutes === 0) expect(offset.value).toBe('2024-05-01 15:30:00.1234567 +00:00');
    expect(param(TYPES.Decimal, 12.5, { precision: 10, scale: 2 })).toEqual({ type: { name: 'decimal', precision: 10, scale: 2 }, value: '12.50' });
    expect(param(TYPES.Bit, true)).toEqual({ type: { name: 'bit' }, value: 't' });
    expect(param(TYPES.UniqueIdentifier, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')).toEqual({ type: { name: 'uniqueidentifier' }, value: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' });
  });
});

describe('canonical literals', () => {
  it('writes the 100 ns types in their fixed-width forms and refuses digits the scale cannot hold', () => {
    expect(canonicalLiteral(parseSqlType('datetime2(7)'), '2024-05-01T15:30:00.12')).toBe('2024-05-01 15:30:00.1200000');
    expect(canonicalLiteral(parseSqlType('datetimeoffset(7)'), '2024-05-01 15:30:00.1234567 +05:30')).toBe('2024-05-01 15:30:00.1234567 +05:30');
    expect(canonicalLiteral(parseSqlType('datetimeoffset(7)'), '2024-05-01T15:30:00Z')).toBe('2024-05-01 15:30:00.0000000 +00:00');
    expect(canonicalLiteral(parseSqlType('time(7)'), '12:34:56.5')).toBe('12:34:56.5000000');
    expect(() => canonicalLiteral(parseSqlType('datetime2(3)'), '2024-05-01 15:30:00.1234')).toThrow(/more fractional digits/);
    expect(() => canonicalLiteral(parseSqlType('datetimeoffset(7)'), '2024-05-01 15:30:00 +15:00')).toThrow(/outside ±14:00/);
  });
});
