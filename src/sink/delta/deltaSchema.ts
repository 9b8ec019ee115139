import { z } from 'zod';
import { NonRetryableError } from '../../errors/errorTypes.js';
import { offsetColumnSuffix } from '../../formats/parquet/parquetSchema.js';
import type { Column, OutputType } from '../../spec/columns.js';
import { deltaNameProblem } from '../../spec/deltaNames.js';

/**
 * A column of a Delta table's schema (PROTOCOL.md "Schema Serialization Format", "Struct
 * Field"). A type other tools wrote (a struct, an array) is kept as its JSON, to compare.
 */
export type DeltaField = { name: string; type: unknown; nullable: boolean; metadata: Record<string, unknown> };

const fieldSchema = z.object({ name: z.string(), type: z.unknown(), nullable: z.boolean(), metadata: z.record(z.string(), z.unknown()).default({}) }).loose();
const structSchema = z.object({ type: z.literal('struct'), fields: z.array(fieldSchema) }).loose();

/**
 * The Delta type of a written output type ("Primitive Types"); the type map of
 * formats/writtenTypes.ts has already turned what Delta lacks into what it has. Timestamps are
 * microseconds either way: a UTC instant is `timestamp` (isAdjustedToUTC = true in the file), a
 * wall clock `timestamp_ntz` (isAdjustedToUTC = false), which needs the timestampNtz feature.
 */
export function deltaType(type: Exclude<OutputType, { kind: 'timestampOffset' }>, column: string): string {
  switch (type.kind) {
    case 'int16': return 'short';
    case 'int32': return 'integer';
    case 'int64': return 'long';
    case 'decimal': return `decimal(${type.precision},${type.scale})`;
    case 'float32': return 'float';
    case 'float64': return 'double';
    case 'boolean': return 'boolean';
    case 'string': return 'string';
    case 'binary': return 'binary';
    case 'date': return 'date';
    case 'timestamp': return type.utc ? 'timestamp' : 'timestamp_ntz';
    case 'uint64': case 'json': case 'uuid': case 'time':
      throw new Error(`Column ${column}: ${type.kind} reached the Delta schema unconverted`);
  }
}

/**
 * The table's fields for the written columns, in their order; a timestampOffset column is the
 * instant and `<name>_offset_minutes` (short), as in the Parquet files. Every field is nullable:
 * a source column that later allows NULL would otherwise change the table's schema, and a
 * nullable field over a file whose column is REQUIRED reads the same.
 */
export function deltaFields(written: Column[]): DeltaField[] {
  const fields = written.flatMap((column): DeltaField[] => column.type.kind === 'timestampOffset'
    ? [field(column.name, 'timestamp'), field(column.name + offsetColumnSuffix, 'short')]
    : [field(column.name, deltaType(column.type, column.name))]);
  // "All column names must be unique regardless of casing."
  const seen = new Map<string, string>();
  for (const { name } of fields) {
    const other = seen.get(name.toLowerCase());
    if (other !== undefined) throw new NonRetryableError(`Columns "${other}" and "${name}" differ only in case; a Delta table's column names must be unique regardless of case`);
    seen.set(name.toLowerCase(), name);
  }
  return fields;
}

function field(name: string, type: string): DeltaField {
  return { name, type, nullable: true, metadata: {} };
}

/** The names a Delta table without column mapping cannot hold, each with why (see spec/deltaNames.ts). */
export function refusedDeltaNames(columns: Column[]): Array<{ column: string; reason: string }> {
  return columns.flatMap((column) => {
    const reason = deltaNameProblem(column.name);
    return reason ? [{ column: column.name, reason }] : [];
  });
}

export function schemaString(fields: DeltaField[]): string {
  return JSON.stringify({ type: 'struct', fields: fields.map(({ name, type, nullable, metadata }) => ({ name, type, nullable, metadata })) });
}

export function parseSchemaString(text: string): DeltaField[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new NonRetryableError('the table\'s schemaString is not JSON');
  }
  const parsed = structSchema.safeParse(json);
  if (!parsed.success) throw new NonRetryableError('the table\'s schemaString is not a struct of fields');
  return parsed.data.fields.map(({ name, type, nullable, metadata }) => ({ name, type, nullable, metadata }));
}

/**
 * How the run's fields may change the table's: new fields are added (a `metaData` action in the
 * run's commit); a field missing from the run, or of another type, is refused (type widening
 * needs Delta's typeWidening feature, which Siphon does not write), naming every such column.
 */
export function schemaEvolution(table: DeltaField[], run: DeltaField[], where: string): { fields: DeltaField[]; added: string[] } {
  const runByName = new Map(run.map((entry) => [entry.name, entry]));
  const tableNames = new Set(table.map((entry) => entry.name));
  const missing = table.filter((entry) => !runByName.has(entry.name)).map((entry) => `"${entry.name}"`);
  const retyped = table.flatMap((entry) => {
    const mine = runByName.get(entry.name);
    return mine && JSON.stringify(mine.type) !== JSON.stringify(entry.type) ? [`"${entry.name}" (${typeText(entry.type)} in the table, ${typeText(mine.type)} now)`] : [];
  });
  const problems = [
    ...(missing.length ? [`column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of the table ${missing.length > 1 ? 'are' : 'is'} not among the columns read`] : []),
    ...(retyped.length ? [`column${retyped.length > 1 ? 's' : ''} ${retyped.join(', ')} changed type`] : []),
  ];
  if (problems.length) throw new NonRetryableError(`${where}: ${problems.join('; ')}; only added columns are taken into a Delta table's schema`);
  const added = run.filter((entry) => !tableNames.has(entry.name));
  return { fields: [...table, ...added], added: added.map((entry) => entry.name) };
}

function typeText(type: unknown): string {
  return typeof type === 'string' ? type : JSON.stringify(type);
}

/** The protocol a table of these fields needs ("Protocol Evolution", "Timestamp without timezone (TimestampNtz)"). */
export function requiredProtocol(fields: DeltaField[]): DeltaProtocol {
  return fields.some((entry) => entry.type === 'timestamp_ntz')
    ? { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: ['timestampNtz'] }
    : { minReaderVersion: 1, minWriterVersion: 2 };
}

export type DeltaProtocol = { minReaderVersion: number; minWriterVersion: number; readerFeatures?: string[] | undefined; writerFeatures?: string[] | undefined };

/**
 * The protocol after the run's commit: the table's own unless the run needs more. A table moving
 * to reader 3 / writer 7 lists the features its old protocol implied as well ("Table Features for
 * New and Existing Tables": writer 2 implies appendOnly and invariants), so none is dropped.
 */
export function protocolAfter(current: DeltaProtocol, needed: DeltaProtocol): DeltaProtocol | undefined {
  const neededFeatures = needed.readerFeatures ?? [];
  const currentReaderFeatures = current.readerFeatures ?? [];
  if (neededFeatures.every((feature) => currentReaderFeatures.includes(feature)) && current.minReaderVersion >= needed.minReaderVersion && current.minWriterVersion >= needed.minWriterVersion) return undefined;
  const implied = current.minWriterVersion >= 7 ? (current.writerFeatures ?? []) : ['appendOnly', 'invariants'].slice(0, current.minWriterVersion >= 2 ? 2 : 0);
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: [...new Set([...currentReaderFeatures, ...neededFeatures])],
    writerFeatures: [...new Set([...implied, ...neededFeatures])],
  };
}
