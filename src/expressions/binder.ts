import type { Column } from '../spec/columns.js';
import { fixedDateDays, fixedTimeMicros } from '../sources/dateTimeText.js';
import { microsPerDay } from '../formats/canonicalValues.js';
import { divideHalfEven, fitPrecision, int64, powerOfTen } from './exactNumbers.js';
import { BindProblem, coerce, textOf, typeError, type Compiled, type Evaluate } from './compiled.js';
import { bindCall, bindCast } from './functions.js';
import type { BinaryOperator, SyntaxNode } from './syntaxTree.js';
import { ExpressionValueError } from './valueError.js';
import { booleanType, columnValueType, commonType, dateType, describeType, int64Type, integerDigits, isNumeric, maxPrecision, nullType, stringType, type ValueType } from './valueTypes.js';

/**
 * Binds a syntax tree to the columns a row holds: every name is resolved, every operator's
 * types checked (a mismatch names the position of the offending part), and the tree compiled
 * into nested closures, so evaluating a row walks no tree and decides no type.
 */
export function bindTree(tree: SyntaxNode, columns: readonly Column[]): { compiled: Compiled; referenced: string[] } | BindProblem {
  const referenced: string[] = [];
  const bind = (node: SyntaxNode): Compiled => {
    switch (node.kind) {
      case 'literal': return bindLiteral(node);
      case 'column': {
        let index = columns.findIndex((column) => column.name === node.name);
        if (index < 0) {
          // An unquoted name matches regardless of case when only one column has it.
          const lower = node.name.toLowerCase();
          const matches = columns.flatMap((column, i) => (column.name.toLowerCase() === lower ? [i] : []));
          if (matches.length === 1) index = matches[0]!;
        }
        if (index < 0) typeError(node.position, `unknown column ${node.name}`);
        const column = columns[index]!;
        const held = columnValueType(column.type);
        if (!held) typeError(node.position, `column ${column.name} holds bytes, which expressions do not read`);
        if (!referenced.includes(column.name)) referenced.push(column.name);
        const read = held.read;
        const identity = column.type.kind !== 'int16' && column.type.kind !== 'int32' && column.type.kind !== 'decimal' && column.type.kind !== 'timestampOffset';
        return {
          type: held.type,
          run: identity ? (row) => row[index] ?? null : (row) => {
            const value = row[index];
            return value == null ? null : read(value);
          },
        };
      }
      case 'negate': {
        const operand = bind(node.operand);
        const type = operand.type;
        if (!isNumeric(type) && type.kind !== 'null') typeError(node.operand.position, `cannot negate ${describeType(type)}`);
        const run = operand.run;
        const negate = type.kind === 'float' ? (value: unknown) => -(value as number) : type.kind === 'integer' ? (value: unknown) => int64(-(value as bigint)) : (value: unknown) => -(value as bigint);
        const resultType = type.kind === 'integer' ? int64Type : type;
        if (operand.constant) {
          // A negative literal stays a literal (round(x, -2) needs its scale at bind).
          const folded = operand.constant.value === null ? null : negate(operand.constant.value);
          return { type: resultType, run: () => folded, constant: { value: folded } };
        }
        return { type: resultType, run: (row) => { const value = run(row); return value === null ? null : negate(value); } };
      }
      case 'not': {
        const operand = expectBoolean(bind(node.operand), node.operand, 'not');
        const run = operand.run;
        return { type: booleanType, run: (row) => { const value = run(row); return value === null ? null : !value; } };
      }
      case 'binary': return bindBinary(node.operator, bind(node.left), bind(node.right), node);
      case 'isNull': {
        const run = bind(node.operand).run;
        return node.negated ? { type: booleanType, run: (row) => run(row) !== null } : { type: booleanType, run: (row) => run(row) === null };
      }
      case 'in': {
        const operand = bind(node.operand);
        const list = node.list.map(bind);
        let common: ValueType = operand.type;
        list.forEach((item, i) => {
          const meet = comparableType(common, item.type);
          if (!meet) typeError(node.list[i]!.position, `cannot compare ${describeType(operand.type)} with ${describeType(item.type)}`);
          common = meet;
        });
        const target = coerce(operand, common).run;
        const items = list.map((item) => coerce(item, common));
        const keyOf = keyFunction(common);
        const constants = items.every((item) => item.constant);
        const negated = node.negated;
        if (constants) {
          // A list of literals is a set: one lookup per row, however long the list.
          const set = new Set(items.filter((item) => item.constant!.value !== null).map((item) => keyOf(item.constant!.value)));
          const hasNull = items.some((item) => item.constant!.value === null);
          return {
            type: booleanType,
            run: (row) => {
              const value = target(row);
              if (value === null) return null;
              if (set.has(keyOf(value))) return !negated;
              return hasNull ? null : negated;
            },
          };
        }
        const runs = items.map((item) => item.run);
        return {
          type: booleanType,
          run: (row) => {
            const value = target(row);
            if (value === null) return null;
            const key = keyOf(value);
            let sawNull = false;
            for (const run of runs) {
              const item = run(row);
              if (item === null) sawNull = true;
              else if (keyOf(item) === key) return !negated;
            }
            return sawNull ? null : negated;
          },
        };
      }
      case 'between': {
        const operand = bind(node.operand);
        const low = bindBinary('>=', operand, bind(node.low), node);
        const high = bindBinary('<=', operand, bind(node.high), node);
        const both = bindBinary('and', low, high, node);
        if (!node.negated) return both;
        const run = both.run;
        return { type: booleanType, run: (row) => { const value = run(row); return value === null ? null : !value; } };
      }
      case 'case': {
        const whens = node.whens.map(({ when, then }) => ({ when: expectBoolean(bind(when), when, 'when').run, then: bind(then), node: then }));
        const otherwise = node.otherwise ? bind(node.otherwise) : { type: nullType, run: () => null };
        let common: ValueType = otherwise.type;
        for (const branch of whens) {
          const meet = commonType(common, branch.then.type);
          if (!meet) typeError(branch.node.position, `case branches give ${describeType(common)} and ${describeType(branch.then.type)}, which have no common type`);
          common = meet;
        }
        const conditions = whens.map((branch) => branch.when);
        const results = whens.map((branch) => coerce(branch.then, common).run);
        const fallback = coerce(otherwise, common).run;
        const count = conditions.length;
        return {
          type: common,
          run: (row) => {
            for (let i = 0; i < count; i++) if (conditions[i]!(row) === true) return results[i]!(row);
            return fallback(row);
          },
        };
      }
      case 'call': return bindCall(node.name, node.args.map(bind), node.args, node.position);
      case 'cast': return bindCast(bind(node.operand), node.type, node.position);
    }
  };
  try {
    return { compiled: bind(tree), referenced };
  } catch (err) {
    if (err instanceof BindProblem) return err;
    throw err;
  }
}

