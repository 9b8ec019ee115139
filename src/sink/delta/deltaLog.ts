import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { NonRetryableError } from '../../errors/errorTypes.js';
import { mapWithConcurrency } from '../../store/mapWithConcurrency.js';
import { commitVersion, pathOfLogPath, type DeltaTableLayout } from './deltaPaths.js';
import type { DeltaProtocol } from './deltaSchema.js';

/**
 * The actions of a Delta log (PROTOCOL.md "Actions"), as zod reads them. Objects are loose:
 * "Clients must ignore such unrecognized fields" ("Protocol Evolution"), and a remove written
 * back for an add keeps what the add said.
 */
const stringMap = z.record(z.string(), z.string().nullable());

export const addActionSchema = z.object({
  path: z.string(),
  partitionValues: stringMap,
  size: z.number(),
  modificationTime: z.number(),
  dataChange: z.boolean(),
  stats: z.string().nullable().optional(),
  deletionVector: z.unknown().optional(),
}).loose();
export type AddAction = z.infer<typeof addActionSchema>;

export const removeActionSchema = z.object({
  path: z.string(),
  deletionTimestamp: z.number().nullable().optional(),
  dataChange: z.boolean(),
  extendedFileMetadata: z.boolean().optional(),
  partitionValues: stringMap.optional(),
  size: z.number().optional(),
  stats: z.string().nullable().optional(),
  deletionVector: z.unknown().optional(),
}).loose();
export type RemoveAction = z.infer<typeof removeActionSchema>;

export const metadataActionSchema = z.object({
  id: z.string(),
  name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  format: z.object({ provider: z.string(), options: z.record(z.string(), z.string()).default({}) }).loose(),
  schemaString: z.string(),
  partitionColumns: z.array(z.string()),
  configuration: z.record(z.string(), z.string()).default({}),
  createdTime: z.number().nullable().optional(),
}).loose();
export type MetadataAction = z.infer<typeof metadataActionSchema>;

export const protocolActionSchema = z.object({
  minReaderVersion: z.number().int(),
  minWriterVersion: z.number().int(),
  readerFeatures: z.array(z.string()).optional(),
  writerFeatures: z.array(z.string()).optional(),
}).loose();

/** Siphon's provenance in commitInfo: which run (and attempt) made the commit. */
export const siphonProvenanceSchema = z.object({ pipelineId: z.string(), runId: z.string(), attempt: z.number().int() });
export type SiphonProvenance = z.infer<typeof siphonProvenanceSchema>;

const commitInfoSchema = z.object({ siphon: siphonProvenanceSchema.optional() }).loose();

/** One line of a commit: an object naming one action. Actions this code does not know are kept, unread. */
const actionLineSchema = z.object({
  add: addActionSchema.optional(),
  remove: removeActionSchema.optional(),
  metaData: metadataActionSchema.optional(),
  protocol: protocolActionSchema.optional(),
  commitInfo: commitInfoSchema.optional(),
}).loose();
export type DeltaAction = z.infer<typeof actionLineSchema>;

export type DeltaCommit = { version: number; actions: DeltaAction[]; siphon?: SiphonProvenance | undefined; timestamp?: number | undefined };

/**
 * The table as of its latest version, from replaying every commit in order ("Action
 * Reconciliation"): the last protocol and metaData win; a file is in the table when its newest
 * action is an add, a tombstone when it is a remove. Files are keyed by their decoded path
 * (relative to the table root), so two spellings of one path are one file.
 */
export type DeltaSnapshot = {
  /** -1 when the table does not exist yet. */
  version: number;
  protocol?: DeltaProtocol | undefined;
  metadata?: MetadataAction | undefined;
  files: Map<string, AddAction>;
  tombstones: Map<string, RemoveAction>;
  /** Every commit, oldest first (to find a run's own, and what came after a version). */
  commits: DeltaCommit[];
};

/** Commits downloaded at once. */
const parallelReads = 16;

/**
 * Reads the table's log and replays it. Siphon reads the JSON commits from version 0 and writes
 * no checkpoints; a log whose commits do not start at 0 or have a gap (another tool wrote a
 * checkpoint and cleaned up the commits before it) is refused rather than misread.
 */
