import type { Engine } from '../../spec/pipelineSpec.js';
import { mysqlQueryRefusal } from './mysqlQueryGuard.js';
import { postgresQueryRefusal } from './postgresQueryGuard.js';
import { sqlServerQueryRefusal } from './sqlServerQueryGuard.js';

/**
 * Why a pipeline's `query` may not be run on its engine, or undefined when it may: the first
 * layer of "nothing Siphon does can write to a source". The query must parse, in the engine's
 * dialect, as exactly one SELECT that writes nothing, locks nothing and calls no function that
 * reaches outside the session. The read-only sessions and bound statements of the connectors are
 * the layers behind it.
 */
export function sourceQueryRefusal(engine: Engine, sql: string): string | undefined {
  switch (engine) {
    case 'postgres': return postgresQueryRefusal(sql);
    case 'mysql': return mysqlQueryRefusal(sql);
    case 'sqlserver': return sqlServerQueryRefusal(sql);
  }
}
