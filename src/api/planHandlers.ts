import { openSourceSession, SourceBusyError } from '../sources/sourceSessions.js';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices, type Services } from '../services.js';
import { errorMessage } from '../errors/errorTypes.js';
import { scrubSecrets } from '../errors/scrubSecrets.js';
import { readConnectionSetting } from '../settings.js';
import { cursorText } from '../copy/cursorValues.js';
import { outputForms } from '../formats/outputForms.js';
import { parquetTypeFor } from '../formats/readerProfiles.js';
import { inspectRead, type PlanRefusal } from '../orchestration/planRead.js';
import { readRunHistory } from '../orchestration/runHistory.js';
import { previewDrift } from '../orchestration/previewDrift.js';
import { readTargetLabel, readTargetOf } from '../sources/readTarget.js';
import { pipelineIdSchema, type PipelineSpec } from '../spec/pipelineSpec.js';
import { pipelineSpecInputSchema } from '../spec/pipelineSpecInput.js';
import type { ChunkRange } from '../spec/columns.js';
import type { KeyKind } from '../sources/sourceConnector.js';
import { json, parseJsonBody, parseParam, problem } from './httpResponses.js';
import { dependencyProblem } from './pipelineHandlers.js';
import { parseQuery } from './queryParameters.js';
import { resolveTables } from '../tables/resolveTables.js';
import { tableSpecOf } from '../tables/tableSpec.js';
import { mapWithConcurrency } from '../store/mapWithConcurrency.js';

/**
 * What a run of the spec would read, worked out from the source as it is now without copying
 * anything: columns with their source type, output type and form in each format; every refusal
 * at once, each at the spec field it concerns; the chunk plan with its bounds as typed text; and
 * the incremental window from the stored watermark. `valid` is false when anything refused.
 * `warnings`: what would still go ahead but should change (a chunk expected to outlast its time
 * budget, or a schema contract that would freeze); they do not make the spec invalid. `drift`:
 * how the source's columns differ from the last successful run's schema, with what the
 * contract would do to each change (orchestration/previewDrift.ts), or null.
 */
export async function planView(services: Services, spec: PipelineSpec) {
  if (spec.tables) return planTablesView(services, spec);
  return planTableView(services, spec);
}

/** The tables a run of a many-table pipeline would copy: the first maxPlannedTables planned each as a pipeline of one table, the rest named. */
const maxPlannedTables = 50;

async function planTablesView(services: Services, spec: PipelineSpec) {
  const refused = (refusals: PlanRefusal[]) => ({ pipeline: spec.id, target: 'Tables', valid: false, refusals, warnings: [] as string[], tables: [] });
  try {
    readConnectionSetting(spec.source.connectionSetting);
  } catch (err) {
    return refused([{ path: 'source.connectionSetting', reason: errorMessage(err) }]);
  }
  let catalog;
  try {
    const source = await openSourceSession(services, spec.source, { purpose: 'plan', waitSeconds: Math.min(services.settings.SIPHON_SESSION_WAIT_SECONDS, httpSlotWaitSeconds) });
    try {
      catalog = await source.listTables();
    } finally {
      await source.close().catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof SourceBusyError) throw err;
    return refused([{ path: 'source', reason: scrubSecrets(`cannot list the source's tables: ${errorMessage(err)}`) }]);
  }
  const resolved = resolveTables(catalog, spec.tables!, spec.exclude);
  if (resolved.length === 0) return refused([{ path: 'tables', reason: `matched no table of the source's ${catalog.tables.length}` }]);
  // One table at a time: each plan holds a source session, and a plan must not crowd the source's runs.
  const planned = await mapWithConcurrency(resolved, 1, async (table) => ({ table, plan: resolved.indexOf(table) < maxPlannedTables ? await planTableView(services, tableSpecOf(spec, table)) : undefined }));
  const tables = planned.map(({ table, plan }) => ({ table: `${table.schema}.${table.name}`, entry: table.entry, ...(plan ? { valid: plan.valid, refusals: plan.refusals, warnings: plan.warnings, chunks: plan.chunks, window: plan.window, columns: plan.columns.length } : { planned: false }) }));
  const refusals = tables.flatMap((table) => ('refusals' in table ? (table.refusals ?? []).map((refusal) => ({ ...refusal, path: `tables[${table.table}].${refusal.path}` })) : []));
  return {
    pipeline: spec.id,
    target: 'Tables',
    valid: refusals.length === 0,
    refusals,
    warnings: [
      ...tables.flatMap((table) => ('warnings' in table ? (table.warnings ?? []).map((warning) => `${table.table}: ${warning}`) : [])),
      ...(resolved.length > maxPlannedTables ? [`${resolved.length} tables match; the first ${maxPlannedTables} are planned here, the others are named only`] : []),
    ],
    tables,
  };
}

