import type { Draft } from '../form/draft.js';
import { sourceFieldPaths, sourceLabels } from '../form/sourcePaths.js';

/** Every field of a query job's body (POST /api/queries), by its path. */
export const queryLabels: Record<string, string> = {
  ...sourceLabels,
  query: 'SQL',
  format: 'Result format',
  timeoutSeconds: 'Timeout (seconds)',
  maxRows: 'Most rows',
};

export const queryStandsFor: Record<string, string> = { source: 'source.connectionSetting' };

export function queryFieldPaths(draft: Draft): string[] {
  return [...sourceFieldPaths(draft), 'query', 'format', 'timeoutSeconds', 'maxRows'];
}
