import { describeForOutput, outputOf, type OutputDescription } from './describeForOutput.js';
import type { Services } from '../services.js';
import { NonRetryableError } from '../errors/errorTypes.js';
import { planChunks } from '../copy/planChunks.js';
import { planBalancedChunks } from '../copy/planBalancedChunks.js';
import { checkPartitionColumns } from '../copy/partitionFolders.js';
import type { ChunkRange, Column } from '../spec/columns.js';
import { applySchemaContract } from './schemaDrift.js';
import type { CursorWindow } from '../spec/cursorWindow.js';
import type { RunOptions } from '../spec/jobMessage.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { ChunkKey, DescribeOptions, KeyBounds, KeyDistribution, KeyKind, TableCatalog, ReadTarget, SourceConnector, TableDescription } from '../sources/sourceConnector.js';
import { readTargetLabel, readTargetOf, tableName } from '../sources/readTarget.js';
import { checkDeltaColumns, checkDeltaTable, checkMergeKeys } from './planDeltaTable.js';
import { mergesChanges, withoutChangeColumns } from './changeMerge.js';
import { planWindow } from './planWindow.js';
import { sizeChunks, type ChunkBudget } from '../copy/chunkBudget.js';
import { noRunHistory, type RunHistory } from './runHistory.js';
import { captureKeys } from '../capture/planCapture.js';
import { chooseTableSplit } from './chooseTableSplit.js';
import type { SplitKeyChoice } from '../copy/chooseSplitKey.js';
import { sizeChunkCount, type ChunkSizing } from '../copy/chunkSizing.js';
import { planPageChunks } from '../copy/planPageChunks.js';
import { heavyLeadValues, planCompositeChunks, type HeavyLeadValue } from '../copy/planCompositeChunks.js';

/**
 * What a run reads: its columns, its incremental window, and its chunks; for a Delta table, the
 * table's version it was planned against (-1: no table yet).
 */
export type ReadPlan = { description: OutputDescription; incremental: { window: CursorWindow | undefined; bounds: KeyBounds } | undefined; plan: RunPlan; deltaReadVersion?: number | undefined };

/**
 * Plans what a run of `spec` reads, from the source as it is now and the pipeline's watermark,
 * writing nothing: prepareRun records the result, and the plan and validate endpoints show it.
 * With `collectRefusals` unmappable or missing columns are listed in `description.refusals`
 * instead of failing, and the chunks are planned all the same.
 */
export async function planRead(services: Services, source: SourceConnector, spec: PipelineSpec, options: RunOptions, describeOptions?: DescribeOptions, history: RunHistory = noRunHistory): Promise<ReadPlan> {
  const target = readTargetOf(spec);
  const description = await describeForOutput(source, spec, describeOptions);
  // Partition columns and Delta keys name columns written: after the transforms.
  // A merge of change rows writes the table without the change columns (changeMerge.ts).
  const written = mergesChanges(spec) ? withoutChangeColumns(description.outputColumns) : description.outputColumns;
  checkPartitionColumns(written, spec.output.partitionBy ?? [], readTargetLabel(target));
  let deltaReadVersion: number | undefined;
  if (spec.output.format === 'delta') {
    checkDeltaColumns(spec, written, readTargetLabel(target));
    checkMergeKeys(spec, written, description.primaryKey, readTargetLabel(target));
    deltaReadVersion = await checkDeltaTable(services, spec, tableName(target), await withNullFilledColumns(services, spec, description.columns, written, readTargetLabel(target)), readTargetLabel(target));
  }
  const incremental = spec.incremental ? await planWindow(services, source, target, { ...spec, incremental: spec.incremental }, options, readTargetLabel(target)) : undefined;
  const keys = spec.changeCapture ? captureKeys(spec, description.columns, description.primaryKey, readTargetLabel(target)) : description.primaryKey;
  const plan = incremental && !incremental.window ? emptyPlan() : await planRun(source, target, spec, keys, incremental, history);
  return { description, incremental, plan, deltaReadVersion };
}

/**
 * The columns a Delta table is checked against: under schemaContract `removed: "nullFill"`, with
 * the removed columns the run goes on writing (as NULL), so the table's check does not refuse
 * them as missing; written through the transforms like any column read. The contract itself is applied, and recorded, by prepare afterwards.
 */
async function withNullFilledColumns(services: Services, spec: PipelineSpec, columnsRead: Column[], written: Column[], label: string): Promise<Column[]> {
  if (spec.schemaContract?.removed !== 'nullFill') return written;
  const stored = await services.schemas.current(spec.id);
  // The filled columns join the columns read, and the transforms make the written ones from them.
  if (!stored) return written;
  const filled = outputOf(applySchemaContract(stored.columns, columnsRead, spec.schemaContract).columns, spec, label).columns;
  return mergesChanges(spec) ? withoutChangeColumns(filled) : filled;
}

