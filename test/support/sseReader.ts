/** A Server-Sent Events message as EventSource parses it; `comment` for a `:` line. */
export type SseMessage = { id?: string; event?: string; data?: string; comment?: string; retry?: string };

/** When each message was read (Date.now()), beside the messages so they compare as EventSource sees them. */
export type Arrivals = WeakMap<SseMessage, number>;

/**
 * Reads an event stream (a fetch body, or any ReadableStream of bytes) message by message, the
 * way EventSource splits it: on blank lines, one `field: value` per line.
 */
export function sseReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;
  const messages: SseMessage[] = [];
  const arrivals: Arrivals = new WeakMap();
  const parse = () => {
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const message: SseMessage = {};
      for (const line of buffer.slice(0, end).split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else {
          const colon = line.indexOf(':');
          (message as Record<string, string>)[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
        }
      }
      messages.push(message);
      arrivals.set(message, Date.now());
      buffer = buffer.slice(end + 2);
    }
  };
  return {
    messages,
    arrivals,
    reader,
    get done() {
      return done;
    },
    /** Reads until `until` holds for the messages so far or the stream ends; fails after `timeoutInMs`. */
    async readUntil(until: (messages: SseMessage[]) => boolean, timeoutInMs = 10_000): Promise<SseMessage[]> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out reading the event stream; got ${JSON.stringify(messages).slice(-1_000)}`)), timeoutInMs);
      });
      try {
        while (!done && !until(messages)) {
          const chunk = await Promise.race([reader.read(), timedOut]);
          if (chunk.done) done = true;
          else buffer += decoder.decode(chunk.value, { stream: true });
          parse();
        }
      } finally {
        clearTimeout(timer);
      }
      return messages;
    },
  };
}

/** The run events among the messages, as the JSON each carries. */
export const runEventsOf = (messages: SseMessage[]) => messages.filter((m) => m.event === 'runEvent').map((m) => JSON.parse(m.data!) as { sequence: number; type: string } & Record<string, unknown>);
