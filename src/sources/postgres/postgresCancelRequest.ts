import { connect } from 'node:net';

/** The protocol's CancelRequest code (1234 << 16 | 5678). */
const cancelRequestCode = 80_877_102;
const cancelTimeoutInMs = 10_000;

export type BackendKey = { host: string; port: number; processId: number; secretKey: number };

/**
 * Asks the server to cancel the statement a session is running, as psql's Ctrl+C does: a new
 * connection sends CancelRequest with the session's backend key (process id and secret key, given
 * at startup) and closes. Unlike pg_cancel_backend it needs no rights at all, so Siphon keeps to
 * a read-only login. The server answers nothing; the cancelled statement fails on its own session
 * with SQLSTATE 57014. Unix-socket hosts are reached by their socket path.
 */
export function sendCancelRequest(key: BackendKey): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = key.host.startsWith('/') ? connect(`${key.host}/.s.PGSQL.${key.port}`) : connect(key.port, key.host);
    socket.setTimeout(cancelTimeoutInMs, () => socket.destroy(new Error(`CancelRequest to ${key.host}:${key.port} timed out`)));
    socket.once('error', reject);
    socket.once('close', () => resolve());
    socket.once('connect', () => {
      const message = Buffer.alloc(16);
      message.writeInt32BE(16, 0);
      message.writeInt32BE(cancelRequestCode, 4);
      message.writeInt32BE(key.processId, 8);
      message.writeInt32BE(key.secretKey, 12);
      socket.end(message);
    });
  });
}
