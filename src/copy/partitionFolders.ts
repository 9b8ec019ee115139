import { NonRetryableError } from '../errors/errorTypes.js';
import { civilFromDays } from '../formats/canonicalValues.js';
import type { Column, OutputType } from '../spec/columns.js';

/** Hive's own name for the folder of NULL values, which Spark and DuckDB read back as NULL. */
export const nullPartition = '__HIVE_DEFAULT_PARTITION__';

/** Types whose value is exact as folder text; a timestamp or float would be rounded or ambiguous. */
const partitionableKinds = new Set<OutputType['kind']>(['int16', 'int32', 'int64', 'uint64', 'boolean', 'string', 'date']);

export type PartitionRouter = {
  partitioned: boolean;
  /** The columns written into the files: partition columns live in the folder names instead, as Spark expects. */
  fileColumns: Column[];
  folderOf(row: unknown[]): string;
  fileRow(row: unknown[]): unknown[];
};

/** Fails (without retry) when a partition column is missing or of a type that cannot name a folder exactly. */
export function checkPartitionColumns(columns: Column[], partitionBy: string[], where: string): void {
  for (const name of partitionBy) {
    const column = columns.find((candidate) => candidate.name === name);
    if (!column) throw new NonRetryableError(`${where}: partition column "${name}" is not among the columns read`);
    if (!partitionableKinds.has(column.type.kind)) {
      throw new NonRetryableError(`${where}: partition column "${name}" (${column.sourceType}) must be an integer, boolean, string or date column; derive one in a query pipeline`);
    }
  }
  if (partitionBy.length === columns.length) throw new NonRetryableError(`${where}: every column is a partition column, so the files would have none`);
}

export function partitionRouter(columns: Column[], partitionBy: string[]): PartitionRouter {
  if (partitionBy.length === 0) return { partitioned: false, fileColumns: columns, folderOf: () => '', fileRow: (row) => row };
  const partitionIndexes = partitionBy.map((name) => columns.findIndex((column) => column.name === name));
  const fileIndexes = columns.map((_, index) => index).filter((index) => !partitionIndexes.includes(index));
  return {
    partitioned: true,
    fileColumns: fileIndexes.map((index) => columns[index]!),
    folderOf: (row) => partitionIndexes.map((index) => `${escapePathName(columns[index]!.name)}=${folderValue(columns[index]!.type, row[index])}`).join('/'),
    fileRow: (row) => fileIndexes.map((index) => row[index]),
  };
}

function folderValue(type: OutputType, value: unknown): string {
  if (value === null || value === undefined) return nullPartition;
  if (type.kind === 'date') return civilFromDays(value as number);
  const text = String(value);
  return text === '' ? nullPartition : escapePathName(text);
}

/**
 * Hive's escaping of partition names and values (FileUtils.escapePathName): characters that
 * would break a path or a URL become %XX, so `a/b` stays one folder and reads back as `a/b`.
 */
export function escapePathName(text: string): string {
  let escaped = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    escaped += code < 0x20 || code === 0x7f || '"#%\'*/:=?\\{[]^'.includes(char) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : char;
  }
  return escaped;
}
