import type { OrchestrationContext, Task } from 'durable-functions';
import { chunkRangeInputSchema, copyChunkRange, type RangeEnding } from './copyChunkRange.js';

/**
 * A sub-orchestration copying one slice of a large run's chunks, so that no single orchestration
 * history holds thousands of tasks: each history event is replayed on every episode, and a history
 * of 10,000 activity events makes every chunk's completion cost a replay of all of them.
 */
export function* copyChunksOrchestrator(context: OrchestrationContext): Generator<Task, RangeEnding, unknown> {
  return yield* copyChunkRange(context, chunkRangeInputSchema.parse(context.df.getInput()));
}
