/** Names shared by the registrations and the orchestrators' calls. */
export const Orchestrations = { copyRun: 'copyRunOrchestrator', copyChunks: 'copyChunksOrchestrator' } as const;

export const Activities = {
  prepareRun: 'prepareRun',
  copyChunk: 'copyChunk',
  finalizeRun: 'finalizeRun',
  failRun: 'failRun',
  cleanupRun: 'cleanupRun',
  acquireSourceSlot: 'acquireSourceSlot',
  prepareTableRun: 'prepareTableRun',
  stopTables: 'stopTables',
  finishTablesRun: 'finishTablesRun',
} as const;

/** The external event the cancel API raises, so a run stops waiting at once. */
export const cancelEventName = 'cancel';