async function planTableView(services: Services, spec: PipelineSpec) {
  const target = readTargetLabel(readTargetOf(spec));
  const refused = (refusals: PlanRefusal[]) => ({ pipeline: spec.id, target, valid: false, refusals, warnings: [] as string[], columns: [], chunks: null, window: null, drift: null });
  try {
    readConnectionSetting(spec.source.connectionSetting);
  } catch (err) {
    return refused([{ path: 'source.connectionSetting', reason: errorMessage(err) }]);
  }
  let source;
  try {
    source = await openSourceSession(services, spec.source, { purpose: 'plan', waitSeconds: Math.min(services.settings.SIPHON_SESSION_WAIT_SECONDS, httpSlotWaitSeconds) });
  } catch (err) {
    // All of the source's sessions in use is no refusal of the spec: the handler answers 503.
    if (err instanceof SourceBusyError) throw err;
    return refused([{ path: 'source', reason: scrubSecrets(`cannot connect: ${errorMessage(err)}`) }]);
  }
  try {
    const history = await readRunHistory(services, spec.id);
    const { description, incremental, plan, refusals } = await inspectRead(services, source, spec, {}, history);
    const ranges = plan?.ranges ?? [];
    const keyed = ranges.filter((range) => range.kind !== 'nullKey').length;
    const split = plan?.split;
    // Against the stored schema of the last successful run, recording nothing; a frozen drift is
    // a warning, not a refusal: the spec is sound, the source changed under it.
    const drift = description ? await previewDrift(services, spec, description.columns) : undefined;
    return {
      pipeline: spec.id,
      target,
      valid: refusals.length === 0,
      refusals: refusals.map((refusal) => ({ ...refusal, reason: scrubSecrets(refusal.reason) })),
      warnings: [...(plan?.budget?.warnings ?? []), ...(drift?.frozenReason ? [`the next run would fail: ${drift.frozenReason}`] : [])],
      drift: drift ?? null,
      readers: spec.output.readers,
      // The columns written: after columnTypes and the transforms.
      columns: (description?.outputColumns ?? []).map((column) => {
        // The Parquet form is the one written for the spec's readers; every choice keeps the values.
        const parquet = parquetTypeFor(column.type, spec.output.readers);
        return {
          name: column.name, sourceType: column.sourceType, nullable: column.nullable, outputType: column.type,
          forms: { ...outputForms(column.type), parquet: outputForms(parquet.type).parquet },
          ...(parquet.why ? { parquetEncoding: { writtenAs: parquet.type, lossless: true, why: parquet.why } } : {}),
        };
      }),
      chunks: plan && {
        method: plan.method,
        column: split?.key?.column ?? spec.chunking?.column ?? null,
        keyKind: plan.keyKind ?? null,
        // What the table is split by and why: the spec's column, the catalog's key, ctid pages, or nothing (one chunk).
        splitKey: split
          ? { source: split.choice.source, columns: split.choice.columns, index: split.choice.index ?? null, reason: split.choice.reason, nextColumn: split.key?.next?.column ?? null }
          : null,
        // How many chunks were asked for before the time budget (timeBudget.plannedChunks is the count planned).
        sizing: split?.sizing
          ? { from: split.sizing.from, chunks: split.sizing.chunks, explain: split.sizing.explain, ...(split.sizing.from === 'size' ? { bytesToRead: split.sizing.bytes, targetChunkMB: split.sizing.targetChunkMB } : {}) }
          : null,
        table: split?.table ? { rows: split.table.rows, bytes: split.table.bytes, pages: split.table.pages ?? null } : null,
        rowsEstimate: plan.rowsEstimate,
        estimatedRowsPerChunk: keyed ? Math.ceil(plan.rowsEstimate / keyed) : 0,
        timeBudget: plan.budget
          ? {
              budgetMinutes: plan.budget.budgetSeconds / 60,
              rowsEstimate: plan.budget.rowsEstimate,
              rowsPerSecond: Math.round(plan.budget.rowsPerSecond),
              throughputFrom: plan.budget.throughputFrom,
              throughputRunId: plan.budget.throughputRunId ?? null,
              expectedChunkMinutes: Math.round((plan.budget.expectedChunkSeconds / 60) * 10) / 10,
              // The count asked for before the budget: the spec's, 8 for a named column, or from the table's size.
              specChunks: split?.sizing?.chunks ?? spec.chunking?.chunks ?? null,
              plannedChunks: plan.budget.chunks,
            }
          : null,
        ranges: ranges.map((range, index) => ({ index, ...typedRange(range, plan.keyKind, split?.key?.next?.kind) })),
      },
      window: incremental?.window
        ? { ...incremental.window, afterText: incremental.window.after === undefined ? null : cursorText(incremental.window.kind, incremental.window.after), upToText: cursorText(incremental.window.kind, incremental.window.upTo) }
        : null,
    };
  } finally {
    await source.close().catch(() => undefined);
  }
}

