/**
 * The unscaled integer of a decimal's text at a given scale: "-12.3" at scale 2 is -1230n.
 * Exact for any precision; no float ever touches the value.
 */
const decimalPattern = /^([+-]?)(\d*)(?:\.(\d*))?$/;

export function unscaledDecimal(text: string, scale: number): bigint {
  const m = decimalPattern.exec(text);
  if (!m || (m[2] === '' && !m[3])) throw new Error(`Not a finite decimal: ${text}`);
  const fraction = m[3] ?? '';
  if (fraction.length > scale && /[^0]/.test(fraction.slice(scale))) throw new Error(`Decimal ${text} has more than ${scale} digits after the point`);
  const digits = (m[2] || '0') + fraction.slice(0, scale).padEnd(scale, '0');
  const value = BigInt(digits);
  return m[1] === '-' ? -value : value;
}

/** The canonical decimal of an unscaled integer: plain digits with exactly `scale` fraction digits (-1230n at 2 is "-12.30"). */
export function decimalTextOf(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}
