import type { Column, OutputType } from '../spec/columns.js';
import type { Compression, OutputFormat } from '../spec/pipelineSpec.js';
import { offsetColumnSuffix } from '../formats/parquet/parquetSchema.js';

/**
 * Ready-to-run read statements for one run's folder, so no reader has to guess a column's type:
 * DuckDB sniffs CSV decimals and uint64 as DOUBLE and reads a quoted empty string as NULL unless
 * told otherwise; Spark and Synapse read CSV as text unless given a schema. Each statement
 * declares every column with the type the output type maps to in that reader, and the options
 * that make the reader honour Siphon's text forms (see formats/textForms.ts and the README's
 * "Output types and their forms" table).
 *
 * Only the DuckDB statements can be run here (the tests read runs with them); the Spark and
 * Synapse ones follow those products' documented type mappings and CSV options.
 */
export type ReadSnippets = { duckdb: string; spark: string; synapse: string };

export type RunLocation = {
  /** The storage account's name, for the abfss:// and https:// forms. */
  account: string;
  container: string;
  /** The run's folder in the container, without a trailing slash. */
  folder: string;
};

export type SnippetInput = {
  format: OutputFormat;
  compression: Compression;
  /** Every column read, partition columns included (as in the manifest). */
  columns: Column[];
  partitionBy?: string[] | undefined;
  location: RunLocation;
  /** The name the Spark table is created under: the pipeline id. */
  tableName: string;
};

export function readSnippets(input: SnippetInput): ReadSnippets {
  return { duckdb: duckDbSnippet(input), spark: sparkSnippet(input), synapse: synapseSnippet(input) };
}

/**
 * A Delta table is read as a table, at its folder, whatever run wrote it: the log says which
 * files and types make the current version, so nothing is declared here. DuckDB needs its
 * `delta` and `azure` extensions; Spark a Delta Lake runtime (Databricks, Fabric and Synapse
 * Spark have one).
 */
export function deltaTableSnippets(location: Omit<RunLocation, 'folder'> & { table: string }, tableName: string): ReadSnippets {
  return {
    duckdb: `SELECT * FROM delta_scan(${sqlText(`az://${location.container}/${location.table}`)});`,
    spark: `CREATE TABLE ${quoteBacktick(tableName)}\nUSING DELTA\nLOCATION 'abfss://${location.container}@${location.account}.dfs.core.windows.net/${location.table}';`,
    synapse: `SELECT *\nFROM OPENROWSET(BULK 'https://${location.account}.dfs.core.windows.net/${location.container}/${location.table}/', FORMAT = 'DELTA') AS [rows];`,
  };
}

/** The file name pattern of the run's data files; manifests, `_SUCCESS` and `_schema.json` never match it. */
function fileGlob({ format, compression, partitionBy }: SnippetInput): string {
  const extension = format === 'parquet' ? 'parquet' : compression === 'gzip' ? `${format}.gz` : format;
  return `${partitionBy?.length ? partitionBy.map(() => '*/').join('') : ''}*.${extension}`;
}

function split(input: SnippetInput): { fileColumns: Column[]; partitionColumns: Column[] } {
  const partitionBy = input.partitionBy ?? [];
  return {
    fileColumns: input.columns.filter((column) => !partitionBy.includes(column.name)),
    partitionColumns: input.columns.filter((column) => partitionBy.includes(column.name)),
  };
}

// ---------------------------------------------------------------------------------------------
// DuckDB (with the azure extension: `az://` paths)

/** The DuckDB type of an output type as a file of `format` holds it (binary in text is base64). */
export function duckDbType(type: OutputType, format: OutputFormat): string {
  switch (type.kind) {
    case 'int16': return 'SMALLINT';
    case 'int32': return 'INTEGER';
    case 'int64': return 'BIGINT';
    case 'uint64': return 'UBIGINT';
    // DuckDB's DECIMAL stops at 38 digits, as Parquet's does; wider ones are exact text.
    case 'decimal': return type.precision > 38 ? 'VARCHAR' : `DECIMAL(${type.precision},${type.scale})`;
    case 'float32': return 'FLOAT';
    case 'float64': return 'DOUBLE';
    case 'boolean': return 'BOOLEAN';
    case 'string': return 'VARCHAR';
    case 'json': return format === 'jsonl' ? 'JSON' : 'VARCHAR';
    case 'uuid': return 'UUID';
    case 'binary': return format === 'parquet' ? 'BLOB' : 'VARCHAR';
    case 'date': return 'DATE';
    case 'time': return 'TIME';
    case 'timestamp': return type.utc ? 'TIMESTAMPTZ' : 'TIMESTAMP';
    // The text form carries the offset (`+05:30`): read as the instant it names.
    case 'timestampOffset': return 'TIMESTAMPTZ';
  }
}

