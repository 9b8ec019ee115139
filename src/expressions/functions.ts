import { fixedDateDays, fixedTimeMicros } from '../sources/dateTimeText.js';
import { civilDays, civilOf, microsPerDay } from '../formats/canonicalValues.js';
import { coerce, textOf, typeError, type Compiled, type Evaluate } from './compiled.js';
import { divideCeil, divideFloor, divideHalfEven, divideHalfUp, fitPrecision, floatToUnscaled, int64, powerOfTen } from './exactNumbers.js';
import type { CastTypeName, SyntaxNode } from './syntaxTree.js';
import { ExpressionValueError } from './valueError.js';
import { dayNumber, strict2, timestampLiteral } from './binder.js';
import { booleanType, castValueType, commonType, dateType, describeType, int64Type, isNumeric, nullType, stringType, type ValueType } from './valueTypes.js';

/**
 * What each function of the language does (functionArity.ts lists them for the parser): its
 * argument types checked at bind, its closure made once. Every function returns NULL when an
 * argument is NULL, except coalesce and concat (which skip NULLs) and nullif.
 */
export function bindCall(name: string, args: Compiled[], nodes: SyntaxNode[], position: number): Compiled {
  const want = (i: number, ok: (type: ValueType) => boolean, what: string) => {
    const type = args[i]!.type;
    if (type.kind !== 'null' && !ok(type)) typeError(nodes[i]!.position, `${name} needs ${what}${args.length > 1 ? ` as argument ${i + 1}` : ''}, not ${describeType(type)}`);
  };
  const isString = (type: ValueType) => type.kind === 'string';
  const isInteger = (type: ValueType) => type.kind === 'integer';
  const runs = args.map((arg) => arg.run);
  const one = (type: ValueType, apply: (value: any) => unknown): Compiled => {
    const run = runs[0]!;
    return { type, run: (row) => { const value = run(row); return value === null ? null : apply(value); } };
  };
  const all = (type: ValueType, apply: (values: any) => unknown): Compiled => ({
    type,
    run: (row) => {
      const values = runs.map((run) => run(row));
      return values.includes(null) ? null : apply(values);
    },
  });
  switch (name) {
    case 'lower': want(0, isString, 'a string'); return one(stringType, (s: string) => s.toLowerCase());
    case 'upper': want(0, isString, 'a string'); return one(stringType, (s: string) => s.toUpperCase());
    case 'trim': want(0, isString, 'a string'); return one(stringType, (s: string) => s.trim());
    case 'ltrim': want(0, isString, 'a string'); return one(stringType, (s: string) => s.trimStart());
    case 'rtrim': want(0, isString, 'a string'); return one(stringType, (s: string) => s.trimEnd());
    case 'length': want(0, isString, 'a string'); return one(int64Type, (s: string) => BigInt(codePoints(s).length));
    case 'substring': {
      want(0, isString, 'a string'); want(1, isInteger, 'an integer'); if (args.length > 2) want(2, isInteger, 'an integer');
      // SQL's 1-based substring: characters from `start`, `count` of them counted from `start` even when it is below 1.
      return all(stringType, ([s, start, count]: [string, bigint, bigint | undefined]) => {
        const chars = codePoints(s);
        const from = Number(start) - 1;
        if (count !== undefined && count < 0n) throw new ExpressionValueError('substring: a negative length');
        const to = count === undefined ? chars.length : from + Number(count);
        return chars.slice(Math.max(0, from), Math.max(0, to)).join('');
      });
    }
    case 'replace': [0, 1, 2].forEach((i) => want(i, isString, 'a string')); return all(stringType, ([s, a, b]: string[]) => (a === '' ? s : s!.replaceAll(a!, b!)));
    case 'left':
    case 'right': {
      want(0, isString, 'a string'); want(1, isInteger, 'an integer');
      const left = name === 'left';
      // As PostgreSQL: a negative count means all but that many from the other end.
      return all(stringType, ([s, n]: [string, bigint]) => {
        const chars = codePoints(s);
        const count = Number(n) >= 0 ? Math.min(Number(n), chars.length) : Math.max(0, chars.length + Number(n));
        return (left ? chars.slice(0, count) : chars.slice(chars.length - count)).join('');
      });
    }
    case 'concat': {
      // NULLs are skipped, as PostgreSQL's concat does (|| gives NULL instead).
      const texts = args.map((arg) => textOf(arg.type));
      return { type: stringType, run: (row) => { let out = ''; for (let i = 0; i < runs.length; i++) { const value = runs[i]!(row); if (value !== null) out += texts[i]!(value); } return out; } };
    }
    case 'starts_with': want(0, isString, 'a string'); want(1, isString, 'a string'); return all(booleanType, ([s, p]: string[]) => s!.startsWith(p!));
    case 'contains': want(0, isString, 'a string'); want(1, isString, 'a string'); return all(booleanType, ([s, p]: string[]) => s!.includes(p!));
    case 'abs': {
      want(0, isNumeric, 'a number');
      const type = args[0]!.type;
      if (type.kind === 'float') return one(type, (x: number) => Math.abs(x));
      return one(type.kind === 'integer' ? int64Type : type, (x: bigint) => (type.kind === 'integer' ? int64(x < 0n ? -x : x) : x < 0n ? -x : x));
    }
    case 'round':
    case 'floor':
    case 'ceil': return bindRounding(name, args, nodes, want);
    case 'year': case 'month': case 'day': case 'hour': case 'minute': case 'second': return bindPart(name, args[0]!, nodes[0]!);
    case 'date': {
      want(0, (type) => type.kind === 'timestamp' || type.kind === 'date', 'a timestamp');
      if (args[0]!.type.kind === 'date') return args[0]!;
      return one(dateType, (micros: bigint) => Number(divideFloor(micros, microsPerDay)));
    }
    case 'date_trunc': return bindTrunc(args, nodes);
    case 'add_days': {
      want(0, (type) => type.kind === 'date' || type.kind === 'timestamp', 'a date or timestamp'); want(1, isInteger, 'an integer');
      const type = args[0]!.type;
      if (type.kind === 'timestamp') return strict2(type, runs[0]!, runs[1]!, (t, n) => checkedMicros((t as bigint) + (n as bigint) * microsPerDay));
      return strict2(dateType, runs[0]!, runs[1]!, (d, n) => dayNumber(BigInt(d as number) + (n as bigint)));
    }
    case 'days_between': {
      // days_between(start, end) = end − start in days; a timestamp counts by its date.
      const dateOf = args.map((arg, i) => {
        want(i, (type) => type.kind === 'date' || type.kind === 'timestamp', 'a date or timestamp');
        return arg.type.kind === 'timestamp' ? (value: unknown) => Number(divideFloor(value as bigint, microsPerDay)) : (value: unknown) => value as number;
      });
      if (args[0]!.type.kind === 'timestamp' && args[1]!.type.kind === 'timestamp' && (args[0]!.type as { utc: boolean }).utc !== (args[1]!.type as { utc: boolean }).utc) {
        typeError(position, 'days_between cannot mix a timestamp with a timestamptz');
      }
      return strict2(int64Type, runs[0]!, runs[1]!, (a, b) => BigInt(dateOf[1]!(b) - dateOf[0]!(a)));
    }
    case 'coalesce': {
      let common: ValueType = nullType;
      args.forEach((arg, i) => {
        const meet = commonType(common, arg.type);
        if (!meet) typeError(nodes[i]!.position, `coalesce mixes ${describeType(common)} and ${describeType(arg.type)}`);
        common = meet;
      });
      const coerced = args.map((arg) => coerce(arg, common).run);
      return { type: common, run: (row) => { for (const run of coerced) { const value = run(row); if (value !== null) return value; } return null; } };
    }
    case 'nullif': {
      const common = commonType(args[0]!.type, args[1]!.type);
      if (!common) typeError(nodes[1]!.position, `nullif cannot compare ${describeType(args[0]!.type)} with ${describeType(args[1]!.type)}`);
      const a = coerce(args[0]!, common).run, b = coerce(args[1]!, common).run;
      return { type: common, run: (row) => { const value = a(row); return value !== null && value === b(row) ? null : value; } };
    }
    default: return typeError(position, `unknown function ${name}`);
  }
}

