import { readConnectionSetting } from '../settings.js';
import type { SourceSpec } from '../spec/pipelineSpec.js';
import { PostgresConnector } from './postgres/postgresConnector.js';
import { MysqlConnector } from './mysql/mysqlConnector.js';
import { SqlServerConnector } from './sqlserver/sqlServerConnector.js';
import type { SourceConnector } from './sourceConnector.js';
import { sessionLimitsOf } from './sessionLimits.js';

/** Connects to a pipeline's source with the connection string held by the app setting it names, with the source's session limits. */
export async function openSource(source: SourceSpec): Promise<SourceConnector> {
  const connectionString = readConnectionSetting(source.connectionSetting);
  switch (source.engine) {
    case 'postgres':
      return PostgresConnector.connect(connectionString, sessionLimitsOf(source), source.readMode);
    case 'mysql':
      return MysqlConnector.connect(connectionString, sessionLimitsOf(source));
    case 'sqlserver':
      return SqlServerConnector.connect(connectionString, source);
  }
}
