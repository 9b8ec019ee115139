import type { OutputType } from '../spec/columns.js';

/** How a column of one output type is written in each format: what a plan shows per column. */
export type OutputForms = {
  parquet: { physical: string; logical?: string };
  csv: string;
  jsonl: string;
  /** A Delta table's column type, and how the value is written when Delta has no such type (formats/writtenTypes.ts). */
  delta: string;
};

/**
 * README's "Output types and their forms in each format" table as data, for plans and
 * validation; the writers in formats/ are what make it true.
 */
export function outputForms(type: OutputType): OutputForms {
  switch (type.kind) {
    case 'int16': return { parquet: { physical: 'INT32', logical: 'INT_16' }, csv: 'digits', jsonl: 'number', delta: 'short' };
    case 'int32': return { parquet: { physical: 'INT32' }, csv: 'digits', jsonl: 'number', delta: 'integer' };
    case 'int64': return { parquet: { physical: 'INT64' }, csv: 'digits', jsonl: 'number, exact digits', delta: 'long' };
    case 'uint64': return { parquet: { physical: 'INT64', logical: 'UINT_64' }, csv: 'digits', jsonl: 'number, exact digits', delta: 'decimal(20,0), the same integer' };
    case 'decimal': {
      const physical = type.precision <= 9 ? 'INT32' : type.precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY';
      return { parquet: { physical, logical: `DECIMAL(${type.precision},${type.scale})` }, csv: `plain digits with ${type.scale} decimals`, jsonl: 'string of plain digits', delta: `decimal(${type.precision},${type.scale})` };
    }
    case 'float32': return { parquet: { physical: 'FLOAT' }, csv: 'shortest round-trip text', jsonl: 'number; NaN and infinities as strings', delta: 'float' };
    case 'float64': return { parquet: { physical: 'DOUBLE' }, csv: 'shortest round-trip text', jsonl: 'number; NaN and infinities as strings', delta: 'double' };
    case 'boolean': return { parquet: { physical: 'BOOLEAN' }, csv: 'true / false', jsonl: 'true / false', delta: 'boolean' };
    case 'string': return { parquet: { physical: 'BYTE_ARRAY', logical: 'STRING' }, csv: 'the text, RFC 4180 quoted when needed', jsonl: 'string', delta: 'string' };
    case 'json': return { parquet: { physical: 'BYTE_ARRAY', logical: 'JSON' }, csv: 'the document text', jsonl: 'the document embedded as a value', delta: 'string, the document text' };
    case 'uuid': return { parquet: { physical: 'FIXED_LEN_BYTE_ARRAY(16)', logical: 'UUID' }, csv: 'lowercase 8-4-4-4-12', jsonl: 'string', delta: 'string, lowercase 8-4-4-4-12' };
    case 'binary': return { parquet: { physical: 'BYTE_ARRAY' }, csv: 'base64', jsonl: 'base64 string', delta: 'binary' };
    case 'date': return { parquet: { physical: 'INT32', logical: 'DATE' }, csv: 'YYYY-MM-DD', jsonl: 'string', delta: 'date' };
    case 'time': return { parquet: { physical: 'INT64', logical: 'TIME(MICROS)' }, csv: 'HH:MM:SS.ffffff', jsonl: 'string', delta: 'string, HH:MM:SS.ffffff' };
    case 'timestamp': return type.utc
      ? { parquet: { physical: 'INT64', logical: 'TIMESTAMP(MICROS, isAdjustedToUTC=true)' }, csv: 'YYYY-MM-DDTHH:MM:SS.ffffffZ', jsonl: 'string', delta: 'timestamp' }
      : { parquet: { physical: 'INT64', logical: 'TIMESTAMP(MICROS, isAdjustedToUTC=false)' }, csv: 'YYYY-MM-DDTHH:MM:SS.ffffff', jsonl: 'string', delta: 'timestamp_ntz (reader 3 / writer 7, feature timestampNtz)' };
    case 'timestampOffset': return {
      parquet: { physical: 'INT64 + INT32', logical: 'TIMESTAMP(MICROS, isAdjustedToUTC=true) in <name>, INT_16 in <name>_offset_minutes' },
      csv: 'YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM',
      jsonl: 'string, same form',
      delta: 'timestamp in <name>, short in <name>_offset_minutes',
    };
  }
}