function expectBoolean(part: Compiled, node: SyntaxNode, where: string): Compiled {
  if (part.type.kind !== 'boolean' && part.type.kind !== 'null') typeError(node.position, `${where} needs a boolean, not ${describeType(part.type)}`);
  return part;
}

function bindLiteral(node: Extract<SyntaxNode, { kind: 'literal' }>): Compiled {
  const constant = (type: ValueType, value: unknown): Compiled => ({ type, run: () => value, constant: { value } });
  switch (node.literal) {
    case 'integer': {
      const value = BigInt(node.text);
      // Past int64 a literal is an exact decimal rather than an error.
      return value <= 2n ** 63n - 1n ? constant(int64Type, value) : constant({ kind: 'decimal', precision: node.text.length, scale: 0 }, value);
    }
    case 'decimal': {
      const [whole = '', fraction = ''] = node.text.split('.');
      const digits = (whole.replace(/^0+/, '') + fraction).length;
      return constant({ kind: 'decimal', precision: Math.max(1, digits, fraction.length), scale: fraction.length }, BigInt((whole || '0') + fraction));
    }
    case 'string': return constant(stringType, node.text);
    case 'boolean': return constant(booleanType, node.text === 'true');
    case 'null': return constant(nullType, null);
    case 'date': {
      const days = node.text.length === 10 ? fixedDateDays(node.text) : undefined;
      if (days === undefined) typeError(node.position, `date '${node.text}' is not a date as YYYY-MM-DD`);
      return constant(dateType, days);
    }
    case 'timestamp': {
      const parsed = timestampLiteral(node.text);
      if (!parsed) typeError(node.position, `timestamp '${node.text}' is not a timestamp as YYYY-MM-DD HH:MM:SS[.ffffff][Z|+HH:MM]`);
      return constant({ kind: 'timestamp', utc: parsed.utc }, parsed.micros);
    }
  }
}

