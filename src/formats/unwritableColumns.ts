import type { Column } from '../spec/columns.js';
import type { OutputFormat } from '../spec/pipelineSpec.js';
import type { ColumnRefusal } from '../sources/sourceConnector.js';

/** The most digits a Parquet DECIMAL holds in the FIXED_LEN_BYTE_ARRAY readers accept (16 bytes). */
export const parquetMaxDecimalDigits = 38;

/**
 * Columns a format cannot write exactly, each with the reason in that format's terms. Source
 * type maps keep every value's exact output type (a MySQL decimal(65,30) is a decimal(65,30));
 * whether a file can hold it is the format's question, so CSV and JSON Lines, which write
 * decimals as text, take any precision and Parquet (and Delta) stop at 38 digits.
 */
export function unwritableColumns(columns: Column[], format: OutputFormat, label: string): ColumnRefusal[] {
  // A Delta table's decimal stops at 38 digits too (PROTOCOL.md "Primitive Types"), and its files are Parquet.
  if (format !== 'parquet' && format !== 'delta') return [];
  const holder = format === 'delta' ? 'a Delta decimal' : 'a Parquet DECIMAL';
  return columns.flatMap((column) =>
    column.type.kind === 'decimal' && column.type.precision > parquetMaxDecimalDigits
      ? [{
          column: column.name,
          reason: `${label}, column "${column.name}" (${column.sourceType}): decimal(${column.type.precision},${column.type.scale}) exceeds the ${parquetMaxDecimalDigits} digits ${holder} holds exactly; write csv or jsonl (text keeps every digit), or cast it in a query pipeline`,
        }]
      : []);
}
