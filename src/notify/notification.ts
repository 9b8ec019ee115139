import { z } from 'zod';
import { notificationEvents } from '../spec/notificationSpec.js';

/**
 * What one notification says, whatever carries it: built once when the event happens (a run
 * ended, a scheduled run is late, an alert rule fired), carried in the queue message, and turned
 * into each target's own shape by notify/targets/. It holds run facts only, never a setting's value.
 */
export const notificationSchema = z.object({
  event: z.enum(notificationEvents),
  pipelineId: z.string().min(1).max(200),
  runId: z.string().max(200).optional(),
  /** The run's status (succeeded, failed, timed_out), when the event is about a run. */
  status: z.string().max(40).optional(),
  /** One line: "orders failed", "orders is late". */
  title: z.string().max(300),
  rows: z.number().optional(),
  rowsRejected: z.number().optional(),
  durationInMs: z.number().optional(),
  /** The run's error, scrubbed of credentials and capped. */
  error: z.string().max(2_100).optional(),
  /** Lines that explain the event: drifted columns, breached checks, the alert's measure and bound. */
  details: z.array(z.string().max(500)).max(20),
  /** The run (or the pipeline) in the dashboard. */
  link: z.string().url(),
  /** When the event happened (the run's end, the missed fire time plus lateAfter, the tick that saw the alert). */
  occurredAt: z.string(),
});
export type Notification = z.infer<typeof notificationSchema>;

/** A duration as people read it: 950 ms, 42 s, 3 min 5 s, 2 h 10 min. */
export function durationText(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** The label/value pairs every target shows as facts, in this order; absent values are left out. */
export function notificationFacts(notification: Notification): Array<{ name: string; value: string }> {
  const facts: Array<{ name: string; value: string | undefined }> = [
    { name: 'Pipeline', value: notification.pipelineId },
    { name: 'Run', value: notification.runId },
    { name: 'Status', value: notification.status },
    { name: 'Rows', value: notification.rows?.toLocaleString('en-US') },
    { name: 'Rejected', value: notification.rowsRejected?.toLocaleString('en-US') },
    { name: 'Duration', value: notification.durationInMs === undefined ? undefined : durationText(notification.durationInMs) },
  ];
  return facts.filter((fact): fact is { name: string; value: string } => fact.value !== undefined);
}

/** Cuts text to a target's limit, saying so. */
export function fit(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}
