import { randomBytes } from 'node:crypto';
import type { SqlServerColumn } from './catalog.js';

/**
 * One table with every SQL Server type Siphon maps, at its extremes, NULLs included, for the
 * connector and fidelity tests on the test double and on a real SQL Server alike. Rows are T-SQL
 * literal text; `expectedRows` derives Siphon's canonical value of each cell from that text with
 * plain arithmetic here (not with Siphon's parsers), the 100 ns digit truncated as documented.
 */
export const everyTypeColumns: SqlServerColumn[] = [
  { name: 'id', type: 'int', primaryKey: true },
  { name: 'ti', type: 'tinyint' },
  { name: 'si', type: 'smallint' },
  { name: 'i', type: 'int' },
  { name: 'bi', type: 'bigint' },
  { name: 'bt', type: 'bit' },
  { name: 'dec38', type: 'decimal(38,10)' },
  { name: 'num9', type: 'numeric(9,2)' },
  { name: 'm', type: 'money' },
  { name: 'sm', type: 'smallmoney' },
  { name: 'r', type: 'real' },
  { name: 'f', type: 'float' },
  { name: 'ch', type: 'char(5)' },
  { name: 'vc', type: 'varchar(100)' },
  { name: 'vcmax', type: 'varchar(max)' },
  { name: 'nch', type: 'nchar(5)' },
  { name: 'nvc', type: 'nvarchar(100)' },
  { name: 'nvcmax', type: 'nvarchar(max)' },
  { name: 'bn', type: 'binary(4)' },
  { name: 'vb', type: 'varbinary(100)' },
  { name: 'vbmax', type: 'varbinary(max)' },
  { name: 'u', type: 'uniqueidentifier' },
  { name: 'd', type: 'date' },
  { name: 't', type: 'time(7)' },
  { name: 'dt', type: 'datetime' },
  { name: 'sdt', type: 'smalldatetime' },
  { name: 'dt2', type: 'datetime2(7)' },
  { name: 'dt2_3', type: 'datetime2(3)' },
  { name: 'dto', type: 'datetimeoffset(7)' },
];

const astral = '🚀 rocket 👩‍👩‍👧 family 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文';
const bigText = `${astral} `.repeat(6000);
const bigBinary = randomBytes(1024 * 1024);

