import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodError } from '../spec/formatZodError.js';

const timeSpan = z.string().regex(/^\d{2}:\d{2}:\d{2}$/, 'a time span hh:mm:ss').transform((text) => {
  const [h, m, s] = text.split(':').map(Number);
  return ((h! * 60 + m!) * 60 + s!) * 1000;
});

/** The parts of host.json the local runtime honours, as the Functions host would. */
export const hostJsonSchema = z.object({
  version: z.literal('2.0'),
  functionTimeout: timeSpan,
  extensions: z.object({
    durableTask: z.object({
      hubName: z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/),
      maxConcurrentActivityFunctions: z.number().int().positive(),
      maxConcurrentOrchestratorFunctions: z.number().int().positive(),
    }),
    queues: z.object({
      batchSize: z.number().int().min(1).max(32),
      newBatchThreshold: z.number().int().nonnegative(),
      maxDequeueCount: z.number().int().positive(),
      visibilityTimeout: timeSpan,
      maxPollingInterval: timeSpan,
      messageEncoding: z.literal('base64'),
    }),
  }),
});

export type HostSettings = z.infer<typeof hostJsonSchema>;

export function readHostJson(path: string): HostSettings {
  const parsed = hostJsonSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}
