/**
 * A parser for the T-SQL subset the SQL Server test double accepts: what Siphon's SQL Server
 * connector sends (SELECT with TOP, OFFSET/FETCH, joins, CROSS APPLY, CTEs, derived tables,
 * TABLESAMPLE, CAST/CONVERT, CASE, aggregates), tedious' SET options, and UPDATE STATISTICS.
 * Anything else is refused with SQL Server's syntax error, naming the statement.
 */

export class SqlServerError extends Error {
  constructor(readonly number: number, message: string, readonly severity = 16, readonly state = 1) {
    super(message);
  }
}

/** The refusal for anything outside the subset: SQL Server's error 102, with the statement named. */
export function outsideSubset(near: string, statement: string, what?: string): SqlServerError {
  const shown = statement.replace(/\s+/g, ' ').trim();
  const excerpt = shown.length > 300 ? `${shown.slice(0, 300)}...` : shown;
  return new SqlServerError(102, `Incorrect syntax near '${near}'. ${what ? `${what} is` : 'This statement is'} outside the T-SQL subset that the Siphon TDS test server translates to PostgreSQL: ${excerpt}`, 15);
}

// ---------------------------------------------------------------------------------------------
// Lexer

export type TokenKind = 'word' | 'ident' | 'number' | 'string' | 'param' | 'op' | 'eof';
export type Tok = { kind: TokenKind; text: string; value: string; unicode?: boolean; pos: number };

const opChars = ['<=', '>=', '<>', '!=', '!<', '!>', '(', ')', ',', '.', ';', '*', '+', '-', '/', '%', '=', '<', '>'];