/** One reason a run of the spec could not copy as asked, at the spec field it concerns. */
export type PlanRefusal = { path: string; column?: string; reason: string };

/**
 * The same steps as planRead, for a plan shown before any run (the plan and validate
 * endpoints): every step that refuses is recorded with the field it concerns and the others
 * still run, so one answer lists every refusal. Parts whose step refused are absent.
 */
export async function inspectRead(services: Services, source: SourceConnector, spec: PipelineSpec, options: RunOptions, history: RunHistory = noRunHistory): Promise<{ description?: OutputDescription; incremental?: ReadPlan['incremental']; plan?: RunPlan; refusals: PlanRefusal[] }> {
  const target = readTargetOf(spec);
  const refusals: PlanRefusal[] = [];
  const step = async <T>(path: string, action: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await action();
    } catch (err) {
      if (!(err instanceof NonRetryableError)) throw err;
      refusals.push({ path, reason: err.message });
      return undefined;
    }
  };
  const description = await step(target.kind === 'table' ? 'table' : 'query', () => describeForOutput(source, spec, { collectRefusals: true }));
  if (!description) return { refusals };
  for (const refusal of description.refusals) refusals.push({ path: refusal.path ?? 'columns', column: refusal.column, reason: refusal.reason });
  const written = mergesChanges(spec) ? withoutChangeColumns(description.outputColumns) : description.outputColumns;
  await step('output.partitionBy', async () => checkPartitionColumns(written, spec.output.partitionBy ?? [], readTargetLabel(target)));
  if (spec.output.format === 'delta') {
    await step(spec.transforms ? 'transforms' : 'columns', async () => checkDeltaColumns(spec, written, readTargetLabel(target)));
    await step('output.keys', async () => checkMergeKeys(spec, written, description.primaryKey, readTargetLabel(target)));
    await step('output.tablePath', () => checkDeltaTable(services, spec, tableName(target), written, readTargetLabel(target)));
  }
  const incremental = spec.incremental ? await step('incremental.column', () => planWindow(services, source, target, { ...spec, incremental: spec.incremental! }, options, readTargetLabel(target))) : undefined;
  if (spec.incremental && !incremental) return { description, refusals };
  const keys = spec.changeCapture ? await step('changeCapture', async () => captureKeys(spec, description.columns, description.primaryKey, readTargetLabel(target))) : description.primaryKey;
  if (!keys) return { description, incremental, refusals };
  const plan = incremental && !incremental.window ? emptyPlan() : await step('chunking.column', () => planRun(source, target, spec, keys, incremental, history));
  return { description, incremental, plan, refusals };
}

/**
 * `budget`: how the chunk count was sized to the time a chunk may take (see copy/chunkBudget.ts);
 * absent for an empty window. `split`: the split key and where it came from, the chunk count
 * before the budget and how it was found, and the table's size from the catalog when it was read.
 */
export type RunPlan = { ranges: ChunkRange[]; keyKind?: KeyKind; orderBy: string[]; method: 'single' | 'equalWidth' | 'statistics' | 'sample'; rowsEstimate: number; budget?: ChunkBudget; split?: SplitPlan };

export type SplitPlan = { choice: SplitKeyChoice; key?: ChunkKey | undefined; sizing?: ChunkSizing | undefined; table?: { rows: number; bytes: number; pages?: number | undefined } | undefined };

function emptyPlan(): RunPlan {
  return { ranges: [], orderBy: [], method: 'single', rowsEstimate: 0 };
}

/**
 * Rows are ordered by the split key and then the primary key, so a chunk read twice yields its
 * rows in the same order and its files the same bytes. Without chunking the whole table (or the
 * query, in its own order) is one streamed chunk. When an incremental run splits on its own
 * cursor, only the window's part of the key range is cut into chunks. Without `chunking.column`
 * the key comes from the catalog (chooseTableSplit), and a composite key whose first column is
 * skewed is cut by both columns (planCompositeChunks).
 */