export async function readDeltaTable(container: ContainerClient, layout: DeltaTableLayout): Promise<DeltaSnapshot> {
  const versions: number[] = [];
  try {
    for await (const blob of container.listBlobsFlat({ prefix: layout.logPrefix })) {
      const rest = blob.name.slice(layout.logPrefix.length);
      if (rest.includes('/')) continue;
      const version = commitVersion(blob.name);
      if (version !== undefined) versions.push(version);
    }
  } catch (err) {
    if (statusOf(err) === 404) return emptySnapshot();
    throw err;
  }
  versions.sort((a, b) => a - b);
  const gap = versions.findIndex((version, index) => version !== index);
  if (gap >= 0) {
    throw new NonRetryableError(`Delta table ${container.containerName}/${layout.table}: its log holds commits from version ${versions[0]} with a gap or a start after 0 (${gap === 0 ? `no version 0` : `version ${gap} missing`}), as after another tool's checkpoint and log cleanup; Siphon replays the JSON commits from version 0 and writes no checkpoints, so it does not write this table`);
  }
  const commits = await mapWithConcurrency(versions, parallelReads, async (version) => parseCommit(version, await downloadText(container, layout.commit(version)), layout));
  return replay(commits);
}

export function emptySnapshot(): DeltaSnapshot {
  return { version: -1, files: new Map(), tombstones: new Map(), commits: [] };
}

/** Parses one commit's newline-delimited actions ("Delta Log Entries"). */
export function parseCommit(version: number, text: string, layout: Pick<DeltaTableLayout, 'table'>): DeltaCommit {
  const actions: DeltaAction[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new NonRetryableError(`Delta table ${layout.table}: line ${index + 1} of version ${version} is not JSON`);
    }
    const parsed = actionLineSchema.safeParse(json);
    if (!parsed.success) throw new NonRetryableError(`Delta table ${layout.table}: line ${index + 1} of version ${version} is not an action this code reads: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
    actions.push(parsed.data);
  });
  const info = actions.find((action) => action.commitInfo)?.commitInfo;
  const timestamp = info && typeof info.timestamp === 'number' ? info.timestamp : undefined;
  return { version, actions, siphon: info?.siphon, timestamp };
}

/** Action Reconciliation over commits in version order. */
export function replay(commits: DeltaCommit[]): DeltaSnapshot {
  const snapshot = emptySnapshot();
  for (const commit of commits) {
    for (const action of commit.actions) {
      if (action.protocol) snapshot.protocol = action.protocol;
      if (action.metaData) snapshot.metadata = action.metaData;
      if (action.add) {
        const key = pathOfLogPath(action.add.path);
        snapshot.files.set(key, action.add);
        snapshot.tombstones.delete(key);
      }
      if (action.remove) {
        const key = pathOfLogPath(action.remove.path);
        snapshot.files.delete(key);
        snapshot.tombstones.set(key, action.remove);
      }
    }
    snapshot.version = commit.version;
  }
  snapshot.commits = commits;
  return snapshot;
}

/** The commit a run made, found by the provenance Siphon writes into commitInfo, among versions after `after`. */
export function findRunCommit(snapshot: DeltaSnapshot, runId: string, after: number): DeltaCommit | undefined {
  return snapshot.commits.find((commit) => commit.version > after && commit.siphon?.runId === runId);
}

/**
 * Writes `version` only if no commit of that version exists ("Creation of New Log Entries":
 * writers MUST never overwrite a log entry): an upload with If-None-Match: *. Azure answers 409
 * (BlobAlreadyExists) or 412 (a condition not met) when another writer got there first; both
 * are a conflict.
 */
export async function putCommit(container: ContainerClient, layout: DeltaTableLayout, version: number, actions: unknown[]): Promise<'committed' | 'conflict'> {
  const body = actions.map((action) => JSON.stringify(action)).join('\n') + '\n';
  try {
    await container.getBlockBlobClient(layout.commit(version)).upload(body, Buffer.byteLength(body), {
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    return 'committed';
  } catch (err) {
    const status = statusOf(err);
    if (status === 409 || status === 412) return 'conflict';
    throw err;
  }
}

async function downloadText(container: ContainerClient, name: string): Promise<string> {
  return (await container.getBlockBlobClient(name).downloadToBuffer()).toString('utf8');
}

export function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}