/** Code points of a string; a string without surrogates is its own code units. */
function codePoints(text: string): string[] {
  return /[\uD800-\uDFFF]/.test(text) ? Array.from(text) : text.split('');
}

const minMicros = -62_135_596_800_000_000n; // 0001-01-01
const maxMicros = 253_402_300_799_999_999n; // 9999-12-31T23:59:59.999999

function checkedMicros(micros: bigint): bigint {
  if (micros < minMicros || micros > maxMicros) throw new ExpressionValueError('timestamp outside years 1 to 9999');
  return micros;
}

function bindRounding(name: string, args: Compiled[], nodes: SyntaxNode[], want: (i: number, ok: (type: ValueType) => boolean, what: string) => void): Compiled {
  want(0, isNumeric, 'a number');
  const type = args[0]!.type;
  const run = args[0]!.run;
  let places = 0;
  if (args.length > 1) {
    const constant = args[1]!.constant?.value;
    if (args[1]!.type.kind !== 'integer' || typeof constant !== 'bigint' || constant < -100n || constant > 100n) typeError(nodes[1]!.position, 'round takes its scale as an integer literal from -100 to 100');
    places = Number(constant);
  }
  const lift = (apply: (value: any) => unknown, resultType: ValueType): Compiled => ({ type: resultType, run: (row) => { const value = run(row); return value === null ? null : apply(value); } });
  if (type.kind === 'float') {
    const factor = 10 ** places;
    if (name === 'floor') return lift(Math.floor, type);
    if (name === 'ceil') return lift(Math.ceil, type);
    return lift((x: number) => Math.sign(x) * Math.round(Math.abs(x) * factor) / factor, type);
  }
  const scale = type.kind === 'decimal' ? type.scale : 0;
  const precision = type.kind === 'decimal' ? type.precision : 19;
  const divide = name === 'floor' ? divideFloor : name === 'ceil' ? divideCeil : divideHalfUp;
  // Digits dropped below the kept scale; a negative scale rounds to tens, hundreds…
  const kept = name === 'round' ? places : 0;
  const drop = scale - kept;
  if (drop <= 0) return type.kind === 'integer' ? { type: int64Type, run } : args[0]!;
  const divisor = powerOfTen(drop);
  const resultScale = Math.max(0, kept);
  const back = powerOfTen(resultScale - kept);
  if (type.kind === 'integer') return lift((x: bigint) => int64(divide(x, divisor) * divisor), int64Type);
  const resultType: ValueType = { kind: 'decimal', precision: Math.min(1000, precision - scale + resultScale + 1), scale: resultScale };
  return lift((x: bigint) => fitPrecision(divide(x, divisor) * back, (resultType as { precision: number }).precision), resultType);
}

