/**
 * History events in the shape durable-functions' replay executor reads (the Durable Task wire
 * format). Ids tie them together: a TaskScheduled's EventId is the sequence number of the task
 * it schedules, and its TaskCompleted/TaskFailed points back through TaskScheduledId.
 */
export type HistoryEvent = Record<string, unknown> & { EventType: number; EventId: number; Timestamp: Date; IsPlayed: boolean };

export const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  EventRaised: 15,
} as const;

const base = (EventType: number, EventId = -1) => ({ EventType, EventId, Timestamp: new Date(), IsPlayed: false });

export const orchestratorStarted = (): HistoryEvent => base(EventType.OrchestratorStarted);
export const executionStarted = (name: string, input: unknown): HistoryEvent => ({ ...base(EventType.ExecutionStarted), Name: name, Input: JSON.stringify(input ?? null) });
export const taskScheduled = (id: number, name: string, input: unknown): HistoryEvent => ({ ...base(EventType.TaskScheduled, id), Name: name, Input: JSON.stringify(input ?? null) });
export const taskCompleted = (id: number, result: unknown): HistoryEvent => ({ ...base(EventType.TaskCompleted), TaskScheduledId: id, Result: JSON.stringify(result ?? null) });
export const taskFailed = (id: number, error: { type: string; message: string; stack?: string; nonRetriable: boolean }): HistoryEvent => ({
  ...base(EventType.TaskFailed),
  TaskScheduledId: id,
  Reason: error.message,
  Details: error.stack ?? '',
  FailureDetails: { ErrorType: error.type, ErrorMessage: error.message, StackTrace: error.stack, IsNonRetriable: error.nonRetriable },
});
export const timerCreated = (id: number, fireAt: Date): HistoryEvent => ({ ...base(EventType.TimerCreated, id), FireAt: fireAt });
export const timerFired = (id: number, fireAt: Date): HistoryEvent => ({ ...base(EventType.TimerFired), TimerId: id, FireAt: fireAt });

/** Events come back from storage as JSON; the executor compares Timestamp as a Date. */
export function reviveEvent(json: string): HistoryEvent {
  const event = JSON.parse(json) as HistoryEvent;
  event.Timestamp = new Date(event.Timestamp as unknown as string);
  if (typeof event.FireAt === 'string') event.FireAt = new Date(event.FireAt);
  event.IsPlayed = true;
  return event;
}

/** Sequence ids that already have a TaskScheduled or TimerCreated event. */
export function scheduledIds(history: HistoryEvent[]): Map<number, HistoryEvent> {
  const ids = new Map<number, HistoryEvent>();
  for (const event of history) {
    if (event.EventType === EventType.TaskScheduled || event.EventType === EventType.TimerCreated) ids.set(event.EventId, event);
  }
  return ids;
}
