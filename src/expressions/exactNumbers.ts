import { ExpressionValueError } from './valueError.js';

/**
 * Exact arithmetic on the held forms of integers (bigint) and decimals (bigint of the unscaled
 * digits): nothing passes through a float, so `0.1 + 0.2` is `0.3` and an int64 keeps its digits.
 */
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const powers: bigint[] = [1n];

export function powerOfTen(exponent: number): bigint {
  for (let i = powers.length; i <= exponent; i++) powers.push(powers[i - 1]! * 10n);
  return powers[exponent]!;
}

/** An integer result, which must fit an int64. */
export function int64(value: bigint): bigint {
  if (value < int64Min || value > int64Max) throw new ExpressionValueError(`integer overflow: ${value} is outside int64`);
  return value;
}

/** An unscaled decimal that must fit `precision` digits. */
export function fitPrecision(value: bigint, precision: number): bigint {
  if ((value < 0n ? -value : value) >= powerOfTen(precision)) throw new ExpressionValueError(`decimal overflow: more than ${precision} digits`);
  return value;
}

/** `value / divisor` rounded half to even (banker's rounding): the rounding of division and cast. */
export function divideHalfEven(value: bigint, divisor: bigint): bigint {
  if (divisor === 0n) throw new ExpressionValueError('division by zero');
  let quotient = value / divisor;
  const remainder = value - quotient * divisor;
  if (remainder === 0n) return quotient;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  const absDivisor = divisor < 0n ? -divisor : divisor;
  const away = (value < 0n) !== (divisor < 0n) ? -1n : 1n;
  if (twice > absDivisor || (twice === absDivisor && quotient % 2n !== 0n)) quotient += away;
  return quotient;
}

/** `value / divisor` rounded half away from zero: the rounding of round(), as SQL engines do. */
export function divideHalfUp(value: bigint, divisor: bigint): bigint {
  let quotient = value / divisor;
  const remainder = value - quotient * divisor;
  if (remainder === 0n) return quotient;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  const absDivisor = divisor < 0n ? -divisor : divisor;
  if (twice >= absDivisor) quotient += (value < 0n) !== (divisor < 0n) ? -1n : 1n;
  return quotient;
}

/** Floor (toward minus infinity) or ceiling of value / divisor, divisor positive. */
export function divideFloor(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return quotient * divisor !== value && value < 0n ? quotient - 1n : quotient;
}

export function divideCeil(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return quotient * divisor !== value && value > 0n ? quotient + 1n : quotient;
}

/** An unscaled value moved from one scale to a larger one. */
export function rescaleUp(value: bigint, from: number, to: number): bigint {
  return to === from ? value : value * powerOfTen(to - from);
}

/**
 * The exact decimal digits of a finite float (its shortest round-trip text, exponent expanded),
 * as an unscaled value at `scale`, rounded half to even.
 */
export function floatToUnscaled(value: number, scale: number): bigint {
  if (!Number.isFinite(value)) throw new ExpressionValueError(`${value} is not a finite number`);
  const [mantissa, exponentText] = String(value).split('e');
  const exponent = Number(exponentText ?? 0);
  const negative = mantissa!.startsWith('-');
  const [whole, fraction = ''] = mantissa!.replace('-', '').split('.');
  const digits = BigInt(whole! + fraction);
  // digits × 10^(exponent − fraction length), brought to `scale`.
  const shift = exponent - fraction.length + scale;
  const unscaled = shift >= 0 ? digits * powerOfTen(shift) : divideHalfEven(digits, powerOfTen(-shift));
  return negative ? -unscaled : unscaled;
}