/** Microseconds of `YYYY-MM-DD[ T]HH:MM:SS[.ffffff]`, an instant when a zone follows (Z, +HH:MM). */
export function timestampLiteral(text: string): { micros: bigint; utc: boolean } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?))?\s*(Z|[+-]\d{2}:\d{2})?$/i.exec(text.trim());
  const days = m ? fixedDateDays(m[1]!) : undefined;
  const time = m?.[2] === undefined ? 0n : fixedTimeMicros(m[2]);
  if (!m || days === undefined || time === undefined) return undefined;
  const zone = m[3]?.toUpperCase();
  const offsetMinutes = zone === undefined || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return { micros: BigInt(days) * microsPerDay + time - BigInt(offsetMinutes) * 60_000_000n, utc: zone !== undefined };
}

/** The type two sides are compared in, or undefined when they cannot be compared. */
function comparableType(a: ValueType, b: ValueType): ValueType | undefined {
  return commonType(a, b);
}

/** A key under which equal values of a type are ===: bigints, numbers, strings and booleans are their own keys. */
function keyFunction(_type: ValueType): (value: unknown) => unknown {
  return (value) => value;
}

const arithmetic = new Set<BinaryOperator>(['+', '-', '*', '/', '%']);
const comparisons = new Set<BinaryOperator>(['=', '<>', '<', '<=', '>', '>=']);

function bindBinary(operator: BinaryOperator, left: Compiled, right: Compiled, node: SyntaxNode): Compiled {
  const rightPosition = node.kind === 'binary' ? node.right.position : node.position;
  const mismatch = (verb: string): never => typeError(node.position, `cannot ${verb} ${describeType(left.type)} and ${describeType(right.type)}`);
  if (operator === 'and' || operator === 'or') {
    for (const [part, position] of [[left, node.position], [right, rightPosition]] as const) {
      if (part.type.kind !== 'boolean' && part.type.kind !== 'null') typeError(position, `${operator} needs booleans, not ${describeType(part.type)}`);
    }
    const l = left.run, r = right.run;
    // SQL's three-valued logic: false and NULL is false, true or NULL is true.
    return operator === 'and'
      ? { type: booleanType, run: (row) => { const a = l(row); if (a === false) return false; const b = r(row); if (b === false) return false; return a === null || b === null ? null : true; } }
      : { type: booleanType, run: (row) => { const a = l(row); if (a === true) return true; const b = r(row); if (b === true) return true; return a === null || b === null ? null : false; } };
  }
  if (comparisons.has(operator)) {
    const common = comparableType(left.type, right.type);
    if (!common) return mismatch('compare');
    const l = coerce(left, common).run, r = coerce(right, common).run;
    const test = comparison(operator);
    return { type: booleanType, run: (row) => { const a = l(row); if (a === null) return null; const b = r(row); return b === null ? null : test(a, b); } };
  }
  if (operator === '||') {
    if (left.type.kind !== 'string' && right.type.kind !== 'string') return mismatch('concatenate (|| joins text; cast one side to string)');
    const l = left.run, r = right.run, lt = textOf(left.type), rt = textOf(right.type);
    return { type: stringType, run: (row) => { const a = l(row); if (a === null) return null; const b = r(row); return b === null ? null : lt(a) + rt(b); } };
  }
  if (!arithmetic.has(operator)) return mismatch(operator);
  const verb = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide', '%': 'take the remainder of' }[operator as '+'];
  // Days onto a date, and the days between two dates.
  if (left.type.kind === 'date' && (right.type.kind === 'integer') && (operator === '+' || operator === '-')) {
    const sign = operator === '+' ? 1n : -1n;
    return strict2(dateType, left.run, right.run, (a, b) => dayNumber(BigInt(a as number) + sign * (b as bigint)));
  }
  if (left.type.kind === 'date' && right.type.kind === 'date' && operator === '-') return strict2(int64Type, left.run, right.run, (a, b) => BigInt((a as number) - (b as number)));
  const lt = left.type.kind === 'null' ? right.type : left.type;
  const rt = right.type.kind === 'null' ? left.type : right.type;
  if (!isNumeric(lt) || !isNumeric(rt)) return mismatch(verb);
  if (lt.kind === 'float' || rt.kind === 'float') {
    const l = coerce(left, { kind: 'float' }).run, r = coerce(right, { kind: 'float' }).run;
    const apply = floatOperation(operator);
    return strict2({ kind: 'float' }, l, r, (a, b) => apply(a as number, b as number));
  }
  if (lt.kind === 'integer' && rt.kind === 'integer') {
    const apply = integerOperation(operator);
    return strict2(int64Type, left.run, right.run, (a, b) => apply(a as bigint, b as bigint));
  }
  // Decimal arithmetic (an integer side counts as decimal(19,0)), exact, with SQL-like result types.
  const s1 = lt.kind === 'decimal' ? lt.scale : 0, s2 = rt.kind === 'decimal' ? rt.scale : 0;
  const i1 = integerDigits(lt), i2 = integerDigits(rt);
  const decimal = (integer: number, scale: number): ValueType => {
    if (scale > maxPrecision) typeError(node.position, `the result would have ${scale} digits after the point, more than ${maxPrecision}`);
    return { kind: 'decimal', precision: Math.max(1, Math.min(maxPrecision, integer + scale)), scale };
  };
  const bounded = (type: ValueType, op: (a: bigint, b: bigint) => bigint): Compiled => {
    const precision = (type as { precision: number }).precision;
    const capped = precision >= maxPrecision;
    return strict2(type, left.run, right.run, capped ? (a, b) => fitPrecision(op(a as bigint, b as bigint), precision) : (a, b) => op(a as bigint, b as bigint));
  };
  switch (operator) {
    case '+':
    case '-': {
      const scale = Math.max(s1, s2);
      const f1 = powerOfTen(scale - s1), f2 = powerOfTen(scale - s2);
      return bounded(decimal(Math.max(i1, i2) + 1, scale), operator === '+' ? (a, b) => a * f1 + b * f2 : (a, b) => a * f1 - b * f2);
    }
    case '*':
      return bounded(decimal(i1 + i2, s1 + s2), (a, b) => a * b);
    case '/': {
      // Scale max(6, s1), rounded half to even: 1 / 3 is 0.333333, 10.00 / 4 is 2.500000.
      const scale = Math.max(6, s1);
      const factor = powerOfTen(scale - s1 + s2);
      return bounded(decimal(i1 + s2, scale), (a, b) => divideHalfEven(a * factor, b));
    }
    default: {
      const scale = Math.max(s1, s2);
      const f1 = powerOfTen(scale - s1), f2 = powerOfTen(scale - s2);
      return bounded(decimal(Math.min(i1, i2), scale), (a, b) => {
        if (b === 0n) throw new ExpressionValueError('division by zero');
        return (a * f1) % (b * f2);
      });
    }
  }
}

