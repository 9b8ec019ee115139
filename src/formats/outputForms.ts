import type { OutputType } from '../spec/columns.js';

/** How a column of one output type is written in each format: what a plan shows per column. */
export type OutputForms = {
  parquet: { physical: string; logical?: string };
  csv: string;
  jsonl: string;
};

/**
 * README's "Output types and their forms in each format" table as data, for plans and
 * validation; the writers in formats/ are what make it true.
 */
export function outputForms(type: OutputType): OutputForms {
  switch (type.kind) {
    case 'int16': return { parquet: { physical: 'INT32', logical: 'INT_16' }, csv: 'digits', jsonl: 'number' };
    case 'int32': return { parquet: { physical: 'INT32' }, csv: 'digits', jsonl: 'number' };
    case 'int64': return { parquet: { physical: 'INT64' }, csv: 'digits', jsonl: 'number, exact digits' };
    case 'uint64': return { parquet: { physical: 'INT64', logical: 'UINT_64' }, csv: 'digits', jsonl: 'number, exact digits' };
    case 'decimal': {
      const physical = type.precision <= 9 ? 'INT32' : type.precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY';
      return { parquet: { physical, logical: `DECIMAL(${type.precision},${type.scale})` }, csv: `plain digits with ${type.scale} decimals`, jsonl: 'string of plain digits' };
    }
    case 'float32': return { parquet: { physical: 'FLOAT' }, csv: 'shortest round-trip text', jsonl: 'number; NaN and infinities as strings' };
    case 'float64': return { parquet: { physical: 'DOUBLE' }, csv: 'shortest round-trip text', jsonl: 'number; NaN and infinities as strings' };
    case 'boolean': return { parquet: { physical: 'BOOLEAN' }, csv: 'true / false', jsonl: 'true / false' };
    case 'string': return { parquet: { physical: 'BYTE_ARRAY', logical: 'STRING' }, csv: 'the text, RFC 4180 quoted when needed', jsonl: 'string' };
    case 'json': return { parquet: { physical: 'BYTE_ARRAY', logical: 'JSON' }, csv: 'the document text', jsonl: 'the document embedded as a value' };
    case 'uuid': return { parquet: { physical: 'FIXED_LEN_BYTE_ARRAY(16)', logical: 'UUID' }, csv: 'lowercase 8-4-4-4-12', jsonl: 'string' };
    case 'binary': return { parquet: { physical: 'BYTE_ARRAY' }, csv: 'base64', jsonl: 'base64 string' };
    case 'date': return { parquet: { physical: 'INT32', logical: 'DATE' }, csv: 'YYYY-MM-DD', jsonl: 'string' };
    case 'time': return { parquet: { physical: 'INT64', logical: 'TIME(MICROS)' }, csv: 'HH:MM:SS.ffffff', jsonl: 'string' };
    case 'timestamp': return type.utc
      ? { parquet: { physical: 'INT64', logical: 'TIMESTAMP(MICROS, isAdjustedToUTC=true)' }, csv: 'YYYY-MM-DDTHH:MM:SS.ffffffZ', jsonl: 'string' }
      : { parquet: { physical: 'INT64', logical: 'TIMESTAMP(MICROS, isAdjustedToUTC=false)' }, csv: 'YYYY-MM-DDTHH:MM:SS.ffffff', jsonl: 'string' };
    case 'timestampOffset': return {
      parquet: { physical: 'INT64 + INT32', logical: 'TIMESTAMP(MICROS, isAdjustedToUTC=true) in <name>, INT_16 in <name>_offset_minutes' },
      csv: 'YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM',
      jsonl: 'string, same form',
    };
  }
}
