/**
 * What the job starter needs of Durable Functions: start an instance unless it exists. The
 * Functions host provides it through the durable client, the local runtime through its engine.
 */
export interface OrchestrationStarter {
  startIfAbsent(orchestrationName: string, instanceId: string, input: unknown): Promise<'started' | 'exists'>;
}
