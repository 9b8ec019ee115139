import type { CommandContext } from '../../commandContext.js';
import { NotSucceededError } from '../../errors.js';
import { cellText, renderTable } from '../../output.js';
import { driftText } from '../../driftTable.js';
import type { DriftView } from '../../../spec/driftChanges.js';
import { isTablesPlan, tablesPlanText } from './tablesPlan.js';

/**
 * The answer of `POST /api/pipelines:validate` and `GET /api/pipelines/{id}/plan`: columns with
 * their types, refusals with reasons, the chunk plan, the incremental window and the schema drift
 * the next run would see (a table of changed columns). Shown as
 * tables where the answer has lists of objects, JSON for the rest; with refusals the command
 * fails (exit 1), after showing all of them.
 */
export function printCheckReport(ctx: CommandContext, subject: string, report: Record<string, unknown>, spec?: { tables?: unknown }): void {
  const refusals = Array.isArray(report.refusals) ? report.refusals : [];
  if (ctx.output === 'json') ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (ctx.output === 'jsonl') ctx.io.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    for (const [key, value] of Object.entries(report)) {
      ctx.io.stdout.write(`${key}:\n`);
      // The drift the next run would see against the last successful run's schema, as a column diff.
      if (key === 'drift' && value && typeof value === 'object') ctx.io.stdout.write(`${indent(driftText(value as DriftView))}\n`);
      // A many-table pipeline's plan: one line per table (each table's full plan is in -o json).
      else if (key === 'tables' && isTablesPlan(report)) ctx.io.stdout.write(`${indent(tablesPlanText(report.tables, Array.isArray(spec?.tables) ? spec.tables : undefined))}\n`);
      else if (Array.isArray(value) && value.length > 0 && value.every((item) => item && typeof item === 'object' && !Array.isArray(item))) {
        const headings = [...new Set(value.flatMap((item) => Object.keys(item as object)))];
        const rows = value.map((item) => headings.map((heading) => cellText((item as Record<string, unknown>)[heading])));
        ctx.io.stdout.write(`${indent(renderTable(headings, rows))}\n`);
      } else if (Array.isArray(value) && value.length === 0) {
        ctx.io.stdout.write('  (none)\n');
      } else if (value && typeof value === 'object') {
        ctx.io.stdout.write(`${indent(renderTable(undefined, Object.entries(value).map(([field, cell]) => [field, cellText(cell)])))}\n`);
      } else {
        ctx.io.stdout.write(`  ${cellText(value) || '(none)'}\n`);
      }
    }
  }
  if (refusals.length > 0) throw new NotSucceededError(`${subject}: ${refusals.length} refusal(s)`);
}

const indent = (text: string) => text.split('\n').map((line) => `  ${line}`).join('\n');
