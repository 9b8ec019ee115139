/**
 * History events in the shape durable-functions' replay executor reads (the Durable Task wire
 * format; numbers as in durable-functions' lib/src/history/HistoryEventType). Ids tie them
 * together: a TaskScheduled, TimerCreated or SubOrchestrationInstanceCreated event's EventId is
 * the sequence number of the task it schedules, and its completion (TaskCompleted/TaskFailed,
 * TimerFired, SubOrchestrationInstanceCompleted/Failed) points back through TaskScheduledId
 * (TimerId for timers). An EventRaised is matched by Name.
 */
export type HistoryEvent = Record<string, unknown> & { EventType: number; EventId: number; Timestamp: Date; IsPlayed: boolean };

export const EventType = {
  ExecutionStarted: 0,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  EventRaised: 15,
} as const;

export type FailureInfo = { type: string; message: string; stack?: string; nonRetriable: boolean };

const base = (EventType: number, EventId = -1) => ({ EventType, EventId, Timestamp: new Date(), IsPlayed: false });

const failure = (error: FailureInfo) => ({
  Reason: error.message,
  Details: error.stack ?? '',
  FailureDetails: { ErrorType: error.type, ErrorMessage: error.message, StackTrace: error.stack, IsNonRetriable: error.nonRetriable },
});

export const orchestratorStarted = (): HistoryEvent => base(EventType.OrchestratorStarted);
export const executionStarted = (name: string, input: unknown, parentInstanceId?: string): HistoryEvent => ({
  ...base(EventType.ExecutionStarted),
  Name: name,
  Input: JSON.stringify(input ?? null),
  ...(parentInstanceId ? { ParentInstance: { OrchestrationInstance: { InstanceId: parentInstanceId } } } : {}),
});
export const executionTerminated = (reason: string): HistoryEvent => ({ ...base(EventType.ExecutionTerminated), Input: JSON.stringify(reason) });
export const taskScheduled = (id: number, name: string, input: unknown): HistoryEvent => ({ ...base(EventType.TaskScheduled, id), Name: name, Input: JSON.stringify(input ?? null) });
export const taskCompleted = (id: number, result: unknown): HistoryEvent => ({ ...base(EventType.TaskCompleted), TaskScheduledId: id, Result: JSON.stringify(result ?? null) });
export const taskFailed = (id: number, error: FailureInfo): HistoryEvent => ({ ...base(EventType.TaskFailed), TaskScheduledId: id, ...failure(error) });
export const subOrchestrationCreated = (id: number, name: string, instanceId: string, input: unknown): HistoryEvent => ({
  ...base(EventType.SubOrchestrationInstanceCreated, id),
  Name: name,
  InstanceId: instanceId,
  Input: JSON.stringify(input ?? null),
});
export const subOrchestrationCompleted = (id: number, result: unknown): HistoryEvent => ({ ...base(EventType.SubOrchestrationInstanceCompleted), TaskScheduledId: id, Result: JSON.stringify(result ?? null) });
export const subOrchestrationFailed = (id: number, error: FailureInfo): HistoryEvent => ({ ...base(EventType.SubOrchestrationInstanceFailed), TaskScheduledId: id, ...failure(error) });
export const timerCreated = (id: number, fireAt: Date): HistoryEvent => ({ ...base(EventType.TimerCreated, id), FireAt: fireAt });
export const timerFired = (id: number, fireAt: Date): HistoryEvent => ({ ...base(EventType.TimerFired), TimerId: id, FireAt: fireAt });
export const eventRaised = (name: string, data: unknown): HistoryEvent => ({ ...base(EventType.EventRaised), Name: name, Input: JSON.stringify(data ?? null) });

/** Events come back from storage as JSON; the executor compares Timestamp as a Date. */
export function reviveEvent(json: string): HistoryEvent {
  const event = JSON.parse(json) as HistoryEvent;
  event.Timestamp = new Date(event.Timestamp as unknown as string);
  if (typeof event.FireAt === 'string') event.FireAt = new Date(event.FireAt);
  event.IsPlayed = true;
  return event;
}

const schedulingTypes: ReadonlySet<number> = new Set([EventType.TaskScheduled, EventType.TimerCreated, EventType.SubOrchestrationInstanceCreated]);

/** Sequence ids that already have a TaskScheduled, TimerCreated or SubOrchestrationInstanceCreated event. */
export function scheduledIds(history: HistoryEvent[]): Map<number, HistoryEvent> {
  const ids = new Map<number, HistoryEvent>();
  for (const event of history) {
    if (schedulingTypes.has(event.EventType)) ids.set(event.EventId, event);
  }
  return ids;
}

/** The sequence id a completion event answers, or undefined for any other event. */
export function completedId(event: HistoryEvent): number | undefined {
  switch (event.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return Number(event.TaskScheduledId);
    case EventType.TimerFired:
      return Number(event.TimerId);
    default:
      return undefined;
  }
}

/** Sequence ids that already have their completion in the history. */
export function completedIds(history: HistoryEvent[]): Set<number> {
  const ids = new Set<number>();
  for (const event of history) {
    const id = completedId(event);
    if (id !== undefined) ids.add(id);
  }
  return ids;
}