function duckDbSnippet(input: SnippetInput): string {
  const { fileColumns, partitionColumns } = split(input);
  const path = sqlText(`az://${input.location.container}/${input.location.folder}/${fileGlob(input)}`);
  // Off unless partitioned, or DuckDB reads the `run=<runId>/` folder as a column.
  const hive = partitionColumns.length
    ? `hive_partitioning = true, hive_types = {${partitionColumns.map((column) => `${sqlText(column.name)}: '${duckDbType(column.type, input.format)}'`).join(', ')}}`
    : 'hive_partitioning = false';
  if (input.format === 'parquet') return `SELECT * FROM read_parquet(${path}, ${hive});`;
  const declared = `{${fileColumns.map((column) => `${sqlText(column.name)}: '${duckDbType(column.type, input.format)}'`).join(', ')}}`;
  const reader = input.format === 'csv'
    // An unquoted empty field is NULL, a quoted one ("") the empty string.
    ? `read_csv(${path}, header = true, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, max_line_size = 100000000, columns = ${declared}, ${hive})`
    : `read_json(${path}, format = 'newline_delimited', maximum_object_size = 100000000, columns = ${declared}, ${hive})`;
  const projection = input.columns.map((column) =>
    column.type.kind === 'binary' && fileColumns.includes(column) ? `from_base64(${quoteDouble(column.name)}) AS ${quoteDouble(column.name)}` : quoteDouble(column.name));
  return `SELECT ${projection.join(', ')} FROM ${reader};`;
}

// ---------------------------------------------------------------------------------------------
// Spark SQL (Databricks, Fabric and Synapse Spark): CREATE TABLE ... USING ... LOCATION

/** Spark's type; Parquet columns are declared as Spark reads their annotation. */
export function sparkType(type: OutputType, format: OutputFormat): string {
  switch (type.kind) {
    case 'int16': return 'SMALLINT';
    case 'int32': return 'INT';
    case 'int64': return 'BIGINT';
    // Spark has no unsigned 64-bit type; DECIMAL(20,0) holds 0..2^64-1 exactly.
    case 'uint64': return 'DECIMAL(20,0)';
    case 'decimal': return type.precision > 38 ? 'STRING' : `DECIMAL(${type.precision},${type.scale})`;
    case 'float32': return 'FLOAT';
    case 'float64': return 'DOUBLE';
    case 'boolean': return 'BOOLEAN';
    case 'string': case 'json': case 'uuid': case 'time': return 'STRING';
    case 'binary': return format === 'parquet' ? 'BINARY' : 'STRING';
    case 'date': return 'DATE';
    case 'timestamp': return type.utc ? 'TIMESTAMP' : 'TIMESTAMP_NTZ';
    case 'timestampOffset': return 'TIMESTAMP';
  }
}