/** Days of a date, which must lie in years 1 to 9999. */
export function dayNumber(days: bigint): number {
  if (days < -719_162n || days > 2_932_896n) throw new ExpressionValueError('date outside years 1 to 9999');
  return Number(days);
}

/** Two operands, NULL if either is NULL, otherwise `apply`. */
export function strict2(type: ValueType, l: Evaluate, r: Evaluate, apply: (a: unknown, b: unknown) => unknown): Compiled {
  return { type, run: (row) => { const a = l(row); if (a === null) return null; const b = r(row); return b === null ? null : apply(a, b); } };
}

function comparison(operator: BinaryOperator): (a: unknown, b: unknown) => boolean {
  // Held values of one common type are bigints, numbers, strings or booleans: JS compares each exactly.
  type Comparable = bigint | number | string | boolean;
  switch (operator) {
    case '=': return (a, b) => a === b;
    case '<>': return (a, b) => a !== b;
    case '<': return (a, b) => (a as Comparable) < (b as Comparable);
    case '<=': return (a, b) => (a as Comparable) <= (b as Comparable);
    case '>': return (a, b) => (a as Comparable) > (b as Comparable);
    default: return (a, b) => (a as Comparable) >= (b as Comparable);
  }
}

function integerOperation(operator: BinaryOperator): (a: bigint, b: bigint) => bigint {
  switch (operator) {
    case '+': return (a, b) => int64(a + b);
    case '-': return (a, b) => int64(a - b);
    case '*': return (a, b) => int64(a * b);
    // Integer division truncates toward zero, as PostgreSQL and SQL Server do.
    case '/': return (a, b) => { if (b === 0n) throw new ExpressionValueError('division by zero'); return int64(a / b); };
    default: return (a, b) => { if (b === 0n) throw new ExpressionValueError('division by zero'); return a % b; };
  }
}

function floatOperation(operator: BinaryOperator): (a: number, b: number) => number {
  switch (operator) {
    case '+': return (a, b) => a + b;
    case '-': return (a, b) => a - b;
    case '*': return (a, b) => a * b;
    case '/': return (a, b) => { if (b === 0) throw new ExpressionValueError('division by zero'); return a / b; };
    default: return (a, b) => { if (b === 0) throw new ExpressionValueError('division by zero'); return a % b; };
  }
}
