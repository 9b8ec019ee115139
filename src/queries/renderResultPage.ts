/**
 * A page of result rows as text: JSON Lines (one object per row) or CSV (a header, then RFC 4180
 * records; NULL as an empty unquoted field). Values read back from Parquet are made JSON-safe:
 * 64-bit integers outside JavaScript's safe range as digits in a string, times as ISO text, bytes
 * as base64.
 */
export function renderResultPage(format: 'jsonl' | 'csv', columns: string[], rows: Record<string, unknown>[]): string {
  if (format === 'jsonl') return rows.map((row) => `${JSON.stringify(row, jsonSafe)}\n`).join('');
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((name) => csvValue(row[name])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return csvField(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && !(value instanceof Uint8Array)) return csvField(JSON.stringify(value, jsonSafe));
  const safe = jsonSafe('', value);
  return csvField(String(safe));
}

/** Quoted when needed, and always when empty, so the empty string stays apart from NULL. */
function csvField(text: string): string {
  return text === '' || /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
