import { z } from 'zod';
import { outputTypeSchema, type Column, type OutputType } from '../spec/columns.js';
import { NonRetryableError } from '../errors/errorTypes.js';
import type { SchemaContract } from '../spec/schemaContract.js';

/** One column as a schema records it: what the source held and what was written. */
export const schemaColumnSchema = z.object({
  name: z.string(),
  sourceType: z.string(),
  type: outputTypeSchema,
  nullable: z.boolean(),
  /** Written as all NULL because the source no longer has it (schemaContract `removed: "nullFill"`). */
  nullFilled: z.literal(true).optional(),
});
export type SchemaColumn = z.infer<typeof schemaColumnSchema>;

/**
 * How the source's columns differ from the last successful run's, each change with the column
 * before (`old`) and now (`new`). A retype is a change of output type; a source type that changes
 * while the output type stays (varchar(10) -> varchar(20)) writes the same and is not drift.
 */
export const schemaDriftSchema = z.object({
  added: z.array(z.object({ column: z.string(), new: schemaColumnSchema })),
  removed: z.array(z.object({ column: z.string(), old: schemaColumnSchema })),
  retyped: z.array(z.object({ column: z.string(), old: schemaColumnSchema, new: schemaColumnSchema, widening: z.boolean() })),
  /** What the contract did: `evolved` (written as the source is now, less discarded columns) or `frozen` (the run failed). */
  outcome: z.enum(['evolved', 'frozen']),
  /** Added columns the run does not read (`discardColumn`). */
  discarded: z.array(z.string()),
  /** Removed columns the run writes as all NULL (`nullFill`); absent when none. */
  nullFilled: z.array(z.string()).optional(),
  /** Set when the lists were cut to fit one stored property (fitDrift); the counts are then the full ones. */
  truncated: z.object({ added: z.number().int(), removed: z.number().int(), retyped: z.number().int() }).optional(),
});
export type SchemaDrift = z.infer<typeof schemaDriftSchema>;

export function schemaColumnOf(column: Column): SchemaColumn {
  return { name: column.name, sourceType: column.sourceType, type: column.type, nullable: column.nullable, ...(column.nullFilled ? { nullFilled: true as const } : {}) };
}

/**
 * Compares the columns a run would write with the stored schema and applies the contract:
 * the columns the run reads (added columns it discards left out) and the drift, or none when
 * nothing changed. `frozen` drift is returned, not thrown, so the caller can record it before
 * failing the run with `frozenMessage`.
 */
export function applySchemaContract(previous: readonly SchemaColumn[], columns: readonly Column[], contract: SchemaContract): { columns: Column[]; drift?: SchemaDrift } {
  const before = new Map(previous.map((column) => [column.name, column]));
  const now = new Set(columns.map((column) => column.name));
  const added = columns.filter((column) => !before.has(column.name)).map((column) => ({ column: column.name, new: schemaColumnOf(column) }));
  const gone = previous.filter((column) => !now.has(column.name));
  // A column filled before and still gone is no news while the contract fills it: it stays filled.
  const stillFilled = contract.removed === 'nullFill' ? gone.filter((column) => column.nullFilled) : [];
  const removed = gone.filter((column) => !stillFilled.includes(column)).map((column) => ({ column: column.name, old: column }));
  const retyped = columns.flatMap((column) => {
    const old = before.get(column.name);
    if (!old || sameType(old.type, column.type)) return [];
    return [{ column: column.name, old, new: schemaColumnOf(column), widening: isSafeWidening(old.type, column.type) }];
  });
  if (!added.length && !removed.length && !retyped.length) return { columns: withNullFilled(previous, [...columns], stillFilled) };
  const frozen =
    (added.length > 0 && contract.added === 'freeze') ||
    (removed.length > 0 && contract.removed === 'freeze') ||
    (retyped.length > 0 && (contract.retyped === 'freeze' || (contract.retyped === undefined && retyped.some((change) => !change.widening))));
  const discarded = !frozen && contract.added === 'discardColumn' ? added.map((change) => change.column) : [];
  const kept = columns.filter((column) => !discarded.includes(column.name));
  const nullFilled = !frozen && contract.removed === 'nullFill' ? removed.map((change) => change.old) : [];
  return {
    columns: withNullFilled(previous, kept, [...stillFilled, ...nullFilled]),
    drift: { added, removed, retyped, outcome: frozen ? 'frozen' : 'evolved', discarded, ...(nullFilled.length ? { nullFilled: nullFilled.map((column) => column.name) } : {}) },
  };
}

/**
 * The columns read with the filled ones put back where the stored schema had them (after the
 * nearest column before them that is still written), each with its stored type, nullable and
 * marked not to be read: the files keep the order and types readers of earlier runs know.
 */
