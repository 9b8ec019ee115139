import { driftChanges, type DriftView } from '../../spec/driftChanges.js';

const changeMark = { added: '+', removed: '−', retyped: '~' } as const;

/**
 * Schema drift as a column diff: each changed column a row, added in green, removed in red,
 * retyped with its old type struck through and the new one after an arrow, and what the contract
 * did (a run's drift) or would do (a plan's). The colour is never the only sign: each row starts
 * with +, − or ~ and says its change in words.
 */
export function DriftPanel({ drift, id, heading, planned = false }: { drift: DriftView; id: string; heading: string; planned?: boolean }) {
  const changes = driftChanges(drift);
  const frozen = drift.outcome === 'frozen';
  return (
    <section class="panel drift-panel" id={id} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>
        {heading}{' '}
        <span class={`badge ${frozen ? 'status-failed' : 'status-succeeded'}`} data-outcome={drift.outcome}>
          {frozen ? (planned ? 'the next run would fail' : 'frozen: the run failed before writing') : planned ? 'the next run would go ahead' : 'evolved'}
        </span>
      </h2>
      {drift.comparedWithRun ? <p class="muted small">Against the schema of run <code>{drift.comparedWithRun}</code>, the last that succeeded.</p> : null}
      <div class="table-wrap">
        <table class="drift-diff">
          <thead><tr><th scope="col"><span class="sr-only">Change</span></th><th scope="col">Column</th><th scope="col">Before</th><th scope="col">Now</th><th scope="col">{planned ? 'Contract would' : 'Outcome'}</th></tr></thead>
          <tbody>
            {changes.map((change) => (
              <tr class={`drift-${change.change}`} data-column={change.column} data-change={change.change}>
                <td class="drift-mark" aria-label={change.change}>{changeMark[change.change]}</td>
                <th scope="row"><code>{change.column}</code></th>
                <td>{change.old ? (change.change === 'added' ? null : <span class={change.change === 'retyped' ? 'drift-old' : ''}>{change.old}</span>) : <span class="muted">–</span>}</td>
                <td>{change.new ? <>{change.change === 'retyped' ? <span aria-hidden="true">→ </span> : null}{change.new}</> : <span class="muted">{change.outcome === 'null-filled' || change.outcome === 'nullFill' ? 'all NULL' : 'gone'}</span>}</td>
                <td class="drift-outcome">{change.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {drift.truncated ? <p class="muted small">The lists were cut to fit the run record: {drift.truncated.added} added, {drift.truncated.removed} removed, {drift.truncated.retyped} retyped in all.</p> : null}
      {drift.frozenReason ? <p class="error-text">{drift.frozenReason}</p> : null}
    </section>
  );
}
