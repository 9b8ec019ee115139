import { TableClient } from '@azure/data-tables';
import type { TestEnvironment } from './testEnvironment.js';
import { waitFor } from './waitFor.js';

/**
 * Every orchestration instance of the run (its sub-orchestrations too) has ended, and no activity
 * of any is still running: a run's record says `succeeded` a moment before its orchestration
 * writes its own end, so a test that snapshots state waits for this, not for the status.
 */
export async function waitForRunQuiet(env: Pick<TestEnvironment, 'azurite' | 'runtime'>, runId: string): Promise<void> {
  const instances = TableClient.fromConnectionString(env.azurite.connectionString, 'SiphonHubInstances', { allowInsecureConnection: true });
  await waitFor(async () => {
    const open: string[] = [];
    for await (const entity of instances.listEntities<{ rowKey: string; status: string }>()) {
      if (entity.rowKey.startsWith(runId) && (entity.status === 'Pending' || entity.status === 'Running')) open.push(entity.rowKey);
    }
    return { open, activities: env.runtime.engine.runningActivities };
  }, (state) => state.open.length === 0 && state.activities === 0, `run ${runId}'s orchestrations and activities to end`);
}