export function tokenize(sql: string): Tok[] {
  const tokens: Tok[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') { depth++; i += 2; } else if (sql[i] === '*' && sql[i + 1] === '/') { depth--; i += 2; } else i++;
      }
      continue;
    }
    const start = i;
    if (c === '[') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlServerError(105, `Unclosed quotation mark after the character string '${value}'.`, 15);
        if (sql[i] === ']') {
          if (sql[i + 1] === ']') { value += ']'; i += 2; continue; }
          i++;
          break;
        }
        value += sql[i++];
      }
      tokens.push({ kind: 'ident', text: sql.slice(start, i), value, pos: start });
      continue;
    }
    if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlServerError(105, `Unclosed quotation mark after the character string '${value}'.`, 15);
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') { value += '"'; i += 2; continue; }
          i++;
          break;
        }
        value += sql[i++];
      }
      tokens.push({ kind: 'ident', text: sql.slice(start, i), value, pos: start });
      continue;
    }
    if (c === "'" || ((c === 'N' || c === 'n') && sql[i + 1] === "'")) {
      const unicode = c !== "'";
      i += unicode ? 2 : 1;
      let value = '';
      for (;;) {
        if (i >= n) throw new SqlServerError(105, `Unclosed quotation mark after the character string '${value}'.`, 15);
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") { value += "'"; i += 2; continue; }
          i++;
          break;
        }
        value += sql[i++];
      }
      tokens.push({ kind: 'string', text: sql.slice(start, i), value, unicode, pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
      i += m[0].length;
      tokens.push({ kind: 'number', text: m[0], value: m[0], pos: start });
      continue;
    }
    if (c === '@') {
      const m = /^@@?[A-Za-z0-9_#$@]*/.exec(sql.slice(i))!;
      i += m[0].length;
      tokens.push({ kind: 'param', text: m[0], value: m[0].slice(1).toLowerCase(), pos: start });
      continue;
    }
    if (/[A-Za-z_#]/.test(c) || c.charCodeAt(0) > 127) {
      const m = /^[A-Za-z_#\u0080-\uffff][A-Za-z0-9_#$@\u0080-\uffff]*/.exec(sql.slice(i))!;
      i += m[0].length;
      tokens.push({ kind: 'word', text: m[0], value: m[0].toLowerCase(), pos: start });
      continue;
    }
    const op = opChars.find((candidate) => sql.startsWith(candidate, i));
    if (!op) throw new SqlServerError(102, `Incorrect syntax near '${c}'.`, 15);
    i += op.length;
    tokens.push({ kind: 'op', text: op, value: op, pos: start });
  }
  tokens.push({ kind: 'eof', text: '', value: '', pos: n });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// AST

export type Expr =
  | { k: 'col'; parts: string[] }
  | { k: 'num'; text: string }
  | { k: 'str'; value: string; unicode: boolean }
  | { k: 'null' }
  | { k: 'param'; name: string }
  | { k: 'unary'; op: '-' | '+' | 'not'; e: Expr }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'isnull'; e: Expr; not: boolean }
  | { k: 'in'; e: Expr; list: Expr[]; not: boolean }
  | { k: 'between'; e: Expr; lo: Expr; hi: Expr; not: boolean }
  | { k: 'like'; e: Expr; pattern: Expr; not: boolean }
  | { k: 'call'; name: string; args: Expr[]; star: boolean; distinct: boolean }
  | { k: 'cast'; e: Expr; type: string }
  | { k: 'convert'; type: string; e: Expr; style?: Expr }
  | { k: 'case'; operand?: Expr; whens: Array<{ when: Expr; then: Expr }>; else?: Expr };

export type SelectItem = { k: 'star'; qualifier?: string } | { k: 'expr'; e: Expr; alias?: string };

export type Source =
  | { k: 'table'; parts: string[]; alias?: string; sample?: { percent: string; seed?: string } }
  | { k: 'derived'; select: Select; alias: string }
  | { k: 'tvf'; parts: string[]; args: Expr[]; alias?: string }
  /** CHANGETABLE(CHANGES table, last_sync_version): Change Tracking's changes after a version (emulated: changeTracking.ts). */
  | { k: 'changetable'; parts: string[]; last: Expr; alias?: string };

export type Join = { kind: 'inner' | 'left' | 'cross' | 'crossApply' | 'outerApply'; source: Source; on?: Expr };

export type Select = {
  ctes: Array<{ name: string; select: Select }>;
  distinct: boolean;
  top?: Expr;
  items: SelectItem[];
  from?: { first: Source; joins: Join[] };
  where?: Expr;
  groupBy: Expr[];
  having?: Expr;
  orderBy: Array<{ e: Expr; desc: boolean }>;
  offset?: Expr;
  fetch?: Expr;
};

export type Statement =
  | { k: 'select'; select: Select; text: string }
  | { k: 'set'; option: string; text: string; lockTimeoutMs?: number; isolation?: string }
  | { k: 'updateStatistics'; parts: string[]; text: string }
  | { k: 'transaction'; action: 'begin' | 'commit' | 'rollback'; text: string };

// ---------------------------------------------------------------------------------------------
// Parser

/** Words that end an expression or clause, so they are never taken as a bare alias. */
const reserved = new Set([
  'select', 'from', 'where', 'group', 'order', 'having', 'offset', 'fetch', 'union', 'except', 'intersect', 'join', 'inner',
  'left', 'right', 'full', 'cross', 'outer', 'on', 'as', 'with', 'tablesample', 'option', 'for', 'into', 'and', 'or', 'not',
  'is', 'in', 'between', 'like', 'case', 'when', 'then', 'else', 'end', 'top', 'distinct', 'by', 'asc', 'desc', 'null', 'set',
  'update', 'insert', 'delete', 'apply', 'repeatable', 'rows', 'row', 'only', 'next', 'exists', 'go', 'declare', 'exec', 'execute',
]);

const setOptions = new Set([
  'ansi_nulls', 'ansi_null_dflt_on', 'ansi_padding', 'ansi_warnings', 'arithabort', 'arithignore', 'concat_null_yields_null',
  'cursor_close_on_commit', 'implicit_transactions', 'numeric_roundabort', 'quoted_identifier', 'xact_abort', 'nocount',
  'textsize', 'language', 'dateformat', 'datefirst', 'lock_timeout', 'deadlock_priority', 'transaction',
]);

export function parseBatch(sql: string): Statement[] {
  return new Parser(sql).batch();
}

class Parser {
  private readonly tokens: Tok[];
  private i = 0;
  private statementStart = 0;

  constructor(private readonly sql: string) {
    this.tokens = tokenize(sql);
  }

  batch(): Statement[] {
    const statements: Statement[] = [];
    for (;;) {
      while (this.isOp(';')) this.i++;
      if (this.peek().kind === 'eof') return statements;
      this.statementStart = this.peek().pos;
      statements.push(this.statement());
    }
  }

  // -- helpers

  private peek(offset = 0): Tok {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private next(): Tok {
    const tok = this.peek();
    if (tok.kind !== 'eof') this.i++;
    return tok;
  }

  private isWord(word: string, offset = 0): boolean {
    const tok = this.peek(offset);
    return tok.kind === 'word' && tok.value === word;
  }

  private isOp(op: string, offset = 0): boolean {
    const tok = this.peek(offset);
    return tok.kind === 'op' && tok.value === op;
  }

  private acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.i++;
    return true;
  }

  private acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }

  private statementText(): string {
    const end = this.peek().kind === 'eof' ? this.sql.length : this.peek().pos;
    return this.sql.slice(this.statementStart, end).trim() || this.sql.slice(this.statementStart).trim();
  }

  private fail(what?: string): never {
    const tok = this.peek();
    // The whole rest of the batch from this statement on, so the error names it.
    const statement = this.sql.slice(this.statementStart);
    throw outsideSubset(tok.kind === 'eof' ? statement.trim().split(/\s+/).pop() ?? '' : tok.text, statement, what);
  }

  private expectWord(word: string): void {
    if (!this.acceptWord(word)) this.fail();
  }

  private expectOp(op: string): void {
    if (!this.acceptOp(op)) this.fail();
  }

  private identifier(): string {
    const tok = this.peek();
    if (tok.kind === 'ident' || (tok.kind === 'word' && !reserved.has(tok.value))) {
      this.i++;
      return tok.kind === 'ident' ? tok.value : tok.text;
    }
    return this.fail();
  }

  private isIdentifierStart(offset = 0): boolean {
    const tok = this.peek(offset);
    return tok.kind === 'ident' || (tok.kind === 'word' && !reserved.has(tok.value));
  }

  /** a, a.b, a.b.c */
  private multipart(): string[] {
    const parts = [this.identifier()];
    // After a dot any word names a column or object, keywords included (sp.rows).
    while (this.isOp('.') && (this.peek(1).kind === 'word' || this.peek(1).kind === 'ident')) {
      this.i++;
      const tok = this.next();
      parts.push(tok.kind === 'ident' ? tok.value : tok.text);
    }
    return parts;
  }

  // -- statements

  private statement(): Statement {
    if (this.isWord('select') || this.isWord('with')) {
      const select = this.selectStatement();
      return { k: 'select', select, text: this.statementText() };
    }
    if (this.isWord('set')) return this.setStatement();
    // BEGIN TRAN[SACTION], COMMIT [TRAN[SACTION]], ROLLBACK [TRAN[SACTION]]: one transaction, no names or nesting.
    if (this.isWord('begin') && (this.isWord('tran', 1) || this.isWord('transaction', 1))) {
      this.i += 2;
      return { k: 'transaction', action: 'begin', text: this.statementText() };
    }
    if (this.isWord('commit') || this.isWord('rollback')) {
      const action = this.next().value as 'commit' | 'rollback';
      if (!this.acceptWord('tran')) this.acceptWord('transaction');
      return { k: 'transaction', action, text: this.statementText() };
    }
    if (this.isWord('update') && this.isWord('statistics', 1)) {
      this.i += 2;
      const parts = this.multipart();
      return { k: 'updateStatistics', parts, text: this.statementText() };
    }
    return this.fail();
  }

  /**
   * Session options: tedious' own and the connector's. All are accepted; LOCK_TIMEOUT (the one
   * whose effect a test can see) is kept so the server can apply it, the rest are ignored as
   * they change nothing the subset depends on.
   */
  private setStatement(): Statement {
    this.expectWord('set');
    const option = this.peek();
    if (option.kind !== 'word' || !setOptions.has(option.value)) this.fail(`SET ${option.text}`);
    this.i++;
    if (option.value === 'transaction') {
      this.expectWord('isolation');
      this.expectWord('level');
      let isolation: string;
      if (this.acceptWord('read')) {
        if (this.acceptWord('committed')) isolation = 'read committed';
        else if (this.acceptWord('uncommitted')) isolation = 'read uncommitted';
        else this.fail();
      } else if (this.acceptWord('repeatable')) {
        this.expectWord('read');
        isolation = 'repeatable read';
      } else if (this.acceptWord('serializable')) isolation = 'serializable';
      else if (this.acceptWord('snapshot')) isolation = 'snapshot';
      else this.fail();
      return { k: 'set', option: option.value, text: this.statementText(), isolation };
    } else if (option.value === 'lock_timeout') {
      const negative = this.acceptOp('-');
      const value = this.next();
      if (value.kind !== 'number' || !/^\d+$/.test(value.text)) this.fail();
      return { k: 'set', option: option.value, text: this.statementText(), lockTimeoutMs: negative ? -Number(value.text) : Number(value.text) };
    } else {
      const value = this.next();
      if (value.kind === 'eof') this.fail();
    }
    return { k: 'set', option: option.value, text: this.statementText() };
  }

  private selectStatement(): Select {
    const ctes: Select['ctes'] = [];
    if (this.acceptWord('with')) {
      do {
        const name = this.identifier();
        if (this.isOp('(')) this.fail('A CTE column list');
        this.expectWord('as');
        this.expectOp('(');
        const select = this.selectStatement();
        this.expectOp(')');
        ctes.push({ name, select });
      } while (this.acceptOp(','));
    }
    const select = this.select();
    select.ctes = ctes;
    if (this.isWord('union') || this.isWord('except') || this.isWord('intersect') || this.isWord('for') || this.isWord('option') || this.isWord('into')) this.fail();
    return select;
  }

  private select(): Select {
    this.expectWord('select');
    const select: Select = { ctes: [], distinct: false, items: [], groupBy: [], orderBy: [] };
    if (this.acceptWord('distinct')) select.distinct = true;
    else this.acceptWord('all');
    if (this.acceptWord('top')) {
      if (this.acceptOp('(')) {
        select.top = this.expr();
        this.expectOp(')');
      } else {
        const tok = this.next();
        if (tok.kind !== 'number' && tok.kind !== 'param') this.fail();
        select.top = tok.kind === 'number' ? { k: 'num', text: tok.value } : { k: 'param', name: tok.value };
      }
      if (this.isWord('percent') || this.isWord('with')) this.fail('TOP ... PERCENT / WITH TIES');
    }
    do select.items.push(this.selectItem());
    while (this.acceptOp(','));
    if (this.isWord('into')) this.fail('SELECT ... INTO');
    if (this.acceptWord('from')) select.from = this.fromClause();
    if (this.acceptWord('where')) select.where = this.expr();
    if (this.isWord('group')) {
      this.i++;
      this.expectWord('by');
      do select.groupBy.push(this.expr());
      while (this.acceptOp(','));
    }
    if (this.acceptWord('having')) select.having = this.expr();
    if (this.isWord('order')) {
      this.i++;
      this.expectWord('by');
      do {
        const e = this.expr();
        const desc = this.acceptWord('desc');
        if (!desc) this.acceptWord('asc');
        select.orderBy.push({ e, desc });
      } while (this.acceptOp(','));
    }
    if (this.acceptWord('offset')) {
      select.offset = this.expr();
      if (!this.acceptWord('rows') && !this.acceptWord('row')) this.fail();
      if (this.acceptWord('fetch')) {
        if (!this.acceptWord('next') && !this.acceptWord('first')) this.fail();
        select.fetch = this.expr();
        if (!this.acceptWord('rows') && !this.acceptWord('row')) this.fail();
        this.expectWord('only');
      }
    }
    return select;
  }

  private selectItem(): SelectItem {
    if (this.acceptOp('*')) return { k: 'star' };
    if (this.isIdentifierStart() && this.isOp('.', 1) && this.isOp('*', 2)) {
      const qualifier = this.identifier();
      this.i += 2;
      return { k: 'star', qualifier };
    }
    if (this.isIdentifierStart() && this.isOp('=', 1) && !this.isOp('=', 2)) this.fail('The `alias = expression` form');
    const e = this.expr();
    const alias = this.alias();
    return alias === undefined ? { k: 'expr', e } : { k: 'expr', e, alias };
  }

  private alias(): string | undefined {
    if (this.acceptWord('as')) {
      const tok = this.peek();
      if (tok.kind === 'string') {
        this.i++;
        return tok.value;
      }
      return this.identifier();
    }
    if (this.isIdentifierStart()) return this.identifier();
    return undefined;
  }

  private fromClause(): NonNullable<Select['from']> {
    const first = this.source();
    const joins: Join[] = [];
    for (;;) {
      if (this.acceptOp(',')) {
        joins.push({ kind: 'cross', source: this.source() });
        continue;
      }
      if (this.isWord('cross') && this.isWord('apply', 1)) {
        this.i += 2;
        joins.push({ kind: 'crossApply', source: this.source() });
        continue;
      }
      if (this.isWord('outer') && this.isWord('apply', 1)) {
        this.i += 2;
        joins.push({ kind: 'outerApply', source: this.source() });
        continue;
      }
      if (this.isWord('cross') && this.isWord('join', 1)) {
        this.i += 2;
        joins.push({ kind: 'cross', source: this.source() });
        continue;
      }
      let kind: Join['kind'] | undefined;
      if (this.isWord('join')) { this.i++; kind = 'inner'; } else if (this.isWord('inner') && this.isWord('join', 1)) { this.i += 2; kind = 'inner'; } else if (this.isWord('left')) {
        this.i++;
        this.acceptWord('outer');
        this.expectWord('join');
        kind = 'left';
      } else if (this.isWord('right') || this.isWord('full')) this.fail('RIGHT / FULL JOIN');
      if (!kind) return { first, joins };
      const source = this.source();
      this.expectWord('on');
      joins.push({ kind, source, on: this.expr() });
    }
  }

  private source(): Source {
    if (this.acceptOp('(')) {
      if (!this.isWord('select') && !this.isWord('with')) this.fail();
      const select = this.selectStatement();
      this.expectOp(')');
      const alias = this.alias();
      if (alias === undefined) this.fail('A derived table without an alias');
      return { k: 'derived', select, alias };
    }
    if (this.isWord('changetable') && this.isOp('(', 1)) {
      this.i += 2;
      if (!this.acceptWord('changes')) this.fail('CHANGETABLE other than CHANGES');
      const parts = this.multipart();
      this.expectOp(',');
      const last = this.expr();
      this.expectOp(')');
      const alias = this.alias();
      return alias === undefined ? { k: 'changetable', parts, last } : { k: 'changetable', parts, last, alias };
    }
    const parts = this.multipart();
    if (this.acceptOp('(')) {
      const args: Expr[] = [];
      if (!this.isOp(')')) {
        do args.push(this.expr());
        while (this.acceptOp(','));
      }
      this.expectOp(')');
      const alias = this.alias();
      return alias === undefined ? { k: 'tvf', parts, args } : { k: 'tvf', parts, args, alias };
    }
    const alias = this.isWord('tablesample') ? undefined : this.alias();
    const source: Source = alias === undefined ? { k: 'table', parts } : { k: 'table', parts, alias };
    if (this.acceptWord('tablesample')) {
      this.acceptWord('system');
      this.expectOp('(');
      const percent = this.next();
      if (percent.kind !== 'number') this.fail();
      this.expectWord('percent');
      this.expectOp(')');
      let seed: string | undefined;
      if (this.acceptWord('repeatable')) {
        this.expectOp('(');
        const tok = this.next();
        if (tok.kind !== 'number') this.fail();
        seed = tok.value;
        this.expectOp(')');
      }
      source.sample = seed === undefined ? { percent: percent.value } : { percent: percent.value, seed };
    }
    if (this.isWord('with') && this.isOp('(', 1)) this.fail('A table hint');
    return source;
  }

  // -- expressions, lowest precedence first

  expr(): Expr {
    let left = this.andExpr();
    while (this.acceptWord('or')) left = { k: 'bin', op: 'or', l: left, r: this.andExpr() };
    return left;
  }

  private andExpr(): Expr {
    let left = this.notExpr();
    while (this.acceptWord('and')) left = { k: 'bin', op: 'and', l: left, r: this.notExpr() };
    return left;
  }

  private notExpr(): Expr {
    if (this.acceptWord('not')) return { k: 'unary', op: 'not', e: this.notExpr() };
    if (this.isWord('exists')) this.fail('EXISTS');
    return this.predicate();
  }

  private predicate(): Expr {
    const left = this.additive();
    const tok = this.peek();
    if (tok.kind === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>=', '!<', '!>'].includes(tok.value)) {
      this.i++;
      return { k: 'bin', op: tok.value, l: left, r: this.additive() };
    }
    if (this.acceptWord('is')) {
      const not = this.acceptWord('not');
      this.expectWord('null');
      return { k: 'isnull', e: left, not };
    }
    const not = this.isWord('not') && (this.isWord('in', 1) || this.isWord('between', 1) || this.isWord('like', 1));
    if (not) this.i++;
    if (this.acceptWord('in')) {
      this.expectOp('(');
      if (this.isWord('select')) this.fail('IN (SELECT ...)');
      const list: Expr[] = [];
      do list.push(this.additive());
      while (this.acceptOp(','));
      this.expectOp(')');
      return { k: 'in', e: left, list, not };
    }
    if (this.acceptWord('between')) {
      const lo = this.additive();
      this.expectWord('and');
      return { k: 'between', e: left, lo, hi: this.additive(), not };
    }
    if (this.acceptWord('like')) {
      const pattern = this.additive();
      if (this.isWord('escape')) this.fail('LIKE ... ESCAPE');
      return { k: 'like', e: left, pattern, not };
    }
    if (not) this.fail();
    return left;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      if (this.acceptOp('+')) left = { k: 'bin', op: '+', l: left, r: this.multiplicative() };
      else if (this.acceptOp('-')) left = { k: 'bin', op: '-', l: left, r: this.multiplicative() };
      else return left;
    }
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const tok = this.peek();
      if (tok.kind === 'op' && (tok.value === '*' || tok.value === '/' || tok.value === '%')) {
        this.i++;
        left = { k: 'bin', op: tok.value, l: left, r: this.unary() };
      } else return left;
    }
  }

  private unary(): Expr {
    if (this.acceptOp('-')) return { k: 'unary', op: '-', e: this.unary() };
    if (this.acceptOp('+')) return this.unary();
    return this.primary();
  }

  private typeName(): string {
    const name = this.next();
    if (name.kind !== 'word' && name.kind !== 'ident') this.fail();
    let text = name.kind === 'ident' ? name.value : name.text;
    if (this.isWord('varying')) this.fail();
    if (this.acceptOp('(')) {
      const size = this.next();
      if (size.kind !== 'number' && !(size.kind === 'word' && size.value === 'max')) this.fail();
      text += `(${size.value}`;
      if (this.acceptOp(',')) {
        const scale = this.next();
        if (scale.kind !== 'number') this.fail();
        text += `,${scale.value}`;
      }
      this.expectOp(')');
      text += ')';
    }
    return text;
  }

  private primary(): Expr {
    const tok = this.peek();
    if (tok.kind === 'number') {
      this.i++;
      return { k: 'num', text: tok.value };
    }
    if (tok.kind === 'string') {
      this.i++;
      return { k: 'str', value: tok.value, unicode: tok.unicode === true };
    }
    if (tok.kind === 'param') {
      if (tok.text.startsWith('@@')) this.fail(tok.text);
      this.i++;
      return { k: 'param', name: tok.value };
    }
    if (this.acceptOp('(')) {
      if (this.isWord('select') || this.isWord('with')) this.fail('A subquery');
      const e = this.expr();
      this.expectOp(')');
      return e;
    }
    if (this.acceptWord('null')) return { k: 'null' };
    if (this.acceptWord('case')) {
      const operand = this.isWord('when') ? undefined : this.expr();
      const whens: Array<{ when: Expr; then: Expr }> = [];
      while (this.acceptWord('when')) {
        const when = this.expr();
        this.expectWord('then');
        whens.push({ when, then: this.expr() });
      }
      if (whens.length === 0) this.fail();
      const otherwise = this.acceptWord('else') ? this.expr() : undefined;
      this.expectWord('end');
      const node: Expr = { k: 'case', whens };
      if (operand) node.operand = operand;
      if (otherwise) node.else = otherwise;
      return node;
    }
    if (tok.kind === 'word' && this.isOp('(', 1)) {
      const name = tok.value;
      this.i += 2;
      if (name === 'cast') {
        const e = this.expr();
        this.expectWord('as');
        const type = this.typeName();
        this.expectOp(')');
        return { k: 'cast', e, type };
      }
      if (name === 'convert' || name === 'try_convert') {
        if (name === 'try_convert') this.fail('TRY_CONVERT');
        const type = this.typeName();
        this.expectOp(',');
        const e = this.expr();
        const node: Expr = { k: 'convert', type, e };
        if (this.acceptOp(',')) node.style = this.expr();
        this.expectOp(')');
        return node;
      }
      const call: Expr = { k: 'call', name, args: [], star: false, distinct: false };
      if (this.acceptOp('*')) call.star = true;
      else if (!this.isOp(')')) {
        if (this.acceptWord('distinct')) call.distinct = true;
        do call.args.push(this.expr());
        while (this.acceptOp(','));
      }
      this.expectOp(')');
      if (this.isWord('over')) this.fail('A window function');
      return call;
    }
    if (this.isIdentifierStart()) {
      const parts = this.multipart();
      // sys.fn_cdc_*(...): a system function named with its schema.
      if (this.isOp('(') && parts.length === 2 && parts[0]!.toLowerCase() === 'sys' && parts[1]!.toLowerCase().startsWith('fn_cdc_')) {
        this.i++;
        const call: Expr = { k: 'call', name: `sys.${parts[1]!.toLowerCase()}`, args: [], star: false, distinct: false };
        if (!this.isOp(')')) {
          do call.args.push(this.expr());
          while (this.acceptOp(','));
        }
        this.expectOp(')');
        return call;
      }
      if (this.isOp('(')) this.fail(`The function ${parts.join('.')}`);
      return { k: 'col', parts };
    }
    return this.fail();
  }
}
