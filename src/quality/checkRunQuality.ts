import { capMessage } from '../errors/capMessage.js';
import type { Services } from '../services.js';
import type { Column } from '../spec/columns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { QualityCheckResult, RunQuality } from '../spec/qualitySpec.js';
import type { RunRecord } from '../store/runStore.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { judgeCheck } from './judgeCheck.js';
import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';
import { measureQuality, type RunFacts } from './measureQuality.js';

/**
 * Finalize's quality step, after the copy and before the manifest: measures and judges the
 * pipeline's checks, stores the results on the run record (`quality`) and on its timeline (a
 * `quality` event), and answers why the run fails when a `fail` check did not pass (undefined
 * otherwise). Safe to repeat: results already stored for this attempt (a retry through the API
 * clears them) are used as they are, not measured again, so a finalize that runs twice cannot
 * reach a second verdict on data that moved meanwhile; the event is written once per attempt.
 */
export async function checkRunQuality(services: Services, run: RunRecord & { spec: PipelineSpec; columns: Column[] }, facts: Omit<RunFacts, 'now'>, events: RunEventLog = discardRunEvents): Promise<string | undefined> {
  if (!run.spec.quality) return undefined;
  let quality = run.quality;
  if (!quality) {
    const measurements = await measureQuality(services, run, { ...facts, now: services.now() });
    const measured: RunQuality = { checks: run.spec.quality.checks.map((check, index) => judgeCheck(check, measurements[index]!)) };
    const stored = await services.runs.update(run.pipelineId, run.runId, (current) => (current.quality ? undefined : { ...current, quality: measured }));
    quality = stored.quality ?? measured;
    // One telemetry event per check, when it is measured (a repeated finalize reuses the results and says nothing again).
    quality.checks.forEach((result, index) => {
      const check = run.spec.quality!.checks[index] as { column?: string; columns?: string[] } | undefined;
      const column = check?.column ?? check?.columns?.join(',');
      events(RunEvent.qualityChecked, {
        pipelineId: run.pipelineId, runId: run.runId, check: result.name, severity: result.severity, outcome: result.outcome,
        ...(column === undefined ? {} : { column }), ...(result.measured === null ? {} : { measured: result.measured }),
        ...(result.lowerBound === undefined ? {} : { lowerBound: result.lowerBound }), ...(result.upperBound === undefined ? {} : { upperBound: result.upperBound }),
      });
    });
  }
  const count = (outcome: QualityCheckResult['outcome']) => quality.checks.filter((check) => check.outcome === outcome).length;
  const notPassed = quality.checks.filter((check) => check.outcome !== 'pass');
  await appendRunEvent(services, run.runId, {
    type: RunEventType.quality,
    key: `${run.attempt}:quality`,
    at: services.now(),
    fields: {
      runAttempt: run.attempt,
      passed: count('pass'),
      warned: count('warn'),
      failed: count('fail'),
      message: capMessage(notPassed.length ? notPassed.map(resultText).join('; ') : `all ${quality.checks.length} checks passed`, 4_000),
      checks: checksJson(quality.checks),
    },
  });
  const failed = quality.checks.filter((check) => check.outcome === 'fail');
  if (!failed.length) return undefined;
  return `quality check${failed.length === 1 ? '' : 's'} failed: ${failed.map(resultText).join('; ')}; no manifest was written`;
}

/** The results as JSON within one event property; without their messages when they would not fit (the record keeps them). */
function checksJson(checks: QualityCheckResult[]): string {
  const whole = JSON.stringify(checks);
  return whole.length <= 24_000 ? whole : JSON.stringify(checks.map(({ message: _message, ...rest }) => rest));
}

/** A result as people read it: the check, what was measured and the bound. */
export function resultText(result: QualityCheckResult): string {
  return `${result.name} (${result.kind}, ${result.outcome}): measured ${result.measured ?? 'nothing'}, bound ${result.bound}: ${result.message}`;
}
