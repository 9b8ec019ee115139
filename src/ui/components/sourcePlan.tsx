import type { ChunkRange, OutputType } from '../../spec/columns.js';
import type { CursorWindow } from '../../spec/cursorWindow.js';
import { formatCount } from '../format.js';
import type { DriftView } from '../../spec/driftChanges.js';
import { DriftPanel } from './driftPanel.js';

export type PlanRange = ChunkRange & { index: number; lowerText?: string; upperText?: string };

/** The plan as POST /api/pipelines:validate and GET /api/pipelines/{id}/plan answer it (planView in src/api/planHandlers.ts). */
export type SourcePlan = {
  pipeline: string;
  target: string;
  valid: boolean;
  refusals: Array<{ path: string; column?: string; reason: string }>;
  /** A chunk expected to outlast its time budget; absent in answers of servers before it existed. */
  warnings?: string[];
  columns: Array<{ name: string; sourceType: string; nullable: boolean; outputType: OutputType; forms: { parquet: { physical: string; logical?: string }; csv: string; jsonl: string; delta?: string }; parquetEncoding?: { why: string } }>;
  chunks: null | {
    method: string;
    column: string | null;
    keyKind: string | null;
    rowsEstimate: number;
    estimatedRowsPerChunk: number;
    /** What the table is split by and why; absent in answers of servers before it existed. */
    splitKey?: null | { source: string; columns: string[]; index: string | null; reason: string; nextColumn: string | null };
    /** How the chunk count was found before the time budget; absent in answers of servers before it existed. */
    sizing?: null | { from: string; chunks: number; explain: string };
    ranges: PlanRange[];
  };
  window: null | (CursorWindow & { afterText: string | null; upToText: string });
  /** The drift the next run would see against the last successful run's schema; absent in answers of servers before it existed. */
  drift?: DriftView | null;
  /** A many-table pipeline (target 'Tables'): each table the patterns match, planned as a pipeline of one table (the first 50), or named only. */
  tables?: TablePlan[];
};

/** One table of a many-table plan; `entry` is the index of the `tables` entry that matched it. `columns` counts them. */
export type TablePlan =
  | { table: string; entry: number; valid: boolean; refusals?: Array<{ path: string; column?: string; reason: string }>; warnings?: string[]; chunks: SourcePlan['chunks']; window: SourcePlan['window']; columns: number; planned?: undefined }
  | { table: string; entry: number; planned: false };

export function outputTypeText(type: OutputType): string {
  switch (type.kind) {
    case 'decimal': return `decimal(${type.precision}, ${type.scale})`;
    case 'timestamp': return type.utc ? 'timestamp (UTC)' : 'timestamp (local)';
    default: return type.kind;
  }
}

const splitSourceText: Record<string, string> = {
  spec: 'named in the spec', primaryKey: 'primary key', clusteredIndex: 'clustered index', uniqueIndex: 'unique index', ctid: 'heap pages', partitions: 'partitions', none: 'none: one chunk',
};

function rangeText(range: PlanRange): string {
  if (range.kind === 'all') return 'everything (one chunk)';
  if (range.kind === 'nullKey') return 'rows whose key is NULL';
  if (range.kind === 'partition') return `partition ${range.number} of ${range.column}`;
  if (range.kind === 'pages') return range.to === undefined ? `heap pages from ${range.from} to the end` : `heap pages ${range.from} to ${range.to} (excl.)`;
  if (range.kind === 'tuple') return `(${range.lowerText ?? range.lower.join(', ')}) ≤ key ${range.upperInclusive ? '≤' : '<'} (${range.upperText ?? range.upper.join(', ')})`;
  return `${range.lowerText ?? range.lower} ≤ key ${range.upperInclusive ? '≤' : '<'} ${range.upperText ?? range.upper}`;
}

/**
 * What a run would read, as the source sees it now: refusals (also shown at their fields),
 * the columns with their source and output types, the chunk plan and the incremental window.
 */
