import type { DurableClient } from 'durable-functions';
import type { OrchestrationStarter } from './orchestrationStarter.js';

/** The app's view of the Functions host's durable client. */
export function durableClientStarter(client: DurableClient): OrchestrationStarter {
  return {
    async startIfAbsent(orchestrationName, instanceId, input) {
      try {
        await client.getStatus(instanceId);
        return 'exists';
      } catch (err) {
        // The client reports an unknown instance as an error carrying HTTP 404.
        if (!(err instanceof Error) || !err.message.includes('404')) throw err;
      }
      await client.startNew(orchestrationName, { instanceId, input });
      return 'started';
    },
    // The client rejects for an unknown instance and ignores one that is not running (HTTP 410).
    async raiseEvent(instanceId, eventName, data) {
      await client.raiseEvent(instanceId, eventName, data);
    },
    async terminate(instanceId, reason) {
      await client.terminate(instanceId, reason);
    },
  };
}
