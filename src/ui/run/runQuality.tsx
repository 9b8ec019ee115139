import type { QualityCheckResult } from '../../spec/qualitySpec.js';
import type { RunDetail } from './runTypes.js';

const outcomeSign = { pass: '✓', warn: '!', fail: '✗' } as const;

/**
 * The run's quality checks (the record's `quality`): a strip with one tile per check, coloured
 * and signed by its outcome, so a glance tells pass from warn from fail; then each check with what
 * was measured against its bound. Colour is never the only sign: each tile has its mark and name.
 */
export function RunQuality({ run }: { run: RunDetail }) {
  const checks = run.quality?.checks;
  if (!checks?.length) return null;
  const count = (outcome: QualityCheckResult['outcome']) => checks.filter((check) => check.outcome === outcome).length;
  return (
    <section class="run-quality" aria-labelledby="run-quality-heading">
      <h2 id="run-quality-heading">Quality checks</h2>
      <p class="muted">{count('pass')} passed, {count('warn')} warned, {count('fail')} failed</p>
      <ol class="quality-strip" aria-hidden="true">
        {checks.map((check) => (
          <li key={check.name} class={`quality-tile quality-${check.outcome}`} title={`${check.name}: ${check.outcome}`}>{outcomeSign[check.outcome]}</li>
        ))}
      </ol>
      <table class="quality-table">
        <thead><tr><th scope="col">Check</th><th scope="col">Outcome</th><th scope="col">Measured</th><th scope="col">Bound</th></tr></thead>
        <tbody>
          {checks.map((check) => (
            <tr key={check.name} class={`quality-${check.outcome}`}>
              <th scope="row" title={check.message}>{check.name} <span class="muted">{check.kind}, {check.severity}</span></th>
              <td><span class={`badge quality-badge quality-${check.outcome}`}>{outcomeSign[check.outcome]} {check.outcome}</span></td>
              <td class="quality-measured">{check.measured === null ? '–' : check.measured.toLocaleString('en-US', { maximumFractionDigits: 6 })}</td>
              <td>{check.bound}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
