import type { Engine } from '../../spec/pipelineSpec.js';
import { getIn, isRecord, type Draft } from './draft.js';

export const engineLabels: Record<Engine, string> = { postgres: 'PostgreSQL', mysql: 'MySQL / MariaDB', sqlserver: 'SQL Server' };

/** The source's fields every engine has; SQL Server's own follow (see sqlServerOnly). */
const commonSourceFields = ['engine', 'connectionSetting', 'statementTimeoutSeconds', 'lockTimeoutSeconds'] as const;
/** What only SQL Server's source takes; the schema refuses these keys for the other engines. */
export const sqlServerOnly = ['authentication', 'encrypt', 'trustServerCertificate', 'packetSize'] as const;

export const sourceLabels: Record<string, string> = {
  'source.engine': 'Engine',
  'source.connectionSetting': 'Connection setting',
  'source.statementTimeoutSeconds': 'Statement timeout (seconds)',
  'source.lockTimeoutSeconds': 'Lock timeout (seconds)',
  'source.authentication': 'Authentication',
  'source.encrypt': 'Encrypt the connection (TLS)',
  'source.trustServerCertificate': 'Trust the server certificate without validating it',
  'source.packetSize': 'TDS packet size (bytes)',
};

export const engineOf = (draft: Draft): string | undefined => {
  const engine = getIn(draft, 'source.engine');
  return typeof engine === 'string' ? engine : undefined;
};

/** The source fields shown for the draft's engine, in document order. */
export function sourceFieldPaths(draft: Draft): string[] {
  const names: string[] = [...commonSourceFields];
  if (engineOf(draft) === 'sqlserver') names.push(...sqlServerOnly);
  return names.map((name) => `source.${name}`);
}

/**
 * The engine switch: the other engines refuse SQL Server's keys, so they are set aside while
 * another engine is picked (and come back if SQL Server is picked again).
 */
export function switchEngine(draft: Draft, engine: string | undefined, aside: Record<string, unknown>): { draft: Draft; aside: Record<string, unknown> } {
  const source = isRecord(draft.source) ? { ...draft.source } : {};
  const nextAside = { ...aside };
  if (engine === 'sqlserver') {
    for (const key of sqlServerOnly) if (nextAside[key] !== undefined && source[key] === undefined) source[key] = nextAside[key];
  } else {
    for (const key of sqlServerOnly) {
      if (source[key] !== undefined) nextAside[key] = source[key];
      delete source[key];
    }
  }
  if (engine === undefined) delete source.engine;
  else source.engine = engine;
  return { draft: { ...draft, source }, aside: nextAside };
}