function bindPart(name: string, arg: Compiled, node: SyntaxNode): Compiled {
  const type = arg.type;
  const clock = name === 'hour' || name === 'minute' || name === 'second';
  const fits = type.kind === 'null' || type.kind === 'timestamp' || (clock ? type.kind === 'time' : type.kind === 'date');
  if (!fits) typeError(node.position, `${name} needs ${clock ? 'a time or timestamp' : 'a date or timestamp'}, not ${describeType(type)}`);
  const run = arg.run;
  const part = (days: number, ofDay: bigint): bigint => {
    if (clock) {
      const seconds = ofDay / 1_000_000n;
      return name === 'hour' ? seconds / 3600n : name === 'minute' ? (seconds / 60n) % 60n : seconds % 60n;
    }
    const { year, month, day } = civilOf(days);
    return BigInt(name === 'year' ? year : name === 'month' ? month : day);
  };
  const apply = type.kind === 'date' ? (value: unknown) => part(value as number, 0n)
    : type.kind === 'time' ? (value: unknown) => part(0, value as bigint)
    : (value: unknown) => {
      const days = divideFloor(value as bigint, microsPerDay);
      return part(Number(days), (value as bigint) - days * microsPerDay);
    };
  return { type: int64Type, run: (row) => { const value = run(row); return value === null ? null : apply(value); } };
}


const truncUnits = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'] as const;

