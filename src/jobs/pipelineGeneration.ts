import { randomBytes } from 'node:crypto';

/**
 * Which life of a pipeline id this is. A pipeline deleted and created again under the same id is
 * a new generation, so ids derived from the pipeline (scheduled run ids, and through them the
 * orchestration instance ids) never meet its predecessor's, and run records say which life they
 * belong to. Random, not a counter: a counter would need a tombstone that outlives the delete.
 */
export function newPipelineGeneration(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The generation of every pipeline created before generations existed (migrated on read), and of
 * runs recorded before then. Those pipelines were never deleted, so they are all first lives; a
 * new generation is 12 hex digits and can never equal this.
 */
export const legacyPipelineGeneration = '0';

/** The generation a run record belongs to: its own, or the legacy one for runs recorded before generations. */
export const runGeneration = (run: { pipelineGeneration?: string }): string => run.pipelineGeneration ?? legacyPipelineGeneration;
