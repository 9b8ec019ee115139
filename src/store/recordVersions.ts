import { NonRetryableError } from '../errors/errorTypes.js';
import { legacyPipelineGeneration } from '../jobs/pipelineGeneration.js';

/**
 * Stored records outlive the code that wrote them: a deploy meets pipelines and runs written by
 * every earlier version. Each entity carries `schemaVersion`; one written before versions existed
 * has none and is version 1. Reading runs an entity through the steps from its version to the
 * current one, so the stores only ever parse current-shaped records; writing stamps the current
 * version. Entities are migrated on read, never rewritten in bulk: the next write stores the new
 * shape.
 *
 * To change a record's stored shape, append a step to its chain: step i turns version i + 1 into
 * version i + 2, and the chain's length + 1 is the current version. Steps are pure functions of
 * the raw entity (table properties, JSON columns still text), never removed, and never edited
 * once released. A pipeline's spec and a run's spec snapshot are JSON columns of these entities:
 * a change to the spec's stored shape is a step of both chains.
 */
export type StoredEntity = Record<string, unknown>;
type Step = (entity: StoredEntity) => StoredEntity;

const chains = {
  pipeline: [
    // 1 -> 2: the scheduler enqueues only fire times after the schedule last changed. A version 1
    // pipeline never recorded when that was; its last update is the latest it can have been, so
    // no fire time from before a possible schedule change is enqueued. `schedulePaused` is
    // explicit from now on.
    (entity) => ({ ...entity, schedulePaused: entity.schedulePaused === true, scheduleChangedAt: entity.scheduleChangedAt ?? entity.updatedAt }),
    // 2 -> 3: a pipeline can be deleted and created again, each creation a new generation mixed
    // into its scheduled run ids. Pipelines from before then were never deleted: their first
    // generation is the legacy one, whose scheduled run ids are the ones they always had.
    (entity) => ({ ...entity, generation: entity.generation ?? legacyPipelineGeneration }),
    // 3 -> 4: Parquet encodings per reader (output.readers, default every reader). A pipeline
    // stored before keeps the encodings it always had.
    (entity) => ({ ...entity, spec: exactReaders(entity.spec) }),
  ],
  run: [
    // 1 -> 2: runs written before retries existed have no attempt: they were the first.
    // (The cleanup fields of version 2 start absent: a version 1 run that ended failed,
    // cancelled or timed out was never cleaned, which is what the sweep looks for.)
    (entity) => ({ ...entity, attempt: entity.attempt ?? 0 }),
    // 2 -> 3: the run's spec snapshot, as the pipeline's 3 -> 4: a run prepared before reader
    // profiles existed finishes with the encodings it started with.
    (entity) => ({ ...entity, spec: exactReaders(entity.spec) }),
  ],
  chunk: [
    // 1 -> 2: a chunk being copied said `copying`; it says `running` now, beside retrying, failed
    // and stopped. Attempts and timings start absent (none recorded).
    (entity) => ({ ...entity, status: entity.status === 'copying' ? 'running' : entity.status }),
  ],
} satisfies Record<string, Step[]>;

export type RecordKind = keyof typeof chains;

/** A stored spec (JSON text) with `output.readers` set to exact when it has none. */
function exactReaders(spec: unknown): unknown {
  if (typeof spec !== 'string') return spec;
  let parsed: unknown;
  try {
    parsed = JSON.parse(spec);
  } catch {
    return spec;
  }
  if (typeof parsed !== 'object' || parsed === null) return spec;
  const output = (parsed as { output?: unknown }).output;
  if (typeof output !== 'object' || output === null || 'readers' in output) return spec;
  return JSON.stringify({ ...parsed, output: { ...output, readers: ['exact'] } });
}

export function currentSchemaVersion(kind: RecordKind): number {
  return chains[kind].length + 1;
}

/**
 * The entity in the current shape. One written by a newer version of Siphon (a rollback after a
 * deploy) is refused rather than misread: its meaning may have changed in ways this code cannot know.
 */
export function migrateOnRead(kind: RecordKind, entity: StoredEntity, what: string): StoredEntity {
  const version = entity.schemaVersion === undefined ? 1 : Number(entity.schemaVersion);
  const current = currentSchemaVersion(kind);
  if (!Number.isInteger(version) || version < 1) throw new NonRetryableError(`${what}: schemaVersion ${String(entity.schemaVersion)} is not a version`);
  if (version > current) throw new NonRetryableError(`${what} was written by a newer Siphon (${kind} schema version ${version}; this code reads up to ${current})`);
  let migrated = entity;
  for (const step of chains[kind].slice(version - 1)) migrated = step(migrated);
  return { ...migrated, schemaVersion: current };
}

/** The entity as it is written: in the current shape, saying so. */
export function stampVersion<T extends StoredEntity>(kind: RecordKind, entity: T): T & { schemaVersion: number } {
  return { ...entity, schemaVersion: currentSchemaVersion(kind) };
}
