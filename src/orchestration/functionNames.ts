/** Names shared by the registrations and the orchestrator's callActivity. */
export const Orchestrations = { copyRun: 'copyRunOrchestrator' } as const;

export const Activities = {
  prepareRun: 'prepareRun',
  copyChunk: 'copyChunk',
  finalizeRun: 'finalizeRun',
  failRun: 'failRun',
} as const;
