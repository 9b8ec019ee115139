import { createRequire } from 'node:module';
import { deniedCallPattern, whyDenied, type DeniedFunctions } from './deniedFunctions.js';

/**
 * The check shared by the engines that node-sql-parser reads (MySQL/MariaDB and T-SQL): one
 * statement, a SELECT, nothing that writes, locks or calls a denied function, anywhere in the
 * tree. Each engine's module adds what only its dialect has.
 */
export type SqlParserDialect = {
  /**
   * node-sql-parser's name of the dialect, and its build (one dialect's grammar, not all of
   * them). test/support/measureQueryParsers.mjs also tries its other dialects with this check.
   */
  database: 'MariaDB' | 'TransactSQL';
  build: 'mariadb' | 'transactsql';
  /** How messages name the engine. */
  engineName: string;
  denied: DeniedFunctions;
  /** Table hints (T-SQL `WITH (UPDLOCK)`) that take locks a plain read does not, in lower case. */
  lockingHints: ReadonlySet<string>;
};

type Parser = { astify(sql: string, options: { database: string }): unknown };
type ParserModule = { Parser: new () => Parser };

const parsers = new Map<string, Parser>();

function parserFor(dialect: SqlParserDialect): Parser {
  let parser = parsers.get(dialect.build);
  if (!parser) {
    const module = createRequire(import.meta.url)(`node-sql-parser/build/${dialect.build}`) as ParserModule;
    parser = new module.Parser();
    parsers.set(dialect.build, parser);
  }
  return parser;
}

/** Statement kinds node-sql-parser reports that are not a read (lower case; ORDER BY's `DESC` is upper case). */
const statementKinds = new Set(['insert', 'replace', 'update', 'delete', 'merge', 'create', 'drop', 'alter', 'truncate', 'rename', 'use', 'set', 'lock', 'unlock', 'call', 'exec', 'execute', 'declare', 'grant', 'revoke', 'load_data', 'show', 'transaction']);

const semicolonRefusal = 'must not contain a semicolon: give one SELECT without a trailing ";"';

/** A statement terminator after the last token, perhaps followed by comments. */
const trailingSemicolon = /;\s*(?:(?:--|#)[^\n]*(?:\n\s*|$)|\/\*[\s\S]*?\*\/\s*)*$/;

export function sqlParserQueryRefusal(sql: string, dialect: SqlParserDialect): string | undefined {
  // Named before parsing, so a call the grammar cannot read is still refused for what it is.
  const deniedCall = findDeniedCallInText(sql, dialect);
  if (deniedCall) return deniedCall;
  // The parser reads `SELECT 1;` as one statement, but the semicolon would end the derived table
  // Siphon wraps around the query; refused rather than stripped, so what is stored is what runs.
  if (trailingSemicolon.test(sql)) return semicolonRefusal;
  let tree: unknown;
  try {
    tree = parserFor(dialect).astify(sql, { database: dialect.database });
  } catch (err) {
    return `cannot be parsed as ${dialect.engineName}: ${firstLine(err instanceof Error ? err.message : String(err))}`;
  }
  const statements = Array.isArray(tree) ? tree : [tree];
  if (statements.length !== 1) return `must be exactly one statement, found ${statements.length}`;
  if (Array.isArray(tree)) return semicolonRefusal;
  const type = typeOf(statements[0]);
  if (type !== 'select') return `must be a SELECT, not ${type ? type.toUpperCase() : 'this statement'}`;
  return findInTree(statements[0], dialect);
}

function typeOf(node: unknown): string | undefined {
  return typeof node === 'object' && node !== null && 'type' in node && typeof node.type === 'string' ? node.type : undefined;
}

function findInTree(node: unknown, dialect: SqlParserDialect): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findInTree(item, dialect);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  const found = refusalOf(node as Record<string, unknown>, dialect);
  if (found) return found;
  for (const value of Object.values(node)) {
    const inside = findInTree(value, dialect);
    if (inside) return inside;
  }
  return undefined;
}

function refusalOf(node: Record<string, unknown>, dialect: SqlParserDialect): string | undefined {
  const type = typeOf(node);
  if (type && statementKinds.has(type)) return `must not change anything: it holds ${type.toUpperCase()}`;
  const into = node.into as { expr?: unknown; keyword?: unknown } | null | undefined;
  if (type === 'select' && into && (into.expr || into.keyword)) {
    const keyword = typeof into.keyword === 'string' ? ` ${into.keyword.toUpperCase()}` : '';
    return `must not use SELECT ... INTO${keyword} (it writes a table, a file or variables)`;
  }
  if (typeof node.locking_read === 'string' && node.locking_read) return `must not lock rows (${node.locking_read.toUpperCase()})`;
  if (node.table_hint) {
    const hint = hintNames(node.table_hint).find((name) => dialect.lockingHints.has(name));
    if (hint) return `must not take locks a read does not need (table hint ${hint.toUpperCase()})`;
  }
  if (type === 'function') {
    const name = functionName(node.name);
    const why = name === undefined ? undefined : whyDenied(dialect.denied, name);
    if (why) return `must not call ${name}: it ${why}`;
  }
  return undefined;
}

/** The words of a table hint clause, in lower case: `WITH (UPDLOCK, INDEX(ix))` gives updlock, index, ix. */
function hintNames(hint: unknown): string[] {
  const words: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) Object.values(node).forEach(visit);
    else if (typeof node === 'string') words.push(...node.toLowerCase().split(/[^a-z_]+/).filter(Boolean));
  };
  visit(hint);
  return words;
}

/** The called name's last part: `master.dbo.xp_cmdshell` is xp_cmdshell. */
function functionName(name: unknown): string | undefined {
  if (typeof name === 'string') return name;
  const parts = (name as { name?: Array<{ value?: unknown }> } | null)?.name ?? [];
  const last = parts[parts.length - 1]?.value;
  return typeof last === 'string' ? last : undefined;
}

/**
 * The tree is the parser's reading; the server's may differ where the grammar is incomplete (a
 * construct read as an identifier, say). So the raw text is searched too: a denied name followed
 * by `(` anywhere, even in a string or a comment, is refused. Refusing too much is the safe side.
 */
function findDeniedCallInText(sql: string, dialect: SqlParserDialect): string | undefined {
  const match = deniedCallPattern(dialect.denied).exec(sql);
  if (!match) return undefined;
  const name = match[1]!;
  return `must not call ${name}: it ${whyDenied(dialect.denied, name)}`;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
