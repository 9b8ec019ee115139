import { useState } from 'preact/hooks';
import { ApiError, apiRequest, segment } from '../api.js';
import { formatCount } from '../format.js';
import type { PlanBody } from './apiShapes.js';
import { asApiError } from './asApiError.js';
import { ProblemNotice } from './problemNotice.js';

/**
 * What the next run would read, worked out from the source on request (GET .../plan connects to
 * it, so it is not polled): refusals, the columns with their source and output types, the chunk
 * ranges and an incremental window.
 */
export function PlanPanel({ pipelineId }: { pipelineId: string }) {
  const [plan, setPlan] = useState<PlanBody | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  const load = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setPlan((await apiRequest<PlanBody>(`pipelines/${segment(pipelineId)}/plan`)).body);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="panel">
      <div class="toolbar">
        <button type="button" onClick={load} disabled={busy}>{busy ? 'Asking the source…' : plan ? 'Plan again' : 'Load the plan'}</button>
        <span class="muted small">Connects to the source and plans a run as prepare would, copying nothing.</span>
      </div>
      <ProblemNotice error={error} />
      {plan ? <PlanDetails plan={plan} /> : null}
    </div>
  );
}

function PlanDetails({ plan }: { plan: PlanBody }) {
  return (
    <div class="plan">
      <p>
        {plan.target}:{' '}
        {plan.valid ? <span class="badge status-succeeded">valid</span> : <span class="badge status-failed">refused</span>}
      </p>
      {plan.refusals.length ? (
        <div class="notice error" role="alert">
          <strong>The source refuses {plan.refusals.length === 1 ? 'one thing' : `${plan.refusals.length} things`}</strong>
          <ul>{plan.refusals.map((refusal) => <li><code>{refusal.path}</code>{refusal.column ? <> (column <code>{refusal.column}</code>)</> : null}: {refusal.reason}</li>)}</ul>
        </div>
      ) : null}
      {plan.window ? (
        <p>Incremental window on <code>{plan.window.column}</code> ({plan.window.mode}): after <code>{plan.window.afterText ?? 'the beginning'}</code> up to <code>{plan.window.upToText}</code>.</p>
      ) : null}
      {plan.columns.length ? (
        <>
          <h3>Columns ({plan.columns.length})</h3>
          <div class="table-wrap">
            <table class="plan-columns">
              <thead><tr><th>Column</th><th>Source type</th><th>Output type</th><th>Parquet</th><th>Nullable</th></tr></thead>
              <tbody>
                {plan.columns.map((column) => (
                  <tr>
                    <td><code>{column.name}</code></td>
                    <td><code>{column.sourceType}</code></td>
                    <td>{outputTypeText(column.outputType)}</td>
                    <td class="small">{column.forms.parquet.physical}{column.forms.parquet.logical ? ` (${column.forms.parquet.logical})` : ''}</td>
                    <td>{column.nullable ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {plan.chunks ? (
        <>
          <h3>Chunks ({plan.chunks.ranges.length})</h3>
          <p class="muted small">
            {plan.chunks.method}{plan.chunks.column ? <> on <code>{plan.chunks.column}</code> ({plan.chunks.keyKind})</> : null}; about {formatCount(plan.chunks.rowsEstimate)} rows, {formatCount(plan.chunks.estimatedRowsPerChunk)} a chunk.
          </p>
          <div class="table-wrap">
            <table class="plan-chunks">
              <thead><tr><th class="num">Chunk</th><th>From (inclusive)</th><th>To</th></tr></thead>
              <tbody>
                {plan.chunks.ranges.map((range) => (
                  <tr>
                    <td class="num">{range.index}</td>
                    {range.kind === 'range' ? (
                      <>
                        <td><code>{range.lowerText ?? range.lower}</code></td>
                        <td><code>{range.upperText ?? range.upper}</code> <span class="muted small">{range.upperInclusive ? 'inclusive' : 'exclusive'}</span></td>
                      </>
                    ) : <td colSpan={2} class="muted">{range.kind === 'nullKey' ? 'rows whose key is NULL' : 'every row'}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}

function outputTypeText(type: PlanBody['columns'][number]['outputType']): string {
  if (type.kind === 'decimal') return `decimal(${type.precision}, ${type.scale})`;
  if (type.kind === 'timestamp') return type.utc ? 'timestamp (UTC)' : 'timestamp (local)';
  return type.kind;
}
