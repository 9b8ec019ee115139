import { mysqlDeniedFunctions } from './mysqlDeniedFunctions.js';
import { sqlParserQueryRefusal, type SqlParserDialect } from './sqlParserQueryGuard.js';

// MariaDB's grammar in node-sql-parser is MySQL's plus MariaDB's additions; one check serves both.
const mariadb: SqlParserDialect = { database: 'MariaDB', build: 'mariadb', engineName: 'MySQL/MariaDB', denied: mysqlDeniedFunctions, lockingHints: new Set() };

/**
 * Why MySQL/MariaDB must not run `sql` as a source query, or undefined when it is one SELECT that
 * changes nothing, locks nothing and calls nothing outside the session.
 */
export function mysqlQueryRefusal(sql: string): string | undefined {
  // `/*! ... */` and `/*M! ... */` are comments to a parser and code to the server: whatever they
  // hold (INTO OUTFILE, a second statement) would run unchecked.
  if (/\/\*[M]?!/i.test(sql)) return 'must not contain executable comments (/*! ... */): the server runs what they hold';
  // The parser's MariaDB grammar lacks MySQL 8's FOR SHARE and the older LOCK IN SHARE MODE;
  // named here so the reason is clear.
  const shareLock = /\b(LOCK\s+IN\s+SHARE\s+MODE|FOR\s+SHARE)\b/i.exec(sql);
  if (shareLock) return `must not lock rows (${shareLock[1]!.toUpperCase().replace(/\s+/g, ' ')})`;
  return sqlParserQueryRefusal(sql, mariadb);
}