async function planRun(source: SourceConnector, target: ReadTarget, spec: PipelineSpec, primaryKey: string[], incremental: { window: CursorWindow | undefined; bounds: KeyBounds } | undefined, history: RunHistory): Promise<RunPlan> {
  const { chunking } = spec;
  if (!chunking) {
    // No key to ask the source about: what the last successful run read is the estimate.
    const budget = sizeChunks({ specChunks: undefined, rowsEstimate: history.lastRows ?? 0, throughput: history.throughput });
    return { ranges: [{ kind: 'all' }], orderBy: primaryKey, method: 'single', rowsEstimate: 0, budget };
  }
  const window = incremental?.window;
  // A hashDiff run splits on its first key (captureKeys), never pages, partitions or a composite
  // cut: each chunk's change state is a range of that key.
  const chosen = await chooseTableSplit(source, target, spec.source.engine, spec.changeCapture ? { ...chunking, column: primaryKey[0] } : chunking);
  const { catalog } = chosen;
  const choice = spec.changeCapture && chunking.column === undefined
    ? { ...chosen.choice, source: spec.changeCapture.keys ? 'spec' as const : 'primaryKey' as const, reason: `the first of the change-capture keys (${spec.changeCapture.keys ? 'changeCapture.keys' : 'the primary key'}): hashDiff keeps its state by ranges of it` }
    : chosen.choice;
  const table = catalog && { rows: catalog.rows, bytes: catalog.bytes, pages: catalog.pages };
  const [lead, second] = choice.columns;
  if (lead === undefined) {
    if (!catalog) throw new Error('a table without a split key was planned from no catalog');
    // An incremental run reads its window's share: on a first run everything, later what the last run read.
    const rows = !window || window.after === undefined ? catalog.rows : (history.lastRows ?? catalog.rows);
    return planWithoutKey(choice, catalog, chunking, rows, primaryKey, history);
  }
  const onCursor = window !== undefined && window.column === lead;
  const tableBounds = onCursor ? incremental!.bounds : await source.keyBounds(target, lead);
  // Rows outside the window are never read, and a NULL cursor is never inside it.
  const bounds: KeyBounds = onCursor ? windowBounds(tableBounds, window) : tableBounds;
  const rows = rowsToRead(tableBounds, bounds, window, onCursor, history);
  const sizing = sizeChunkCount(chunking, catalog ? share(catalog.bytes, rows, catalog.rows || tableBounds.rowsEstimate) : undefined);
  const budget = sizeChunks({ specChunks: sizing.chunks, rowsEstimate: rows, throughput: history.throughput });
  const count = budget.chunks;
  const leadKey: ChunkKey = { column: lead, kind: bounds.kind };
  const orderBy = [lead, ...primaryKey.filter((name) => name !== lead)];
  const split = (key: ChunkKey): SplitPlan => ({ choice, key, sizing, table });
  if (chunking.strategy === 'equalWidth' || bounds.min === undefined || bounds.max === undefined) {
    return { ranges: withCaptureChunk(spec, planChunks(bounds, count)), keyKind: bounds.kind, orderBy, method: 'equalWidth', rowsEstimate: bounds.rowsEstimate, budget, split: split(leadKey) };
  }
  const distribution = await source.keyDistribution(target, lead, bounds.kind, samplePointsFor(count));
  // A first column with too few values for the chunks (a tenant id): cut inside its heavy values by the second.
  const heavy = second !== undefined && !onCursor ? heavyLeadValues(distribution, count) : [];
  if (second !== undefined && heavy.length > 0) {
    const { ranges, secondKind } = await planSkewedComposite(source, target, { column: lead, kind: bounds.kind, min: bounds.min, max: bounds.max }, second, distribution, count, heavy);
    const compositeOrder = [lead, second, ...primaryKey.filter((name) => name !== lead && name !== second)];
    return { ranges, keyKind: bounds.kind, orderBy: compositeOrder, method: distribution.method, rowsEstimate: bounds.rowsEstimate, budget, split: split({ ...leadKey, next: { column: second, kind: secondKind } }) };
  }
  return { ranges: planBalancedChunks(bounds, distribution, count), keyKind: bounds.kind, orderBy, method: distribution.method, rowsEstimate: bounds.rowsEstimate, budget, split: split(leadKey) };
}

/**
 * A table with no usable key: PostgreSQL heap pages (ctid ranges, as many as its size asks for),
 * a partitioned SQL Server table's partitions (the count is the table's: the budget can only
 * warn, about the largest), or one chunk, warned about when it would outlast its time budget.
 */
