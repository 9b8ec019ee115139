import { sqlServerDeniedFunctions } from './sqlServerDeniedFunctions.js';
import { sqlParserQueryRefusal, type SqlParserDialect } from './sqlParserQueryGuard.js';

/** Hints that take shared locks for longer, or update and exclusive locks, where a read takes none it keeps. */
const lockingHints = new Set(['updlock', 'xlock', 'tablock', 'tablockx', 'holdlock', 'serializable', 'repeatableread', 'paglock']);

const tsql: SqlParserDialect = { database: 'TransactSQL', build: 'transactsql', engineName: 'T-SQL', denied: sqlServerDeniedFunctions, lockingHints };

/**
 * Why SQL Server must not run `sql` as a source query, or undefined when it is one SELECT that
 * changes nothing, locks nothing and calls nothing outside the query.
 *
 * SQL Server has no read-only session: a T-SQL batch may hold any number of statements and the
 * server runs them all. On SQL Server this check, with the login's rights, is the whole guard.
 */
export function sqlServerQueryRefusal(sql: string): string | undefined {
  // SQL Server nests block comments; a parser that does not would end one early and check as code
  // what the server skips, or skip what the server runs.
  if (/\/\*(?:(?!\*\/)[\s\S])*\/\*/.test(sql)) return 'must not nest block comments (/* /* */ */)';
  // Raw-text checks below may also refuse a string that holds these words: the safe side.
  if (/\bEXEC(?:UTE)?\b/i.test(sql)) return 'must be a SELECT, not EXEC';
  if (/\bWAITFOR\b/i.test(sql)) return 'must not use WAITFOR: it holds the session without reading anything';
  if (/\bNEXT\s+VALUE\s+FOR\b/i.test(sql)) return 'must not use NEXT VALUE FOR: it advances a sequence';
  return sqlParserQueryRefusal(sql, tsql);
}