function bindTrunc(args: Compiled[], nodes: SyntaxNode[]): Compiled {
  const unit = args[0]!.constant?.value;
  if (args[0]!.type.kind !== 'string' || typeof unit !== 'string' || !truncUnits.includes(unit.toLowerCase() as never)) {
    typeError(nodes[0]!.position, `date_trunc takes its unit as a string literal: ${truncUnits.map((u) => `'${u}'`).join(', ')}`);
  }
  const type = args[1]!.type;
  if (type.kind !== 'date' && type.kind !== 'timestamp' && type.kind !== 'null') typeError(nodes[1]!.position, `date_trunc needs a date or timestamp, not ${describeType(type)}`);
  const which = unit.toLowerCase() as (typeof truncUnits)[number];
  const clockUnit = { hour: 3_600_000_000n, minute: 60_000_000n, second: 1_000_000n } as Partial<Record<string, bigint>>;
  if (type.kind === 'date' && clockUnit[which]) typeError(nodes[0]!.position, `date_trunc('${which}') needs a timestamp, not a date`);
  const truncDays = (days: number): number => {
    if (which === 'day') return days;
    // 1970-01-01 was a Thursday: weeks start on Monday, as ISO counts them.
    if (which === 'week') return days - ((days + 3) % 7 + 7) % 7;
    const { year, month } = civilOf(days);
    if (which === 'year') return civilDays(year, 1, 1);
    if (which === 'quarter') return civilDays(year, month - ((month - 1) % 3), 1);
    return civilDays(year, month, 1);
  };
  const run = args[1]!.run;
  if (type.kind === 'date') return { type: dateType, run: (row) => { const value = run(row); return value === null ? null : truncDays(value as number); } };
  const step = clockUnit[which];
  const apply = step
    ? (micros: bigint) => divideFloor(micros, step) * step
    : (micros: bigint) => BigInt(truncDays(Number(divideFloor(micros, microsPerDay)))) * microsPerDay;
  return { type, run: (row) => { const value = run(row); return value === null ? null : apply(value as bigint); } };
}

/**
 * `cast(x as type)`: exact where the types allow (integers, decimals and text), decimals rounded
 * half to even to the target scale; a value that does not fit or does not parse throws
 * ExpressionValueError for its row.
 */
