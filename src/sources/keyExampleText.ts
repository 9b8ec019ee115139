/**
 * A value of a duplicated key as text for a quality check's message: what the driver returned,
 * written so people can find the row (ISO times, bytes as hex). Only for messages, never for data.
 */
export function keyExampleText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Uint8Array) return `0x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  return String(value);
}
