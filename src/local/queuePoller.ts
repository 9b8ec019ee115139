import type { QueueClient } from '@azure/storage-queue';
import functions, { type InvocationContext, type LogHandler } from '@azure/functions';
import { decodeQueueText } from '../jobs/jobQueueMessage.js';
import { errorMessage } from '../errors/errorTypes.js';
import type { HostSettings } from './hostSettings.js';

export type QueueMessageHandler = (message: unknown, context: InvocationContext) => Promise<void>;

/**
 * Polls a storage queue as the Functions host does: messages are received with a visibility
 * timeout, deleted when the handler succeeds, made visible again after
 * `visibilityTimeout` when it fails, and moved to `<queue>-poison` after `maxDequeueCount`
 * failed deliveries. Idle polling backs off to `maxPollingInterval`.
 */
export class QueuePoller {
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly queue: QueueClient,
    private readonly poison: QueueClient | undefined,
    private readonly handler: QueueMessageHandler,
    private readonly settings: HostSettings['extensions']['queues'],
    private readonly log: LogHandler,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = 100;
    while (!this.stopped) {
      let received = 0;
      try {
        const response = await this.queue.receiveMessages({
          numberOfMessages: this.settings.batchSize,
          visibilityTimeout: Math.max(1, Math.ceil(this.settings.visibilityTimeout / 1000)) * 6,
        });
        received = response.receivedMessageItems.length;
        await Promise.all(response.receivedMessageItems.map((item) => this.process(item)));
      } catch (err) {
        if (!this.stopped) this.log('warning', `Queue ${this.queue.name}: ${errorMessage(err)}`);
      }
      delay = received > 0 ? 100 : Math.min(delay * 2, this.settings.maxPollingInterval);
      if (received === 0) await sleep(delay, () => this.stopped);
    }
  }

  private async process(item: { messageId: string; popReceipt: string; messageText: string; dequeueCount: number; insertedOn: Date }): Promise<void> {
    const context = new functions.InvocationContext({
      functionName: this.name,
      invocationId: item.messageId,
      logHandler: this.log,
      triggerMetadata: { id: item.messageId, dequeueCount: item.dequeueCount, insertionTime: item.insertedOn, popReceipt: item.popReceipt },
    });
    try {
      await this.handler(decodeQueueText(item.messageText), context);
      await this.queue.deleteMessage(item.messageId, item.popReceipt);
    } catch (err) {
      this.log('warning', `${this.name}: message ${item.messageId} failed (delivery ${item.dequeueCount}): ${errorMessage(err)}`);
      if (item.dequeueCount >= this.settings.maxDequeueCount && this.poison) {
        await this.poison.sendMessage(item.messageText);
        await this.queue.deleteMessage(item.messageId, item.popReceipt);
        this.log('warning', `${this.name}: message ${item.messageId} moved to ${this.poison.name} after ${item.dequeueCount} deliveries`);
      } else {
        await this.queue.updateMessage(item.messageId, item.popReceipt, undefined, Math.ceil(this.settings.visibilityTimeout / 1000));
      }
    }
  }
}

async function sleep(ms: number, stopped: () => boolean): Promise<void> {
  const step = 50;
  for (let waited = 0; waited < ms && !stopped(); waited += step) await new Promise((resolve) => setTimeout(resolve, step));
}
