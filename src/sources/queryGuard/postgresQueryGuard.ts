import { loadModule, parseSync, scanSync, hasSqlDetails } from 'libpg-query';
import { whyDenied } from './deniedFunctions.js';
import { postgresDeniedFunctions } from './postgresDeniedFunctions.js';

// PostgreSQL's own parser, compiled to WebAssembly. It loads once, when this module is first
// imported, so the check itself stays synchronous (zod's safeParse, which the API uses, is).
await loadModule();

/** Statements by the name the parser gives them, as a reader would say them. */
const statementNames: Record<string, string> = {
  InsertStmt: 'INSERT', UpdateStmt: 'UPDATE', DeleteStmt: 'DELETE', MergeStmt: 'MERGE', CopyStmt: 'COPY', DoStmt: 'DO',
  CallStmt: 'CALL', VariableSetStmt: 'SET', TransactionStmt: 'a transaction command', ExplainStmt: 'EXPLAIN',
  CreateTableAsStmt: 'CREATE TABLE AS', DropStmt: 'DROP', TruncateStmt: 'TRUNCATE', LockStmt: 'LOCK', ExecuteStmt: 'EXECUTE',
  PrepareStmt: 'PREPARE', DeclareCursorStmt: 'DECLARE CURSOR', FetchStmt: 'FETCH', ListenStmt: 'LISTEN', NotifyStmt: 'NOTIFY',
  VacuumStmt: 'VACUUM', GrantStmt: 'GRANT', AlterTableStmt: 'ALTER TABLE', CreateStmt: 'CREATE TABLE',
};
const changesData = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

const lockStrengths: Record<string, string> = {
  LCS_FORKEYSHARE: 'FOR KEY SHARE', LCS_FORSHARE: 'FOR SHARE', LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE', LCS_FORUPDATE: 'FOR UPDATE',
};

/**
 * Why PostgreSQL must not run `sql` as a source query, or undefined when it is one SELECT (or
 * VALUES, TABLE, WITH ... SELECT) that changes nothing, locks nothing and calls nothing outside
 * the session.
 */
export function postgresQueryRefusal(sql: string): string | undefined {
  let parsed: { stmts?: Array<{ stmt?: Record<string, unknown> }> };
  try {
    parsed = parseSync(sql) as typeof parsed;
  } catch (err) {
    const position = hasSqlDetails(err) && err.sqlDetails?.cursorPosition !== undefined ? ` (at character ${err.sqlDetails.cursorPosition + 1})` : '';
    return `cannot be parsed as PostgreSQL: ${err instanceof Error ? err.message : String(err)}${position}`;
  }
  const statements = parsed.stmts ?? [];
  if (statements.length !== 1) return `must be exactly one statement, found ${statements.length}`;
  // One statement may still end in a semicolon, which would end the derived table Siphon wraps
  // around it; refused rather than stripped, so what is stored is what runs.
  if (scanSync(sql).tokens.some((token) => token.text === ';')) return 'must not contain a semicolon: give one SELECT without a trailing ";"';
  const statement = statements[0]!.stmt ?? {};
  const kind = Object.keys(statement)[0] ?? 'nothing';
  if (kind !== 'SelectStmt') return `must be a SELECT, not ${statementNames[kind] ?? kind.replace(/Stmt$/, '').toUpperCase()}`;
  return findInTree(statement);
}

/** The first thing anywhere in the tree (subqueries and CTEs included) that a read may not do. */
function findInTree(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findInTree(item);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  for (const [key, value] of Object.entries(node)) {
    const found = refusalOf(key, value) ?? findInTree(value);
    if (found) return found;
  }
  return undefined;
}

function refusalOf(key: string, value: unknown): string | undefined {
  // PostgreSQL runs data-modifying statements inside WITH even when the outer query is a SELECT.
  if (changesData.has(key)) return `must not change data: it holds ${statementNames[key]} (in a WITH clause or subquery)`;
  if (key === 'intoClause') return 'must not use SELECT ... INTO (it creates a table)';
  if (key === 'lockingClause') {
    const strength = (value as Array<{ LockingClause?: { strength?: string } }>)[0]?.LockingClause?.strength ?? '';
    return `must not lock rows (${lockStrengths[strength] ?? 'FOR UPDATE/SHARE'})`;
  }
  if (key === 'FuncCall') {
    const parts = ((value as { funcname?: Array<{ String?: { sval?: string } }> }).funcname ?? []).map((part) => part.String?.sval ?? '');
    const name = parts[parts.length - 1] ?? '';
    const why = whyDenied(postgresDeniedFunctions, name);
    if (why) return `must not call ${parts.join('.')}: it ${why}`;
  }
  return undefined;
}
