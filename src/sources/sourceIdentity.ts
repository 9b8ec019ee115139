import { createHash } from 'node:crypto';
import pg from 'pg';
import { NonRetryableError } from '../errors/errorTypes.js';
import { readConnectionSetting } from '../settings.js';
import type { SourceSpec } from '../spec/pipelineSpec.js';
import { sqlServerEndpoint } from './sqlserver/sqlServerConnector.js';

/**
 * Which database server and database a source reaches, as `engine://host:port/database` in lower
 * case, read from the connection string its setting holds (never the user or password). Two
 * settings naming the same server and database are one source: source.maxSessions counts the
 * sessions on the server, not per setting. Nothing connects.
 */
export function sourceIdentityOf(source: SourceSpec, env: NodeJS.ProcessEnv = process.env): string {
  const connectionString = readConnectionSetting(source.connectionSetting, env);
  const identity = (host: string, port: number | string, database: string | undefined) => `${source.engine}://${loopbackAs(host)}:${port}/${database ?? ''}`.toLowerCase();
  switch (source.engine) {
    case 'postgres': {
      // pg's own reading of the string (URL or key=value, with PG* environment defaults), as it would connect.
      const client = new pg.Client({ connectionString });
      return identity(client.host, client.port, client.database);
    }
    case 'mysql': {
      let url: URL;
      try {
        url = new URL(connectionString);
      } catch {
        throw new NonRetryableError('The MySQL/MariaDB connection string is not a URL like mysql://user:password@host:3306/database');
      }
      return identity(url.hostname, url.port || 3306, decodeURIComponent(url.pathname.replace(/^\//, '')));
    }
    case 'sqlserver': {
      const endpoint = sqlServerEndpoint(connectionString);
      const host = endpoint.server.replace(/^tcp:/i, '');
      return identity(host, endpoint.instanceName ? `\\${endpoint.instanceName}` : endpoint.port ?? 1433, endpoint.database);
    }
  }
}

/**
 * One name for this machine's loopback, which a connection string may spell `localhost`,
 * `127.0.0.1` or `::1`: the same server counted once. Other names are taken as written, with no
 * DNS lookup (a lookup at every session would add latency and a dependency on DNS to every
 * copy): two names of one remote server still count apart.
 */
function loopbackAs(host: string): string {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name) ? '127.0.0.1' : host;
}

/** The identity as a Table Storage partition key: a hash, since host names and databases may hold characters keys refuse. */
export function sourceKeyOf(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 40);
}
