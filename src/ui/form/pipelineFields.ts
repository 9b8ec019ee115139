import { getIn, isRecord, type Draft } from './draft.js';
import { sourceFieldPaths, sourceLabels } from './sourcePaths.js';
import { ownersKind, specFieldNames } from './specShape.js';

/** Every field of the pipeline form by its spec path: the label the form and its error summary show. */
export const pipelineLabels: Record<string, string> = {
  id: 'Pipeline id',
  description: 'Description',
  owners: 'Owners',
  ...sourceLabels,
  read: 'What to read',
  'table.schema': 'Schema',
  'table.name': 'Table',
  columns: 'Columns',
  query: 'Query',
  'chunking.column': 'Split column',
  'chunking.chunks': 'Chunks',
  'chunking.targetChunkMB': 'Target chunk size (MB)',
  'chunking.maxParallel': 'Chunks at once',
  'chunking.strategy': 'Strategy',
  'output.container': 'Container',
  'output.format': 'Format',
  'output.compression': 'Compression',
  'output.maxRowsPerFile': 'Rows per file',
  'output.rowGroupRows': 'Rows per row group',
  'output.pathTemplate': 'Path template',
  'output.partitionBy': 'Partition by',
  'schedule.cron': 'Cron',
  'schedule.timeZone': 'Time zone',
  'incremental.column': 'Cursor column',
  'incremental.lookbackSeconds': 'Lookback (seconds)',
  'incremental.lookbackValues': 'Lookback (values)',
  'retry.maxAttempts': 'Attempts per chunk',
  'retry.firstDelaySeconds': 'First delay (seconds)',
  'retry.backoffCoefficient': 'Backoff coefficient',
  'retry.maxDelaySeconds': 'Longest delay (seconds)',
  timeoutMinutes: 'Run timeout (minutes)',
  dependsOn: 'Depends on',
  json: 'Spec as JSON',
};

/** Parts of the spec shown at one of their fields: a problem with the whole part lands there. */
export const pipelineStandsFor: Record<string, string> = {
  source: 'source.connectionSetting',
  table: 'table.name',
  chunking: 'chunking.column',
  output: 'output.container',
  schedule: 'schedule.cron',
  incremental: 'incremental.column',
  retry: 'retry.maxAttempts',
};

/** Whether the draft reads a table or its own query (exactly one; a query key decides). */
export const readsQuery = (draft: Draft) => draft.query !== undefined;

/**
 * Whether the draft reads many tables (`tables` patterns, `exclude`, `failFast`): the form shows
 * them as they are and the JSON tab edits them; the table and query fields are not shown.
 */
export const readsTables = (draft: Draft) => draft.tables !== undefined;

/** The spec's fields the form has a field for; `maxRows` belongs to query jobs (the API refuses it in a pipeline). */
const formFields = ['id', 'description', 'owners', 'source', 'table', 'query', 'columns', 'chunking', 'output', 'schedule', 'incremental', 'retry', 'timeoutMinutes', 'dependsOn', 'maxRows'];

/** Spec fields this build's schema has and the form has no field for: the JSON tab edits them. */
export const fieldsWithoutControl = (): string[] => specFieldNames.filter((name) => !formFields.includes(name) || (name === 'owners' && ownersKind() === undefined));

/** Keys of a loaded spec the schema does not know: kept and sent back as they are (the API judges them). */
export const unknownKeys = (draft: Draft): string[] => Object.keys(draft).filter((key) => !specFieldNames.includes(key));

/** The fields shown for a draft, in document order (what placeIssues and the focus follow). */
export function pipelineFieldPaths(draft: Draft): string[] {
  const paths = ['id', 'description'];
  if (ownersKind()) paths.push('owners');
  paths.push(...sourceFieldPaths(draft));
  if (readsQuery(draft)) paths.push('query');
  else if (!readsTables(draft)) paths.push('table.schema', 'table.name', 'columns');
  if (isRecord(draft.chunking)) paths.push('chunking.column', 'chunking.chunks', 'chunking.targetChunkMB', 'chunking.maxParallel', 'chunking.strategy');
  paths.push('output.container', 'output.format', 'output.compression', 'output.maxRowsPerFile', 'output.rowGroupRows', 'output.pathTemplate', 'output.partitionBy');
  if (isRecord(draft.schedule)) paths.push('schedule.cron', 'schedule.timeZone');
  if (isRecord(draft.incremental)) paths.push('incremental.column', 'incremental.lookbackSeconds', 'incremental.lookbackValues');
  paths.push('retry.maxAttempts', 'retry.firstDelaySeconds', 'retry.backoffCoefficient', 'retry.maxDelaySeconds', 'timeoutMinutes', 'dependsOn');
  return paths;
}

/** A new pipeline: a PostgreSQL table read, everything else at the schema's defaults. */
export const newPipelineDraft = (): Draft => ({ source: { engine: 'postgres' }, table: {}, output: {} });

/** The output format the draft writes (the schema's default when not given). */
export const formatOf = (draft: Draft): string => {
  const format = getIn(draft, 'output.format');
  return typeof format === 'string' ? format : 'parquet';
};