function sparkSnippet(input: SnippetInput): string {
  const { fileColumns, partitionColumns } = split(input);
  // In Parquet a timestampOffset column is two: the instant and `<name>_offset_minutes`.
  const declared = [...fileColumns, ...partitionColumns].flatMap((column) =>
    input.format === 'parquet' && column.type.kind === 'timestampOffset' && fileColumns.includes(column)
      ? [`${quoteBacktick(column.name)} TIMESTAMP`, `${quoteBacktick(column.name + offsetColumnSuffix)} SMALLINT`]
      : [`${quoteBacktick(column.name)} ${sparkType(column.type, input.format)}`]);
  const location = `abfss://${input.location.container}@${input.location.account}.dfs.core.windows.net/${input.location.folder}`;
  const using = input.format === 'parquet' ? 'PARQUET' : input.format === 'csv' ? 'CSV' : 'JSON';
  const options = input.format === 'csv'
    ? [`header 'true'`, `multiLine 'true'`, `quote '"'`, `escape '"'`, `nullValue ''`, `timestampFormat "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"`, `timestampNTZFormat "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"`, `pathGlobFilter '${fileGlob({ ...input, partitionBy: [] })}'`]
    : input.format === 'jsonl'
      ? [`timestampFormat "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"`, `timestampNTZFormat "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"`, `pathGlobFilter '${fileGlob({ ...input, partitionBy: [] })}'`]
      : [];
  return [
    `CREATE TABLE ${quoteBacktick(input.tableName)} (${declared.join(', ')})`,
    `USING ${using}`,
    ...(options.length ? [`OPTIONS (${options.join(', ')})`] : []),
    ...(partitionColumns.length ? [`PARTITIONED BY (${partitionColumns.map((column) => quoteBacktick(column.name)).join(', ')})`] : []),
    `LOCATION '${location}';`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Synapse serverless SQL: OPENROWSET(BULK ...) WITH (...)

/** The T-SQL type of a WITH clause column; strings in a UTF-8 collation, as Microsoft advises for Parquet. */
export function synapseType(type: OutputType, format: OutputFormat): string {
  const utf8 = 'COLLATE Latin1_General_100_BIN2_UTF8';
  switch (type.kind) {
    case 'int16': return 'smallint';
    case 'int32': return 'int';
    case 'int64': return 'bigint';
    case 'uint64': return 'decimal(20,0)';
    case 'decimal': return type.precision > 38 ? `varchar(${type.precision + 2}) ${utf8}` : `decimal(${type.precision},${type.scale})`;
    case 'float32': return 'real';
    case 'float64': return 'float';
    case 'boolean': return 'bit';
    case 'string': case 'json': return `varchar(max) ${utf8}`;
    case 'uuid': return format === 'parquet' ? 'varbinary(16)' : 'uniqueidentifier';
    case 'binary': return format === 'parquet' ? 'varbinary(max)' : `varchar(max) ${utf8}`;
    case 'date': return 'date';
    case 'time': return 'time(6)';
    case 'timestamp': return 'datetime2(7)';
    case 'timestampOffset': return format === 'parquet' ? 'datetime2(7)' : 'datetimeoffset(7)';
  }
}

function synapseSnippet(input: SnippetInput): string {
  const { fileColumns } = split(input);
  const url = `https://${input.location.account}.dfs.core.windows.net/${input.location.container}/${input.location.folder}/${fileGlob(input)}`;
  if (input.format === 'jsonl') {
    // Serverless SQL reads JSON Lines as one text column per line (0x0b never occurs in JSON
    // text), then OPENJSON types each field.
    const fields = fileColumns.map((column) => `${quoteBracket(column.name)} ${synapseType(column.type, 'jsonl')} '$.${jsonPathName(column.name)}'`);
    return [
      'SELECT fields.*',
      `FROM OPENROWSET(BULK '${url}', FORMAT = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a')`,
      `WITH (doc varchar(max) COLLATE Latin1_General_100_BIN2_UTF8) AS [rows]`,
      `CROSS APPLY OPENJSON(doc) WITH (${fields.join(', ')}) AS fields;`,
    ].join('\n');
  }
  const declared = fileColumns.flatMap((column) =>
    input.format === 'parquet' && column.type.kind === 'timestampOffset'
      ? [`${quoteBracket(column.name)} datetime2(7)`, `${quoteBracket(column.name + offsetColumnSuffix)} smallint`]
      : [`${quoteBracket(column.name)} ${synapseType(column.type, input.format)}`]);
  const options = input.format === 'parquet'
    ? `FORMAT = 'PARQUET'`
    : `FORMAT = 'CSV', PARSER_VERSION = '2.0', HEADER_ROW = TRUE, FIELDQUOTE = '"'`;
  return [
    'SELECT *',
    `FROM OPENROWSET(BULK '${url}', ${options})`,
    `WITH (${declared.join(', ')}) AS [rows];`,
  ].join('\n');
}

function sqlText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function quoteDouble(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteBacktick(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

function quoteBracket(name: string): string {
  return `[${name.replace(/]/g, ']]')}]`;
}

function jsonPathName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
