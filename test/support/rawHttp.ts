import { request } from 'node:http';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * HTTP the way a hostile client sends it, where fetch would not: any Host, any method, any
 * Content-Type, bodies streamed from a generator, and raw bytes on a socket. Every call fails
 * after `timeoutInMs` instead of hanging, so "never a hang" is asserted, not hoped for.
 */
export type Answer = { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: Record<string, any> | undefined };

export type SendOptions = {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  timeoutInMs?: number;
};

export function send(baseUrl: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const url = new URL(baseUrl);
  return withTimeout(options.timeoutInMs ?? 10_000, `${options.method ?? 'GET'} ${path}`, (resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: options.method ?? 'GET', path, headers: { host: url.host, ...options.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(answer(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'))));
        res.on('error', reject);
      },
    );
    // The server may stop reading a refused body and close: the answer still counts.
    req.on('error', (err) => reject(err));
    const body = options.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', () => undefined);
      body.pipe(req);
      req.on('close', () => body.destroy());
    }
  });
}

/** Writes raw bytes, optionally half-closes, and reads the first answer on the socket. */
export function sendRaw(baseUrl: string, bytes: string | Buffer, options: { halfClose?: boolean; timeoutInMs?: number } = {}): Promise<Answer> {
  const url = new URL(baseUrl);
  return withTimeout(options.timeoutInMs ?? 10_000, 'raw request', (resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const finish = () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer, got ${JSON.stringify(raw.slice(0, 200))}`));
      const [statusLine, ...headerLines] = raw.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? NaN);
      const rest = raw.slice(split + 4);
      resolve(answer(Number(statusLine!.split(' ')[1]), headers, Number.isNaN(length) ? rest : Buffer.from(rest).subarray(0, length).toString('utf8')));
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.slice(0, split))?.[1];
      if (split >= 0 && length !== undefined && Buffer.byteLength(raw.slice(split + 4)) >= Number(length)) finish();
    });
    socket.on('end', finish);
    socket.on('error', (err) => (chunks.length ? finish() : reject(err)));
    socket.write(bytes, () => {
      if (options.halfClose) socket.end();
    });
  });
}

function answer(status: number, headers: Answer['headers'], text: string): Answer {
  let body: Answer['body'];
  try {
    body = text ? (JSON.parse(text) as Record<string, any>) : undefined;
  } catch {
    body = undefined;
  }
  return { status, headers, text, body };
}

function withTimeout<T>(timeoutInMs: number, what: string, run: (resolve: (value: T) => void, reject: (err: unknown) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutInMs} ms`)), timeoutInMs);
    run(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
