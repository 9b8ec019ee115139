/**
 * What the app needs of Durable Functions: start an instance unless it exists, raise an event to
 * one, terminate one. The Functions host provides it through the durable client
 * (durableClientStarter), the local runtime through its engine. Both reject for an unknown
 * instance id and leave an instance that is no longer running alone.
 */
export interface OrchestrationStarter {
  startIfAbsent(orchestrationName: string, instanceId: string, input: unknown): Promise<'started' | 'exists'>;
  /** Delivers an event that `context.df.waitForExternalEvent(eventName)` receives; buffered until the orchestrator waits for it. */
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
  /** Ends the instance as Terminated. */
  terminate(instanceId: string, reason: string): Promise<void>;
}