export function SourcePlanView({ plan }: { plan: SourcePlan }) {
  return (
    <section class="panel plan" aria-labelledby="plan-title">
      <h2 id="plan-title">
        Plan for {plan.target}: {plan.valid ? <span class="badge status-succeeded">the source accepts it</span> : <span class="badge status-failed">the source refuses it</span>}
      </h2>
      {plan.refusals.length ? (
        <ul class="refusals">
          {plan.refusals.map((refusal) => <li><code>{refusal.path}</code>{refusal.column ? <> ({refusal.column})</> : null}: {refusal.reason}</li>)}
        </ul>
      ) : null}
      {plan.warnings?.length ? (
        <ul class="plan-warnings">
          {plan.warnings.map((warning) => <li>{warning}</li>)}
        </ul>
      ) : null}
      {plan.drift ? <DriftPanel drift={plan.drift} id="plan-drift" heading="Schema drift since the last successful run" planned /> : null}
      {plan.tables ? <TablesPlanView tables={plan.tables} /> : null}
      {plan.columns?.length ? (
        <>
          <h3>Columns</h3>
          <div class="table-wrap">
            <table class="plan-columns">
              <thead>
                <tr><th scope="col">Column</th><th scope="col">Source type</th><th scope="col">Output type</th><th scope="col">Null</th><th scope="col">Parquet</th><th scope="col">CSV</th><th scope="col">JSON Lines</th><th scope="col">Delta</th></tr>
              </thead>
              <tbody>
                {plan.columns.map((column) => (
                  <tr>
                    <th scope="row">{column.name}</th>
                    <td><code>{column.sourceType}</code></td>
                    <td>{outputTypeText(column.outputType)}</td>
                    <td>{column.nullable ? 'yes' : 'no'}</td>
                    <td title={column.parquetEncoding?.why}>{column.forms.parquet.physical}{column.forms.parquet.logical ? ` ${column.forms.parquet.logical}` : ''}{column.parquetEncoding ? ' (for its readers)' : ''}</td>
                    <td>{column.forms.csv}</td>
                    <td>{column.forms.jsonl}</td>
                    <td>{column.forms.delta ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {plan.chunks?.ranges ? (
        <>
          <h3>Chunks</h3>
          <p>
            {plan.chunks.ranges.length} chunk{plan.chunks.ranges.length === 1 ? '' : 's'} by {plan.chunks.method}
            {plan.chunks.column ? <> on <code>{plan.chunks.column}</code> ({plan.chunks.keyKind})</> : null}
            {plan.chunks.rowsEstimate ? <>, about {formatCount(plan.chunks.rowsEstimate)} rows ({formatCount(plan.chunks.estimatedRowsPerChunk)} a chunk)</> : null}
          </p>
          {plan.chunks.splitKey ? (
            <p class="plan-split-key">
              Split key ({splitSourceText[plan.chunks.splitKey.source] ?? plan.chunks.splitKey.source}){plan.chunks.splitKey.columns.length ? <>: <code>{plan.chunks.splitKey.columns.join(', ')}</code></> : null}. {plan.chunks.splitKey.reason}.
              {plan.chunks.sizing ? <> Chunk count: {plan.chunks.sizing.explain}.</> : null}
            </p>
          ) : null}
          <div class="table-wrap">
            <table class="plan-chunks">
              <thead><tr><th scope="col" class="num">Chunk</th><th scope="col">Range</th></tr></thead>
              <tbody>
                {plan.chunks.ranges.map((range) => <tr><td class="num">{range.index}</td><td>{rangeText(range)}</td></tr>)}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {plan.window ? (
        <>
          <h3>Incremental window</h3>
          <p>
            <code>{plan.window.column}</code> ({plan.window.kind}) {plan.window.afterText === null ? 'from the start' : <>after {plan.window.afterText}</>} up to {plan.window.upToText}
          </p>
        </>
      ) : null}
    </section>
  );
}

/**
 * A many-table plan: a line per table with what its run would read (its refusals are in the
 * plan's own list, each path prefixed by its table); the tables past the plan's cap are named only.
 */
function TablesPlanView({ tables }: { tables: TablePlan[] }) {
  return (
    <>
      <h3>Tables ({formatCount(tables.length)})</h3>
      <div class="table-wrap">
        <table class="plan-tables" id="plan-tables">
          <thead>
            <tr><th>Table</th><th>Entry</th><th>Plan</th><th class="num">Columns</th><th>Chunks</th><th>Window</th></tr>
          </thead>
          <tbody>
            {tables.map((table) => (
              <tr key={table.table} data-table={table.table}>
                <td><code>{table.table}</code></td>
                <td class="num">{table.entry}</td>
                {table.planned === false ? (
                  <td colSpan={4} class="muted">named only (not planned here)</td>
                ) : (
                  <>
                    <td>{table.valid ? <span class="badge status-succeeded">accepted</span> : <span class="badge status-failed">refused</span>}{table.warnings?.length ? <span class="muted small"> {table.warnings.length} warning{table.warnings.length === 1 ? '' : 's'}</span> : null}</td>
                    <td class="num">{formatCount(table.columns)}</td>
                    <td>{table.chunks?.ranges ? <>{table.chunks.ranges.length} by {table.chunks.method}{table.chunks.column ? <> on <code>{table.chunks.column}</code></> : null}</> : '–'}</td>
                    <td>{table.window ? <><code>{table.window.column}</code> {table.window.afterText === null ? 'from the start' : <>after {table.window.afterText}</>} up to {table.window.upToText}</> : '–'}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
