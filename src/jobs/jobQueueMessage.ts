import { jobMessageSchema, type JobMessage } from '../spec/jobMessage.js';

/**
 * Queue messages are base64 JSON: the Functions host's queue trigger decodes base64 by default
 * (host.json extensions.queues.messageEncoding), and the local poller does the same.
 */
export function encodeJobMessage(message: JobMessage): string {
  return Buffer.from(JSON.stringify(jobMessageSchema.parse(message))).toString('base64');
}

export function decodeQueueText(text: string): unknown {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  return JSON.parse(decoded);
}