export const everyTypeRows: Array<Array<string | Buffer | null>> = [
  ['1', '0', '-32768', '-2147483648', '-9223372036854775808', '0', '-9999999999999999999999999999.9999999999', '-9999999.99',
    '-922337203685477.5808', '-214748.3648', '-3.4028235E+38', '-1.7976931348623157E+308', 'a', '', '', 'b', '', '',
    Buffer.from([0, 0, 0, 0]), Buffer.alloc(0), Buffer.alloc(0), '00000000-0000-0000-0000-000000000000',
    '0001-01-01', '00:00:00', '1753-01-01 00:00:00', '1900-01-01 00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00 -08:00'],
  ['2', '255', '32767', '2147483647', '9223372036854775807', '1', '9999999999999999999999999999.9999999999', '9999999.99',
    '922337203685477.5807', '214748.3647', '3.4028235E+38', '1.7976931348623157E+308', 'abcde', 'quote " comma , newline \n cr \r end café €',
    'x'.repeat(20_000), 'Zoë', astral, bigText, Buffer.from([255, 255, 255, 255]), randomBytes(100), bigBinary, 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '9999-12-31', '23:59:59.9999999', '9999-12-31 23:59:59.997', '2079-06-06 23:59', '9999-12-31 23:59:59.9999999', '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.9999999 +14:00'],
  ['3', '1', '0', '0', '0', '1', '0.0000000001', '0.01', '0.0001', '-0.0001', '0.1', '0.1', ' a ', ' leading and trailing ', '', 'ä b', ' 中 ', '',
    Buffer.from([0, 10, 13, 44]), Buffer.from('"quoted",\n'), Buffer.from('binary'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '2024-02-29', '12:34:56.5', '2024-02-29 12:34:56.003', '2024-02-29 12:35', '2024-05-01 15:30:00.1234567', '2024-05-01 15:30:00.123', '2024-05-01 15:30:00.1234567 +05:30'],
  ['4', '128', '-1', '-1', '-1', '0', '-0.0000000001', '-0.01', '-0.0001', '0.0000', '1.17549435E-38', '2.2250738585072014E-308', 'NULL ', 'NULL', 'null', 'x', 'NULL', 'null',
    Buffer.from('abcd'), Buffer.from([0]), Buffer.from([0]), '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    '1969-12-31', '00:00:00.0000001', '1969-12-31 23:59:59.997', '1969-12-31 23:59', '1969-12-31 23:59:59.9999999', '1969-12-31 23:59:59.999', '1969-12-31 23:59:59.9999999 -08:00'],
  ['5', ...everyTypeColumns.slice(1).map(() => null)],
];

// ---------------------------------------------------------------------------------------------
// The canonical values (formats/canonicalValues.ts) each literal stands for.

function days(y: number, m: number, d: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return Math.round(date.getTime() / 86_400_000);
}

/** `YYYY-MM-DD hh:mm[:ss[.fffffff]]` as wall-clock microseconds since 1970, truncated to the microsecond. */
export function wallMicros(text: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?: (\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?/.exec(text)!;
  const seconds = (Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0)) * 60 + Number(m[6] ?? 0);
  return BigInt(days(Number(m[1]), Number(m[2]), Number(m[3]))) * 86_400_000_000n + BigInt(seconds) * 1_000_000n + BigInt((m[7] ?? '').padEnd(7, '0').slice(0, 6));
}

function offsetMinutes(text: string): number {
  const m = /([+-])(\d\d):(\d\d)$/.exec(text)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

function decimalText(text: string, scale: number): string {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace('-', '').split('.');
  const digits = `${whole.replace(/^0+(?=\d)/, '')}.${fraction.padEnd(scale, '0')}`.replace(/\.$/, '');
  return negative && /[1-9]/.test(digits) ? `-${digits}` : digits;
}

/** The datetime tick (1/300 s) that SQL Server stores, read back the way tedious rounds it: to the millisecond. */
function datetimeMicros(text: string): bigint {
  const micros = wallMicros(text);
  const ms = micros / 1000n;
  return ms * 1000n;
}

export function expectedValue(type: string, literal: string | Buffer | null): unknown {
  if (literal === null) return null;
  if (Buffer.isBuffer(literal)) return new Uint8Array(literal);
  const base = type.replace(/\(.*$/, '');
  switch (base) {
    case 'tinyint': case 'smallint': case 'int': return Number(literal);
    case 'bigint': return BigInt(literal);
    case 'bit': return literal === '1';
    case 'decimal': case 'numeric': return decimalText(literal, Number(/,(\d+)\)/.exec(type)![1]));
    case 'money': case 'smallmoney': return decimalText(literal, 4);
    case 'real': return Math.fround(Number(literal));
    case 'float': return Number(literal);
    case 'char': case 'nchar': return literal.padEnd(Number(/\((\d+)\)/.exec(type)![1]), ' ');
    case 'uniqueidentifier': return literal.toLowerCase();
    case 'date': return Number(wallMicros(literal) / 86_400_000_000n);
    case 'time': return wallMicros(`1970-01-01 ${literal}`);
    case 'datetime': return datetimeMicros(literal);
    case 'smalldatetime': case 'datetime2': return wallMicros(literal);
    case 'datetimeoffset': return { micros: wallMicros(literal) - BigInt(offsetMinutes(literal)) * 60_000_000n, offsetMinutes: offsetMinutes(literal) };
    default: return literal;
  }
}

/** Each row's canonical values by column name. */
export function expectedRows(): Array<Record<string, unknown>> {
  return everyTypeRows.map((row) => Object.fromEntries(everyTypeColumns.map((column, i) => [column.name, expectedValue(column.type, row[i]!)])));
}
