import { readConnectionSetting } from '../settings.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { PostgresConnector } from './postgres/postgresConnector.js';
import type { SourceConnector } from './sourceConnector.js';

/** Connects to a pipeline's source with the connection string held by the app setting it names. */
export async function openSource(source: PipelineSpec['source']): Promise<SourceConnector> {
  const connectionString = readConnectionSetting(source.connectionSetting);
  switch (source.engine) {
    case 'postgres':
      return PostgresConnector.connect(connectionString);
  }
}
