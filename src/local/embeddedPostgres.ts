import { connect, createServer, type Server, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export type EmbeddedPostgres = { db: PGlite; connectionString: string; stop: () => Promise<void> };

/**
 * PGlite served over the PostgreSQL wire protocol on loopback, so the real `pg` driver is
 * exercised. PGlite is a single session: its socket server refuses a second connection, and
 * multiplexing sessions would interleave their cursors. So clients connect to a small gate that
 * lets one through at a time; the others wait, connected, until it disconnects.
 */
export async function startEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  const db = await PGlite.create();
  const backend = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await backend.start();
  // getServerConn() answers "host:port" once the server listens.
  const backendPort = Number(backend.getServerConn().split(':').pop());

  const waiting: Socket[] = [];
  let busy = false;
  const next = (): void => {
    const client = waiting.shift();
    if (!client) {
      busy = false;
      return;
    }
    if (client.destroyed) return next();
    busy = true;
    const upstream = connect(backendPort, '127.0.0.1');
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      client.destroy();
      upstream.destroy();
      // PGlite notices the closed socket on its next tick; give it that before the next client.
      setTimeout(next, 5);
    };
    client.on('close', release).on('error', release);
    upstream.on('close', release).on('error', release);
    client.pipe(upstream).pipe(client);
    client.resume();
  };

  const gate: Server = createServer({ pauseOnConnect: true }, (client) => {
    waiting.push(client);
    if (!busy) next();
  });
  await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
  return {
    db,
    connectionString: `postgres://postgres@127.0.0.1:${portOf(gate)}/postgres`,
    stop: async () => {
      for (const socket of waiting) socket.destroy();
      await new Promise<void>((resolve) => gate.close(() => resolve()));
      await backend.stop();
      await db.close();
    },
  };
}

function portOf(server: Server): number {
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('Server is not listening');
  return address.port;
}