function planWithoutKey(choice: SplitKeyChoice, catalog: TableCatalog, chunking: NonNullable<PipelineSpec['chunking']>, rows: number, primaryKey: string[], history: RunHistory): RunPlan {
  const table = { rows: catalog.rows, bytes: catalog.bytes, pages: catalog.pages };
  const plan = { orderBy: primaryKey, rowsEstimate: catalog.rows };
  const { partitioning } = catalog;
  if (choice.source === 'partitions' && partitioning) {
    const ranges = Array.from({ length: partitioning.count }, (_, i): ChunkRange => ({ kind: 'partition', function: partitioning.function, column: partitioning.column, number: i + 1 }));
    const largest = sizeChunks({ specChunks: undefined, rowsEstimate: partitioning.largestRows, throughput: history.throughput, oneChunkAdvice: `the largest of ${partitioning.count} partitions; a table without a usable split key is split by its partitions` });
    return { ...plan, ranges, method: 'equalWidth', budget: { ...largest, chunks: ranges.length, rowsEstimate: rows }, split: { choice, table } };
  }
  if (choice.source === 'ctid') {
    const sizing = sizeChunkCount(chunking, share(catalog.bytes, rows, catalog.rows));
    const budget = sizeChunks({ specChunks: sizing.chunks, rowsEstimate: rows, throughput: history.throughput });
    return { ...plan, ranges: planPageChunks(catalog.pages ?? 0, budget.chunks), method: 'equalWidth', budget, split: { choice, sizing, table } };
  }
  const budget = sizeChunks({ specChunks: undefined, rowsEstimate: rows, throughput: history.throughput, oneChunkAdvice: `no split key: ${choice.reason}` });
  return { ...plan, ranges: [{ kind: 'all' }], method: 'single', budget, split: { choice, table } };
}

/**
 * The chunks of a composite key whose first column has heavy values (heavyLeadValues): the
 * second column's bounds under each heavy value (an index seek each), then planCompositeChunks.
 */
async function planSkewedComposite(source: SourceConnector, target: ReadTarget, lead: { column: string; kind: KeyKind; min: string; max: string }, second: string, distribution: KeyDistribution, count: number, heavy: HeavyLeadValue[]): Promise<{ ranges: ChunkRange[]; secondKind: KeyKind }> {
  const withSecond = [];
  let secondKind: KeyKind = 'integer';
  for (const value of heavy) {
    const within = await source.keyBounds(target, second, { column: lead.column, kind: lead.kind, equals: value.key });
    secondKind = within.kind;
    withSecond.push({ ...value, second: within.min === undefined || within.max === undefined ? undefined : { min: within.min, max: within.max } });
  }
  return { ranges: planCompositeChunks({ min: lead.min, max: lead.max }, distribution, count, withSecond), secondKind };
}

/** The bytes of `part` rows out of `whole`: all of them when the rows are not known. */
function share(bytes: number, part: number, whole: number): number {
  if (!(whole > 0) || part >= whole) return bytes;
  return Math.ceil(bytes * (Math.max(0, part) / whole));
}

/**
 * The rows a run is expected to read, for sizing its chunks: the table's estimate, narrowed to
 * the window's share of the key range when an incremental run splits on its cursor; when it splits
 * on another column, what the last successful run read (the whole table is read only by the first
 * run, whose window has no lower end).
 */
export function rowsToRead(table: KeyBounds, read: KeyBounds, window: CursorWindow | undefined, onCursor: boolean, history: Pick<RunHistory, 'lastRows'>): number {
  if (!window) return table.rowsEstimate;
  if (!onCursor) return window.after === undefined ? table.rowsEstimate : (history.lastRows ?? table.rowsEstimate);
  if (table.min === undefined || table.max === undefined || read.min === undefined || read.max === undefined) return 0;
  const tableSpan = BigInt(table.max) - BigInt(table.min) + 1n;
  const readSpan = BigInt(read.max) - BigInt(read.min) + 1n;
  if (tableSpan <= 0n || readSpan <= 0n) return 0;
  const share = readSpan >= tableSpan ? 1 : Number((readSpan * 1_000_000n) / tableSpan) / 1_000_000;
  return Math.ceil(table.rowsEstimate * share);
}

/**
 * An empty table still gets one chunk in a hashDiff run: the old state's every key is then a
 * delete, and some chunk must say so.
 */
function withCaptureChunk(spec: PipelineSpec, ranges: ChunkRange[]): ChunkRange[] {
  return spec.changeCapture && !ranges.length ? [{ kind: 'all' }] : ranges;
}

function windowBounds(table: KeyBounds, window: CursorWindow): KeyBounds {
  const low = window.after === undefined ? (table.min === undefined ? undefined : BigInt(table.min)) : BigInt(window.after) + 1n;
  const high = BigInt(window.upTo);
  if (low === undefined || low > high) return { ...table, min: undefined, max: undefined, nullable: false };
  return { ...table, min: String(low), max: String(high), nullable: false };
}

/** Enough sampled keys that each chunk's boundary rests on dozens of them, within a bounded query. */
function samplePointsFor(chunks: number): number {
  return Math.min(200_000, Math.max(10_000, chunks * 50));
}