function withNullFilled(previous: readonly SchemaColumn[], columns: Column[], filled: readonly SchemaColumn[]): Column[] {
  if (!filled.length) return columns;
  const result = [...columns];
  for (const [position, column] of previous.entries()) {
    if (!filled.includes(column)) continue;
    const predecessor = previous.slice(0, position).reverse().find((earlier) => result.some((written) => written.name === earlier.name));
    const at = predecessor ? result.findIndex((written) => written.name === predecessor.name) + 1 : 0;
    result.splice(at, 0, { name: column.name, sourceType: column.sourceType, type: column.type, nullable: true, nullFilled: true });
  }
  return result;
}

/** Why a frozen drift fails the run, naming every column the contract refuses to change. */
export function frozenMessage(drift: SchemaDrift, contract: SchemaContract): string {
  const reasons: string[] = [];
  if (drift.added.length && contract.added === 'freeze') reasons.push(`columns added (schemaContract.added is freeze): ${drift.added.map((change) => `"${change.column}" ${change.new.sourceType}`).join(', ')}`);
  if (drift.removed.length && contract.removed === 'freeze') reasons.push(`columns removed (schemaContract.removed is freeze): ${drift.removed.map((change) => `"${change.column}"`).join(', ')}`);
  const refusedRetypes = contract.retyped === 'freeze' ? drift.retyped : contract.retyped === undefined ? drift.retyped.filter((change) => !change.widening) : [];
  if (refusedRetypes.length) {
    const why = contract.retyped === 'freeze' ? 'schemaContract.retyped is freeze' : 'not a safe widening; set schemaContract.retyped to "evolve" to accept it';
    reasons.push(`columns retyped (${why}): ${refusedRetypes.map((change) => `"${change.column}" ${change.old.sourceType} (${typeName(change.old.type)}) -> ${change.new.sourceType} (${typeName(change.new.type)})`).join(', ')}`);
  }
  return `the source's columns changed since the last successful run and the schema contract refuses it: ${reasons.join('; ')}`;
}

/**
 * A new type every old value fits in exactly, so readers of the old files lose nothing: wider
 * integers, float32 -> float64, a decimal with no fewer integer digits and no fewer decimals.
 * Nothing becomes a string silently: text is not a widening of a number or a date to a reader.
 */
export function isSafeWidening(from: OutputType, to: OutputType): boolean {
  const integers = ['int16', 'int32', 'int64'];
  if (integers.includes(from.kind) && integers.includes(to.kind)) return integers.indexOf(to.kind) >= integers.indexOf(from.kind);
  if (from.kind === 'float32' && to.kind === 'float64') return true;
  if (from.kind === 'decimal' && to.kind === 'decimal') return to.precision - to.scale >= from.precision - from.scale && to.scale >= from.scale;
  return false;
}

function sameType(a: OutputType, b: OutputType): boolean {
  return typeName(a) === typeName(b);
}

export function typeName(type: OutputType): string {
  if (type.kind === 'decimal') return `decimal(${type.precision},${type.scale})`;
  if (type.kind === 'timestamp') return type.utc ? 'timestamp(utc)' : 'timestamp';
  return type.kind;
}

/**
 * The drift cut to at most `maxChars` of JSON (a Table Storage property holds 32K characters):
 * each list halved until it fits, with the full counts in `truncated`. A table that gains a
 * thousand columns still fails or evolves as the contract says; only the record is shorter.
 */
export function fitDrift(drift: SchemaDrift, maxChars: number): SchemaDrift {
  if (JSON.stringify(drift).length <= maxChars) return drift;
  const truncated = { added: drift.added.length, removed: drift.removed.length, retyped: drift.retyped.length };
  let fitted: SchemaDrift = { ...drift, truncated };
  while (JSON.stringify(fitted).length > maxChars && (fitted.added.length || fitted.removed.length || fitted.retyped.length || fitted.discarded.length || fitted.nullFilled?.length)) {
    fitted = {
      ...fitted,
      added: fitted.added.slice(0, Math.floor(fitted.added.length / 2)),
      removed: fitted.removed.slice(0, Math.floor(fitted.removed.length / 2)),
      retyped: fitted.retyped.slice(0, Math.floor(fitted.retyped.length / 2)),
      discarded: fitted.discarded.slice(0, Math.floor(fitted.discarded.length / 2)),
      ...(fitted.nullFilled ? { nullFilled: fitted.nullFilled.slice(0, Math.floor(fitted.nullFilled.length / 2)) } : {}),
    };
  }
  return fitted;
}