/** A chunk's range with its bounds as the key's own text (a timestamp as ISO text, not microseconds). */
function typedRange(range: ChunkRange, kind: KeyKind | undefined, nextKind: KeyKind | undefined) {
  if (range.kind === 'tuple' && kind && nextKind) {
    const text = (bound: string[]) => bound.map((digits, index) => cursorText(index === 0 ? kind : nextKind, digits)).join(', ');
    return { ...range, lowerText: text(range.lower), upperText: text(range.upper) };
  }
  if (range.kind !== 'range' || !kind) return range;
  return { ...range, lowerText: cursorText(kind, range.lower), upperText: cursorText(kind, range.upper) };
}

/** GET /api/pipelines/{id}/plan: what the pipeline's next run would read, copying nothing. */
export async function planPipeline(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  // It takes no parameters: a typo is a 400, not a plan that quietly ignores it.
  const query = parseQuery(request, {});
  if (!query.ok) return query.response;
  const services = await getServices();
  const stored = await services.pipelines.get(id.value);
  if (!stored) return problem(404, `Pipeline ${id.value} does not exist`);
  return planAnswer(() => planView(services, stored.spec));
}

/**
 * POST /api/pipelines:validate (and /api/pipelines/validate): the spec checked as a create
 * would (400 naming the field), then against its source: 200 with the plan, `valid` saying
 * whether the source refused anything. Stores nothing.
 */
export async function validatePipeline(request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(request, {});
  if (!query.ok) return query.response;
  const body = await parseJsonBody(request, pipelineSpecInputSchema);
  if (!body.ok) return body.response;
  const services = await getServices();
  const invalid = await dependencyProblem(services, body.value);
  if (invalid) return invalid;
  return planAnswer(() => planView(services, body.value));
}

/**
 * How long a plan or validate request waits for a session on its source before it answers 503:
 * short, as an HTTP caller (and any proxy before it) would not wait longer.
 */
const httpSlotWaitSeconds = 10;

/** 200 with the plan, or 503 with Retry-After when the source has no session free (source.maxSessions) within the wait. */
async function planAnswer(plan: () => ReturnType<typeof planView>): Promise<HttpResponseInit> {
  try {
    return json(200, await plan());
  } catch (err) {
    if (!(err instanceof SourceBusyError)) throw err;
    return problem(503, 'The source is busy', err.message, undefined, { 'retry-after': String(err.retryAfterSeconds) });
  }
}
