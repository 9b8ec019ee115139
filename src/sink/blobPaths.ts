import { runIdTime } from '../jobs/runId.js';
import { defaultDeltaTablePath, defaultPathTemplate, type OutputSpec } from '../spec/pipelineSpec.js';
import { deltaTableLayout, type DeltaTableLayout } from './delta/deltaPaths.js';
import { owningPipelineId } from '../spec/tablesSpec.js';

/**
 * Where a run's files go. Every name is a pure function of (pipeline, run id, chunk, file
 * number, partition), so a retried or repeated activity writes the same names and overwrites,
 * never adds. The path template's folder holds {runId} (the spec checks it), so the manifest and
 * `_SUCCESS` sit beside the files in a folder no other run writes to.
 * Default layout: <pipeline>/<yyyy>/<MM>/<dd>/run=<runId>/part-<chunk>-<file>.<ext>
 */
export type RunPaths = {
  folder: string;
  manifest: string;
  successMarker: string;
  /** `_schema.json`: the columns and their text forms, beside CSV and JSON Lines files. */
  schemaFile: string;
  /** `_quarantine/`: the rows validation rejected (validation/quarantineWriter.ts), beside the manifest. */
  quarantineFolder: string;
  /** A chunk's quarantine file: a pure function of (run, chunk, file), so a retried chunk overwrites the same names. */
  quarantineFile(chunk: number, file: number): string;
  /** `partitionFolder` is the Hive-style folder (`order_date=2024-05-01`), empty when not partitioned. */
  file(chunk: number, file: number, partitionFolder: string, extension: string): string;
};

/** `schemaVersion`: the run's output schema's version (sink/schemaVersion.ts), for a template that holds {schemaVersion}. */
export type RunPathInput = {
  pipelineId: string;
  runId: string;
  table: string;
  schemaVersion?: string | undefined;
  template?: string | undefined;
  /** The run writes change rows (a change-capture pipeline): a Delta merge's go to the run's `_changes/` folder. */
  changeRows?: boolean | undefined;
};

export function runPaths({ pipelineId, runId, table, schemaVersion, template = defaultPathTemplate }: RunPathInput): RunPaths {
  const time = runIdTime(runId);
  const values: Record<string, string> = {
    // A table's run of a many-table pipeline writes under the pipeline's name (spec/tablesSpec.ts).
    pipeline: owningPipelineId(pipelineId),
    table: table.replace(/[/\\]/g, '_'),
    runId,
    ...(schemaVersion === undefined ? {} : { schemaVersion }),
    yyyy: pad(time.getUTCFullYear(), 4),
    MM: pad(time.getUTCMonth() + 1, 2),
    dd: pad(time.getUTCDate(), 2),
    HH: pad(time.getUTCHours(), 2),
  };
  const render = (text: string, extra: Record<string, string> = {}) =>
    text.replace(/\{([^{}]*)\}/g, (_, token: string) => {
      const value = extra[token] ?? values[token];
      if (value === undefined) throw new Error(`Path template token {${token}} has no value here`);
      return value;
    });
  const slash = template.lastIndexOf('/');
  const folder = render(template.slice(0, slash));
  const fileName = template.slice(slash + 1);
  return {
    ...runFolderPaths(folder),
    file: (chunk, file, partitionFolder, extension) =>
      `${folder}/${partitionFolder ? `${partitionFolder}/` : ''}${render(fileName, { chunk: pad(chunk, 5), file: pad(file, 4) })}.${extension}`,
  };
}

/** The names in a run's folder beside its data files: manifest, `_SUCCESS`, `_schema.json`, quarantine. */
function runFolderPaths(folder: string): Omit<RunPaths, 'file'> {
  const quarantineFolder = `${folder}/_quarantine`;
  return {
    folder,
    manifest: `${folder}/_manifest.json`,
    successMarker: `${folder}/_SUCCESS`,
    schemaFile: `${folder}/_schema.json`,
    quarantineFolder,
    quarantineFile: (chunk, file) => `${quarantineFolder}/part-${pad(chunk, 5)}-${pad(file, 4)}.jsonl.gz`,
  };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Where a run of a pipeline with this output writes: its path template's folder, or for a Delta
 * table the table's folder for the data files and `_siphon_runs/.../run=<runId>` beside the table
 * for the manifest and `_SUCCESS` (see delta/deltaPaths.ts).
 */
export function runPathsFor(output: OutputSpec, input: Omit<RunPathInput, 'template'>): RunPaths {
  if (output.format !== 'delta') return runPaths({ ...input, template: output.pathTemplate });
  const layout = deltaTableLayout(output.tablePath ?? defaultDeltaTablePath, owningPipelineId(input.pipelineId), input.table);
  // Its `_schema.json` is never written: a Delta table's schema is in its log.
  return {
    ...runFolderPaths(layout.runFolder(input.runId)),
    file: input.changeRows && output.mode === 'merge'
      ? (chunk, file) => layout.changeFile(input.runId, chunk, file)
      : (chunk, file, partitionFolder) => layout.dataFile(input.runId, chunk, file, partitionFolder),
  };
}

/** The Delta table a pipeline with this output writes (format "delta" only). */
export function deltaLayoutFor(output: OutputSpec, pipelineId: string, table: string): DeltaTableLayout {
  return deltaTableLayout(output.tablePath ?? defaultDeltaTablePath, owningPipelineId(pipelineId), table);
}