export function bindCast(operand: Compiled, name: CastTypeName, position: number): Compiled {
  const to = castValueType(name);
  const from = operand.type;
  const run = operand.run;
  const lift = (apply: (value: any) => unknown): Compiled => ({ type: to, run: (row) => { const value = run(row); return value === null ? null : apply(value); } });
  const refuse = (): never => typeError(position, `cannot cast ${describeType(from)} to ${describeType(to)}`);
  if (from.kind === 'null') return { type: to, run: () => null };
  if (to.kind === 'string') {
    const text = textOf(from);
    return lift(text);
  }
  const fromText = from.kind === 'string';
  switch (to.kind) {
    case 'integer': {
      const [low, high] = to.width === 'int16' ? [-32_768n, 32_767n] : to.width === 'int32' ? [-2_147_483_648n, 2_147_483_647n] : [-(2n ** 63n), 2n ** 63n - 1n];
      const ranged = (value: bigint) => {
        if (value < low || value > high) throw new ExpressionValueError(`${value} does not fit ${to.width}`);
        return value;
      };
      if (from.kind === 'integer') return lift(ranged);
      if (from.kind === 'decimal') { const divisor = powerOfTen(from.scale); return lift((x: bigint) => ranged(divideHalfEven(x, divisor))); }
      if (from.kind === 'float') return lift((x: number) => ranged(floatToUnscaled(x, 0)));
      if (from.kind === 'boolean') return lift((x: boolean) => (x ? 1n : 0n));
      if (fromText) return lift((s: string) => {
        const text = s.trim();
        if (!/^[+-]?\d{1,40}$/.test(text)) throw new ExpressionValueError(`cannot cast '${s.slice(0, 100)}' to ${to.width}`);
        return ranged(BigInt(text));
      });
      return refuse();
    }
    case 'decimal': {
      const { precision, scale } = to;
      const fit = (value: bigint) => {
        if ((value < 0n ? -value : value) >= powerOfTen(precision)) throw new ExpressionValueError(`value does not fit decimal(${precision},${scale})`);
        return value;
      };
      if (from.kind === 'integer') { const factor = powerOfTen(scale); return lift((x: bigint) => fit(x * factor)); }
      if (from.kind === 'decimal') {
        if (from.scale <= scale) { const factor = powerOfTen(scale - from.scale); return lift((x: bigint) => fit(x * factor)); }
        const divisor = powerOfTen(from.scale - scale);
        return lift((x: bigint) => fit(divideHalfEven(x, divisor)));
      }
      if (from.kind === 'float') return lift((x: number) => fit(floatToUnscaled(x, scale)));
      if (fromText) return lift((s: string) => {
        const m = /^\s*([+-]?)(\d{0,1000})(?:\.(\d{0,1000}))?\s*$/.exec(s);
        if (!m || (!m[2] && !m[3])) throw new ExpressionValueError(`cannot cast '${s.slice(0, 100)}' to decimal(${precision},${scale})`);
        const fraction = m[3] ?? '';
        const unscaled = BigInt((m[2] || '0') + fraction);
        const value = fraction.length <= scale ? unscaled * powerOfTen(scale - fraction.length) : divideHalfEven(unscaled, powerOfTen(fraction.length - scale));
        return fit(m[1] === '-' ? -value : value);
      });
      return refuse();
    }
    case 'float': {
      if (from.kind === 'integer' || from.kind === 'decimal' || from.kind === 'float') return coerce(operand, to);
      if (fromText) return lift((s: string) => {
        const text = s.trim();
        const value = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : /^[+-]?(infinity|nan)$/i.test(text) ? Number(text.replace(/infinity/i, 'Infinity').replace(/nan/i, 'NaN')) : undefined;
        if (value === undefined) throw new ExpressionValueError(`cannot cast '${s.slice(0, 100)}' to float64`);
        return value;
      });
      return refuse();
    }
    case 'boolean': {
      if (from.kind === 'boolean') return operand;
      if (from.kind === 'integer') return lift((x: bigint) => x !== 0n);
      if (fromText) return lift((s: string) => {
        const text = s.trim().toLowerCase();
        if (text === 'true' || text === 't' || text === '1') return true;
        if (text === 'false' || text === 'f' || text === '0') return false;
        throw new ExpressionValueError(`cannot cast '${s.slice(0, 100)}' to boolean`);
      });
      return refuse();
    }
    case 'date': {
      if (from.kind === 'date') return operand;
      if (from.kind === 'timestamp') return lift((x: bigint) => Number(divideFloor(x, microsPerDay)));
      if (fromText) return lift((s: string) => {
        const text = s.trim();
        const days = text.length === 10 ? fixedDateDays(text) : undefined;
        if (days === undefined) throw new ExpressionValueError(`cannot cast '${s.slice(0, 100)}' to date`);
        return days;
      });
      return refuse();
    }
    case 'time': {
      if (from.kind === 'time') return operand;
      if (from.kind === 'timestamp') return lift((x: bigint) => x - divideFloor(x, microsPerDay) * microsPerDay);
      if (fromText) return lift((s: string) => {
        const micros = fixedTimeMicros(s.trim());
        if (micros === undefined) throw new ExpressionValueError(`cannot cast '${s.slice(0, 100)}' to time`);
        return micros;
      });
      return refuse();
    }
    case 'timestamp': {
      if (from.kind === 'date') return coerce(operand, to);
      if (from.kind === 'timestamp') return from.utc === to.utc ? operand : typeError(position, `cannot cast ${describeType(from)} to ${describeType(to)}: which zone would it be in?`);
      if (fromText) return lift((s: string) => {
        const parsed = timestampLiteral(s);
        if (!parsed || parsed.utc !== to.utc) throw new ExpressionValueError(`cannot cast '${s.slice(0, 100)}' to ${to.utc ? 'timestamptz (it needs a zone: Z or +HH:MM)' : 'timestamp (a wall clock, without a zone)'}`);
        return checkedMicros(parsed.micros);
      });
      return refuse();
    }
    default: return refuse();
  }
}

export type { Evaluate };
