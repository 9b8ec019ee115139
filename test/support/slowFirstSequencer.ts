import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (each 30 s or more on the 2-core machine), started first when
 * vitest has no timings of its own for them (a fresh clone: CI). Without timings vitest starts
 * the largest files first, and a small, slow file started last made the whole run wait for it
 * alone (manyTablesScale.test.ts: a minute at the end of a 7-minute run). With timings cached,
 * vitest's own longest-first order stands.
 */
const slowest = ['manyTablesScale', 'faultInjection', 'runControl', 'runTimeline', 'deltaLake', 'deletePipeline', 'runView', 'largeFanOut', 'liveDashboard', 'deltaChangeMerge'];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = slowest.findIndex((name) => file.moduleId.endsWith(`/${name}.test.ts`));
      return index < 0 ? slowest.length : index;
    };
    // Stable: within a project, the slow files first in the order above, the rest as vitest sorted them.
    return sorted
      .map((file, position) => ({ file, position }))
      .sort((a, b) => (a.file.project.name === b.file.project.name ? rank(a.file) - rank(b.file) || a.position - b.position : a.position - b.position))
      .map(({ file }) => file);
  }
}
