import { outsideSubset, parseBatch, SqlServerError, type Expr, type Select, type Source, type Statement } from './tsqlParser.js';
import {
  canonicalLiteral, encodableTypes, formatSqlType, higherType, isIntegerType, isNumericType, isStringType, parseSqlType, storageType,
  type ParamValue, type SqlType,
} from './sqlTypes.js';
import type { ResultColumn } from './tokens.js';

/**
 * Translates the T-SQL the SQL Server connector sends into PostgreSQL, with SQL Server's types:
 * every expression is typed (columns from the type catalog, literals, parameters, CAST/CONVERT,
 * functions), SQL Server's rules are applied where PostgreSQL's differ (data type precedence in
 * comparisons, case-insensitive string comparison, NULLs first in ascending order, truncating
 * conversion to integers, CONVERT styles), and the result columns come out with the SQL Server
 * types the server announces in COLMETADATA. Anything it does not know is refused with an error
 * naming the statement, never guessed.
 */

/** What the translator needs to know about the database: tables with their columns. */
export type CatalogReader = {
  /** Columns of a table or view, or undefined when there is none by that name (case-insensitive). */
  table(schema: string, name: string): Promise<TableInfo | undefined>;
  /** Checks that a translated query compiles, without running it; a SqlServerError if not. */
  check(sql: string, params: unknown[]): Promise<void>;
  database: string;
  /**
   * The rowversion a transaction still open is taken to hold (the server's holdRowversion hook):
   * MIN_ACTIVE_ROWVERSION() is no higher than it. Undefined: no transaction is open.
   */
  heldRowversion?: bigint | undefined;
};

export type TableInfo = { schema: string; name: string; columns: Array<{ name: string; type: SqlType; nullable: boolean; pgType: string }> };

export type Translation =
  | { k: 'select'; sql: string; params: unknown[]; columns: ResultColumn[]; text: string }
  | { k: 'set'; text: string; pgSql?: string }
  | { k: 'utility'; sql: string; text: string };

/** A typed PostgreSQL expression: its SQL, its SQL Server type, whether it can be NULL. */
type TE = { sql: string; type: SqlType; nullable: boolean; literal?: string | undefined; name?: string | undefined };

const BOOL: SqlType = { name: 'boolean' };
const NULL_TYPE: SqlType = { name: 'null' };

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export const defaultSchema = 'dbo';

/** sys catalog views and their columns' SQL Server types. */
const sysViews: Record<string, Array<[string, string]>> = {
  schemas: [['schema_id', 'int'], ['name', 'sysname'], ['principal_id', 'int']],
  objects: [['object_id', 'int'], ['name', 'sysname'], ['schema_id', 'int'], ['type', 'char(2)'], ['type_desc', 'nvarchar(60)']],
  columns: [['object_id', 'int'], ['name', 'sysname'], ['column_id', 'int'], ['system_type_id', 'tinyint'], ['user_type_id', 'int'], ['max_length', 'smallint'], ['precision', 'tinyint'], ['scale', 'tinyint'], ['is_nullable', 'bit']],
  types: [['name', 'sysname'], ['system_type_id', 'tinyint'], ['user_type_id', 'int'], ['max_length', 'smallint'], ['precision', 'tinyint'], ['scale', 'tinyint'], ['is_assembly_type', 'bit'], ['is_user_defined', 'bit']],
  indexes: [['object_id', 'int'], ['index_id', 'int'], ['name', 'sysname'], ['type', 'tinyint'], ['is_primary_key', 'bit'], ['is_unique', 'bit'], ['has_filter', 'bit'], ['is_disabled', 'bit'], ['data_space_id', 'int']],
  partition_schemes: [['data_space_id', 'int'], ['function_id', 'int'], ['name', 'sysname']],
  partition_functions: [['function_id', 'int'], ['name', 'sysname']],
  allocation_units: [['allocation_unit_id', 'bigint'], ['type', 'tinyint'], ['container_id', 'bigint'], ['total_pages', 'bigint'], ['used_pages', 'bigint']],
  index_columns: [['object_id', 'int'], ['index_id', 'int'], ['index_column_id', 'int'], ['column_id', 'int'], ['key_ordinal', 'tinyint'], ['is_descending_key', 'bit'], ['is_included_column', 'bit'], ['partition_ordinal', 'tinyint']],
  partitions: [['partition_id', 'bigint'], ['object_id', 'int'], ['index_id', 'int'], ['partition_number', 'int'], ['rows', 'bigint']],
  stats: [['object_id', 'int'], ['stats_id', 'int'], ['name', 'sysname'], ['auto_created', 'bit']],
  stats_columns: [['object_id', 'int'], ['stats_id', 'int'], ['stats_column_id', 'int'], ['column_id', 'int']],
};

const sysFunctions: Record<string, { args: string[]; columns: Array<[string, string]> }> = {
  dm_db_stats_properties: {
    args: ['int', 'int'],
    columns: [['object_id', 'int'], ['stats_id', 'int'], ['last_updated', 'datetime2(7)'], ['rows', 'bigint'], ['rows_sampled', 'bigint'], ['steps', 'int'], ['unfiltered_rows', 'bigint'], ['modification_counter', 'bigint']],
  },
  dm_db_stats_histogram: {
    args: ['int', 'int'],
    columns: [['object_id', 'int'], ['stats_id', 'int'], ['step_number', 'int'], ['range_high_key', 'sql_variant'], ['range_rows', 'real'], ['equal_rows', 'real'], ['distinct_range_rows', 'bigint'], ['average_range_rows', 'real']],
  },
};

const describeColumns: Array<[string, string]> = [
  ['column_ordinal', 'int'], ['name', 'sysname'], ['is_nullable', 'bit'], ['system_type_id', 'int'], ['system_type_name', 'nvarchar(256)'],
  ['max_length', 'smallint'], ['precision', 'tinyint'], ['scale', 'tinyint'], ['error_number', 'int'], ['error_severity', 'int'],
  ['error_state', 'int'], ['error_message', 'nvarchar(4096)'],
];

type ScopeColumn = { name: string; sql: string; type: SqlType; nullable: boolean };
type ScopeSource = { alias: string; names: string[]; columns: ScopeColumn[] };

/** Translates a batch; parameters are sp_executesql's, by lowercase name without `@`. */
export async function translateBatch(sql: string, params: Map<string, ParamValue>, catalog: CatalogReader): Promise<Translation[]> {
  const statements = parseBatch(sql);
  const out: Translation[] = [];
  for (const statement of statements) out.push(await new Translator(params, catalog, statement).translate());
  return out;
}

class Translator {
  private readonly pgParams: unknown[] = [];
  private readonly paramIndex = new Map<string, number>();
  private aliasCounter = 0;
  private readonly ctes: Array<Map<string, { pgName: string; columns: ScopeColumn[] }>> = [];

  constructor(private readonly params: Map<string, ParamValue>, private readonly catalog: CatalogReader, private readonly statement: Statement) {}

  private refuse(near: string, what?: string): never {
    throw outsideSubset(near, this.statement.text, what);
  }

  async translate(): Promise<Translation> {
    const statement = this.statement;
    switch (statement.k) {
      case 'set':
        // SQL Server's LOCK_TIMEOUT (ms, -1 waits forever) is PostgreSQL's lock_timeout (ms, 0 waits forever).
        if (statement.lockTimeoutMs !== undefined) return { k: 'set', text: statement.text, pgSql: `SET lock_timeout = ${Math.max(0, statement.lockTimeoutMs)}` };
        return { k: 'set', text: statement.text };
      case 'updateStatistics': {
        const table = await this.resolveTable(statement.parts);
        return { k: 'utility', sql: `ANALYZE ${quote(table.schema)}.${quote(table.name)}`, text: statement.text };
      }
      case 'select': {
        const { sql, columns } = await this.select(statement.select, [], true);
        for (const column of columns) {
          if (!encodableTypes.has(column.type.name)) this.refuse(column.name || formatSqlType(column.type), `A result column of type ${formatSqlType(column.type)}`);
        }
        return { k: 'select', sql, params: this.pgParams, columns: columns.map(({ name, type, nullable }) => ({ name, type, nullable })), text: statement.text };
      }
    }
  }

  // -- SELECT

  private async select(select: Select, outer: ScopeSource[], top: boolean): Promise<{ sql: string; columns: Array<ScopeColumn & { name: string }> }> {
    const cteScope = new Map<string, { pgName: string; columns: ScopeColumn[] }>();
    const cteSql: string[] = [];
    this.ctes.push(cteScope);
    try {
      for (const cte of select.ctes) {
        const inner = await this.select(cte.select, [], false);
        const pgName = `cte${++this.aliasCounter}`;
        inner.columns.forEach((column, i) => {
          if (!column.name) throw new SqlServerError(8155, `No column name was specified for column ${i + 1} of '${cte.name}'.`);
        });
        cteScope.set(cte.name.toLowerCase(), { pgName, columns: inner.columns });
        cteSql.push(`${pgName} AS (${inner.sql})`);
      }
      const scope: ScopeSource[] = [];
      let from = '';
      if (select.from) {
        from = await this.source(select.from.first, scope);
        for (const join of select.from.joins) {
          const sql = await this.source(join.source, scope);
          switch (join.kind) {
            case 'inner': from += `\n  JOIN ${sql} ON ${this.predicate(join.on!, scope)}`; break;
            case 'left': from += `\n  LEFT JOIN ${sql} ON ${this.predicate(join.on!, scope)}`; break;
            case 'cross': from += `\n  CROSS JOIN ${sql}`; break;
            case 'crossApply': from += `\n  CROSS JOIN LATERAL ${sql}`; break;
            case 'outerApply': from += `\n  LEFT JOIN LATERAL ${sql} ON true`; break;
          }
        }
      }
      const all = [...scope, ...outer];
      const items: Array<TE & { name: string }> = [];
      for (const item of select.items) {
        if (item.k === 'star') {
          const sources = item.qualifier ? scope.filter((s) => s.names.includes(item.qualifier!.toLowerCase())) : scope;
          if (item.qualifier && sources.length === 0) throw new SqlServerError(4104, `The multi-part identifier "${item.qualifier}" could not be bound.`);
          if (sources.length === 0) throw new SqlServerError(263, 'Must specify table to select from.');
          for (const source of sources) for (const column of source.columns) items.push({ ...column });
          continue;
        }
        const te = this.expr(item.e, all);
        if (te.type.name === 'boolean') this.refuse(item.alias ?? 'expression', 'A predicate in a select list');
        const name = item.alias ?? (item.e.k === 'col' ? te.name ?? '' : '');
        items.push({ ...te, name });
      }
      const where = select.where ? `\n WHERE ${this.predicate(select.where, all)}` : '';
      const groupBy = select.groupBy.length ? `\n GROUP BY ${select.groupBy.map((e) => this.expr(e, all).sql).join(', ')}` : '';
      const having = select.having ? `\n HAVING ${this.predicate(select.having, all)}` : '';
      const orderBy = select.orderBy.length ? `\n ORDER BY ${select.orderBy.map((o) => this.orderItem(o.e, o.desc, items, all)).join(', ')}` : '';
      let limit = '';
      if (select.top) {
        const count = this.convert(this.expr(select.top, all), { name: 'bigint' });
        limit = `\n LIMIT ${count}`;
      }
      if (select.offset) {
        if (!select.orderBy.length) throw new SqlServerError(102, "Incorrect syntax near 'OFFSET'. OFFSET needs an ORDER BY.", 15);
        limit += `\n OFFSET ${this.convert(this.expr(select.offset, all), { name: 'bigint' })} ROWS`;
        if (select.fetch) limit += ` FETCH NEXT ${this.convert(this.expr(select.fetch, all), { name: 'bigint' })} ROWS ONLY`;
      }
      // Each value in the exact storage form of its type, so its text is what the encoder expects.
      const list = items.map((item, i) => `${this.finalize(item)} AS ${quote(top ? `c${i + 1}` : item.name || `c${i + 1}`)}`);
      const sql = `${cteSql.length ? `WITH ${cteSql.join(', ')}\n` : ''}SELECT ${select.distinct ? 'DISTINCT ' : ''}${list.join(',\n       ')}${from ? `\n  FROM ${from}` : ''}${where}${groupBy}${having}${orderBy}${limit}`;
      return { sql, columns: items.map((item, i) => ({ name: item.name, sql: quote(top ? `c${i + 1}` : item.name || `c${i + 1}`), type: item.type, nullable: item.nullable })) };
    } finally {
      this.ctes.pop();
    }
  }

  private finalize(te: TE): string {
    if (te.type.name === 'null') return 'NULL::int4';
    if (isStringType(te.type) || ['time', 'datetime2', 'datetimeoffset', 'sql_variant'].includes(te.type.name)) return te.sql;
    return `(${te.sql})::${storageType(te.type)}`;
  }

  /** ORDER BY in SQL Server's order: NULLs first ascending, select-list aliases before columns, values not text. */
  private orderItem(e: Expr, desc: boolean, items: Array<TE & { name: string }>, scope: ScopeSource[]): string {
    let te: TE | undefined;
    if (e.k === 'col' && e.parts.length === 1) te = items.find((item) => item.name.toLowerCase() === e.parts[0]!.toLowerCase());
    if (!te && e.k === 'num') {
      const item = items[Number(e.text) - 1];
      if (!item) throw new SqlServerError(108, `The ORDER BY position number ${e.text} is out of range of the number of items in the select list.`);
      te = item;
    }
    te ??= this.expr(e, scope);
    return `${this.sortKey(te)} ${desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`;
  }

  private sortKey(te: TE): string {
    if (te.type.name === 'datetimeoffset') return `siphon_tds.dto_utc(${te.sql}) COLLATE "C"`;
    if (te.type.name === 'datetime2' || te.type.name === 'time') return `(${te.sql}) COLLATE "C"`;
    return `(${te.sql})`;
  }

  private async source(source: Source, scope: ScopeSource[]): Promise<string> {
    const alias = `t${++this.aliasCounter}`;
    const add = (names: string[], columns: ScopeColumn[]) => {
      scope.push({ alias, names: names.map((n) => n.toLowerCase()), columns: columns.map((c) => ({ ...c, sql: c.sql.split('$$.').join(`${alias}.`) })) });
    };
    switch (source.k) {
      case 'derived': {
        const inner = await this.select(source.select, [], false);
        inner.columns.forEach((column, i) => {
          if (!column.name) throw new SqlServerError(8155, `No column name was specified for column ${i + 1} of '${source.alias}'.`);
        });
        add([source.alias], inner.columns.map((c) => ({ ...c, sql: `$$.${quote(c.name)}` })));
        return `(\n${inner.sql}\n) AS ${alias}`;
      }
      case 'tvf': {
        const [first, second, third] = source.parts.map((p) => p.toLowerCase());
        const name = third ?? second ?? first!;
        if (source.parts.length > 2 || (source.parts.length === 2 && first !== 'sys')) this.refuse(source.parts.join('.'), `The function ${source.parts.join('.')}`);
        if (name === 'dm_exec_describe_first_result_set') return this.describeFirstResultSet(source, alias, add);
        const fn = sysFunctions[name];
        if (!fn || source.parts.length !== 2) throw new SqlServerError(208, `Invalid object name '${source.parts.join('.')}'.`);
        if (source.args.length !== fn.args.length) throw new SqlServerError(216, `Parameters supplied for object '${source.parts.join('.')}' which is not a function.`);
        const args = source.args.map((arg, i) => this.convert(this.expr(arg, scope), parseSqlType(fn.args[i]!)));
        add([source.alias ?? name], fn.columns.map(([column, type]) => ({ name: column, sql: `$$.${quote(column)}`, type: parseSqlType(type), nullable: true })));
        return `siphon_sys.${name}(${args.join(', ')}) AS ${alias}`;
      }
      case 'table': {
        const parts = source.parts;
        const cte = parts.length === 1 ? this.findCte(parts[0]!) : undefined;
        if (cte) {
          if (source.sample) this.refuse('TABLESAMPLE', 'TABLESAMPLE of a CTE');
          add([source.alias ?? parts[0]!], cte.columns.map((c) => ({ ...c, sql: `$$.${c.sql}` })));
          return `${cte.pgName} AS ${alias}`;
        }
        if (parts.length === 2 && parts[0]!.toLowerCase() === 'sys') {
          const view = sysViews[parts[1]!.toLowerCase()];
          if (!view) throw new SqlServerError(208, `Invalid object name '${parts.join('.')}'.`);
          add([source.alias ?? parts[1]!], view.map(([column, type]) => ({ name: column, sql: `$$.${quote(column)}`, type: parseSqlType(type), nullable: true })));
          return `siphon_sys.${quote(parts[1]!.toLowerCase())} AS ${alias}`;
        }
        const table = await this.resolveTable(parts);
        add(source.alias ? [source.alias] : [table.name, parts[parts.length - 1]!], table.columns.map((c) => ({ name: c.name, sql: normalizeColumn(`$$.${quote(c.name)}`, c.pgType, c.type), type: c.type, nullable: c.nullable })));
        let sample = '';
        if (source.sample) sample = ` TABLESAMPLE SYSTEM (${Number(source.sample.percent)})${source.sample.seed !== undefined ? ` REPEATABLE (${Number(source.sample.seed)})` : ''}`;
        return `${quote(table.schema)}.${quote(table.name)} AS ${alias}${sample}`;
      }
    }
  }

  private findCte(name: string): { pgName: string; columns: ScopeColumn[] } | undefined {
    for (let i = this.ctes.length - 1; i >= 0; i--) {
      const found = this.ctes[i]!.get(name.toLowerCase());
      if (found) return { pgName: found.pgName, columns: found.columns.map((c) => ({ ...c, sql: quote(c.name) })) };
    }
    return undefined;
  }

  private async resolveTable(parts: string[]): Promise<TableInfo> {
    let schema = defaultSchema;
    let name: string;
    if (parts.length === 1) name = parts[0]!;
    else if (parts.length === 2) [schema, name] = parts as [string, string];
    else if (parts.length === 3 && parts[0]!.toLowerCase() === this.catalog.database.toLowerCase()) [, schema, name] = parts as [string, string, string];
    else throw new SqlServerError(208, `Invalid object name '${parts.join('.')}'.`);
    const table = await this.catalog.table(schema, name);
    if (!table) throw new SqlServerError(208, `Invalid object name '${parts.join('.')}'.`);
    return table;
  }

  /**
   * sys.dm_exec_describe_first_result_set(@sql, NULL, 0): the statement is translated (and
   * compiled by PostgreSQL, not run) and its result columns listed; an error comes back as a row
   * with error_number and error_message, as SQL Server does.
   */
  private async describeFirstResultSet(source: Extract<Source, { k: 'tvf' }>, alias: string, add: (names: string[], columns: ScopeColumn[]) => void): Promise<string> {
    const [sqlArg] = source.args;
    let text: string | undefined;
    if (sqlArg?.k === 'str') text = sqlArg.value;
    else if (sqlArg?.k === 'param') text = this.params.get(sqlArg.name)?.value ?? undefined;
    if (text === undefined) this.refuse('dm_exec_describe_first_result_set', 'dm_exec_describe_first_result_set of anything but a text or parameter');
    type Row = { ordinal: number; name: string | null; nullable: boolean | null; type: string | null; error?: SqlServerError };
    let rows: Row[];
    try {
      const translations = await translateBatch(text, this.params, this.catalog);
      const first = translations.find((t) => t.k === 'select');
      if (!first || first.k !== 'select') rows = [];
      else {
        await this.catalog.check(first.sql, first.params);
        rows = first.columns.map((column, i) => ({ ordinal: i + 1, name: column.name || null, nullable: column.nullable, type: formatSqlType(column.type) }));
      }
    } catch (err) {
      if (!(err instanceof SqlServerError)) throw err;
      rows = [{ ordinal: 0, name: null, nullable: null, type: null, error: err }];
    }
    const sqlOf = (value: string | number | boolean | null | undefined, pg: string) => (value === null || value === undefined ? `NULL::${pg}` : typeof value === 'string' ? `${literal(value)}::${pg}` : `${String(value)}::${pg}`);
    const values = rows.length
      ? rows.map((row) => `(${[
        sqlOf(row.ordinal, 'int4'), sqlOf(row.name, 'text'), sqlOf(row.nullable, 'bool'), sqlOf(row.type, 'text'),
        sqlOf(row.error?.number, 'int4'), sqlOf(row.error?.severity, 'int4'), sqlOf(row.error?.state, 'int4'), sqlOf(row.error?.message, 'text'),
      ].join(', ')})`).join(', ')
      : '(NULL::int4, NULL::text, NULL::bool, NULL::text, NULL::int4, NULL::int4, NULL::int4, NULL::text)';
    add([source.alias ?? 'dm_exec_describe_first_result_set'], describeColumns.map(([column, type]) => ({ name: column, sql: `$$.${quote(column)}`, type: parseSqlType(type), nullable: true })));
    return `(SELECT v.column_ordinal, v.name, v.is_nullable, ti.system_type_id::int4 AS system_type_id, v.system_type_name,
            ti.max_length, ti."precision", ti.scale, v.error_number, v.error_severity, v.error_state, v.error_message
       FROM (VALUES ${values}) AS v(column_ordinal, name, is_nullable, system_type_name, error_number, error_severity, error_state, error_message)
       LEFT JOIN LATERAL siphon_tds.type_info(v.system_type_name) ti ON true
      WHERE ${rows.length ? 'true' : 'false'}) AS ${alias}`;
  }

  // -- expressions

  private predicate(e: Expr, scope: ScopeSource[]): string {
    const te = this.expr(e, scope);
    if (te.type.name !== 'boolean') this.refuse(exprText(e), 'A non-boolean condition');
    return te.sql;
  }

  private column(parts: string[], scope: ScopeSource[]): TE {
    const name = parts[parts.length - 1]!;
    const qualifier = parts.length > 1 ? parts[parts.length - 2]!.toLowerCase() : undefined;
    const sources = qualifier ? scope.filter((s) => s.names.includes(qualifier)) : scope;
    if (qualifier && sources.length === 0) throw new SqlServerError(4104, `The multi-part identifier "${parts.join('.')}" could not be bound.`);
    const matches: ScopeColumn[] = [];
    for (const source of sources) {
      const exact = source.columns.find((c) => c.name === name) ?? source.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (exact) matches.push(exact);
    }
    if (matches.length === 0) throw new SqlServerError(207, `Invalid column name '${name}'.`);
    if (matches.length > 1) throw new SqlServerError(209, `Ambiguous column name '${name}'.`);
    const match = matches[0]!;
    return { sql: match.sql, type: match.type, nullable: match.nullable, name: match.name };
  }

  private param(name: string): TE {
    const param = this.params.get(name);
    if (!param) throw new SqlServerError(137, `Must declare the scalar variable "@${name}".`, 15, 2);
    let index = this.paramIndex.get(name);
    if (index === undefined) {
      this.pgParams.push(param.value);
      index = this.pgParams.length;
      this.paramIndex.set(name, index);
    }
    return { sql: `$${index}::${storageType(param.type)}`, type: param.type, nullable: param.value === null, literal: param.value ?? undefined };
  }

  private expr(e: Expr, scope: ScopeSource[]): TE {
    switch (e.k) {
      case 'col': return this.column(e.parts, scope);
      case 'param': return this.param(e.name);
      case 'null': return { sql: 'NULL', type: NULL_TYPE, nullable: true };
      case 'num': return numberLiteral(e.text);
      case 'str': {
        const type: SqlType = { name: e.unicode ? 'nvarchar' : 'varchar', length: Math.max(1, e.value.length) };
        return { sql: `${literal(e.value)}::text`, type, nullable: false, literal: e.value };
      }
      case 'unary': {
        if (e.op === 'not') return { sql: `(NOT ${this.predicate(e.e, scope)})`, type: BOOL, nullable: false };
        const inner = this.expr(e.e, scope);
        if (!isNumericType(inner.type) || inner.type.name === 'bit') this.refuse('-', `Negation of ${formatSqlType(inner.type)}`);
        if (inner.literal !== undefined && e.e.k === 'num') return numberLiteral(`-${e.e.text}`);
        return { sql: `(-${inner.sql})`, type: inner.type, nullable: inner.nullable };
      }
      case 'bin': return this.binary(e.op, e.l, e.r, scope);
      case 'isnull': {
        const inner = this.expr(e.e, scope);
        return { sql: `(${inner.sql} IS ${e.not ? 'NOT ' : ''}NULL)`, type: BOOL, nullable: false };
      }
      case 'in': {
        const left = this.expr(e.e, scope);
        const parts = e.list.map((item) => this.compare('=', left, this.expr(item, scope)));
        const any = `(${parts.join(' OR ')})`;
        return { sql: e.not ? `(NOT ${any})` : any, type: BOOL, nullable: false };
      }
      case 'between': {
        const value = this.expr(e.e, scope);
        const both = `(${this.compare('>=', value, this.expr(e.lo, scope))} AND ${this.compare('<=', value, this.expr(e.hi, scope))})`;
        return { sql: e.not ? `(NOT ${both})` : both, type: BOOL, nullable: false };
      }
      case 'like': {
        const value = this.expr(e.e, scope);
        const pattern = this.expr(e.pattern, scope);
        if (!isStringType(value.type) || !isStringType(pattern.type)) this.refuse('LIKE', `LIKE on ${formatSqlType(value.type)}`);
        if (pattern.literal !== undefined && /[[\]\\]/.test(pattern.literal)) this.refuse('LIKE', 'A LIKE pattern with [ ] classes or backslashes');
        return { sql: `(lower((${value.sql})::text) ${e.not ? 'NOT ' : ''}LIKE lower((${pattern.sql})::text))`, type: BOOL, nullable: false };
      }
      case 'cast': return this.conversion(this.expr(e.e, scope), e.type, undefined);
      case 'convert': {
        let style: number | undefined;
        if (e.style) {
          if (e.style.k !== 'num' || !/^\d+$/.test(e.style.text)) this.refuse('CONVERT', 'A CONVERT style that is not a number');
          style = Number(e.style.text);
        }
        return this.conversion(this.expr(e.e, scope), e.type, style);
      }
      case 'case': return this.caseExpr(e, scope);
      case 'call': return this.call(e, scope);
    }
  }

  private conversion(value: TE, typeText: string, style: number | undefined): TE {
    let type: SqlType;
    try {
      type = parseSqlType(typeText, 'conversion');
    } catch {
      throw new SqlServerError(243, `Type ${typeText} is not a defined system type.`);
    }
    if (!encodableTypes.has(type.name)) this.refuse(typeText, `CONVERT to ${typeText}`);
    return { sql: this.convert(value, type, style, true), type, nullable: value.nullable };
  }

  private binary(op: string, l: Expr, r: Expr, scope: ScopeSource[]): TE {
    if (op === 'and' || op === 'or') return { sql: `(${this.predicate(l, scope)} ${op.toUpperCase()} ${this.predicate(r, scope)})`, type: BOOL, nullable: false };
    const left = this.expr(l, scope);
    const right = this.expr(r, scope);
    if (['=', '<>', '!=', '<', '<=', '>', '>=', '!<', '!>'].includes(op)) {
      const pgOp = op === '!=' ? '<>' : op === '!<' ? '>=' : op === '!>' ? '<=' : op;
      return { sql: this.compare(pgOp, left, right), type: BOOL, nullable: false };
    }
    const nullable = left.nullable || right.nullable;
    if (op === '+' && (isStringType(left.type) || isStringType(right.type))) {
      const type = higherType(left.type, right.type);
      if (!isStringType(type)) return this.arithmetic(op, left, right, nullable);
      const length = typeof left.type.length === 'number' && typeof right.type.length === 'number' ? left.type.length + right.type.length : 'max';
      return { sql: `(${this.convert(left, { name: 'nvarchar', length: 'max' })} || ${this.convert(right, { name: 'nvarchar', length: 'max' })})`, type: { name: type.name === 'nchar' || type.name === 'nvarchar' ? 'nvarchar' : 'varchar', length }, nullable };
    }
    return this.arithmetic(op, left, right, nullable);
  }

  private arithmetic(op: string, left: TE, right: TE, nullable: boolean): TE {
    if (!isNumericType(left.type) && left.type.name !== 'null') this.refuse(op, `Arithmetic on ${formatSqlType(left.type)}`);
    if (!isNumericType(right.type) && right.type.name !== 'null') this.refuse(op, `Arithmetic on ${formatSqlType(right.type)}`);
    let type = higherType(left.type, right.type);
    if (type.name === 'bit') type = { name: 'int' };
    if (type.name === 'decimal' || type.name === 'numeric') {
      if (op === '/' || op === '%') this.refuse(op, 'Decimal division');
      const ls = left.type.scale ?? 0;
      const rs = right.type.scale ?? 0;
      type = op === '*' ? { name: 'decimal', precision: 38, scale: Math.min(38, ls + rs) } : { name: 'decimal', precision: 38, scale: Math.max(ls, rs) };
    }
    if (type.name === 'money' && (op === '*' || op === '/')) this.refuse(op, 'money multiplication');
    const a = this.convert(left, type);
    const b = this.convert(right, type);
    // SQL Server's integer division and modulo truncate toward zero, as PostgreSQL's do.
    return { sql: `(${a} ${op} ${b})`, type, nullable };
  }

  /** A comparison in SQL Server's terms: both sides in the type of higher precedence; strings case-insensitive. */
  private compare(op: string, left: TE, right: TE): string {
    // Strings compare without converting one to the other's length; trailing spaces and case do not count.
    if (isStringType(left.type) && isStringType(right.type)) return `(rtrim(lower((${left.sql})::text)) ${op} rtrim(lower((${right.sql})::text)))`;
    // Exact numbers compare as unconstrained numerics, so neither side overflows the other's precision.
    const exact = (t: SqlType) => isNumericType(t) && t.name !== 'real' && t.name !== 'float';
    const whole = (t: SqlType) => isIntegerType(t) || t.name === 'bit';
    if (exact(left.type) && exact(right.type) && !(whole(left.type) && whole(right.type))) {
      return `(${this.convert(left, { name: 'decimal', precision: 38, scale: 0 }, undefined, false, true)} ${op} ${this.convert(right, { name: 'decimal', precision: 38, scale: 0 }, undefined, false, true)})`;
    }
    const type = higherType(left.type, right.type);
    const a = this.convert(left, type);
    const b = this.convert(right, type);
    if (type.name === 'datetimeoffset') return `(siphon_tds.dto_utc(${a}) COLLATE "C" ${op} siphon_tds.dto_utc(${b}))`;
    if (type.name === 'datetime2' || type.name === 'time') return `((${a}) COLLATE "C" ${op} (${b}))`;
    if (isStringType(type)) return `(rtrim(lower((${a})::text)) ${op} rtrim(lower((${b})::text)))`;
    if (type.name === 'null') return 'NULL::bool';
    return `(${a} ${op} ${b})`;
  }

  private caseExpr(e: Extract<Expr, { k: 'case' }>, scope: ScopeSource[]): TE {
    const operand = e.operand ? this.expr(e.operand, scope) : undefined;
    const whens = e.whens.map((w) => ({ when: operand ? this.compare('=', operand, this.expr(w.when, scope)) : this.predicate(w.when, scope), then: this.expr(w.then, scope) }));
    const otherwise = e.else ? this.expr(e.else, scope) : undefined;
    let type: SqlType = NULL_TYPE;
    for (const te of [...whens.map((w) => w.then), ...(otherwise ? [otherwise] : [])]) type = higherType(type, te.type);
    if (isStringType(type)) {
      const lengths = [...whens.map((w) => w.then), ...(otherwise ? [otherwise] : [])].map((te) => te.type.length);
      type = { name: type.name, length: lengths.every((l) => typeof l === 'number') ? Math.max(...(lengths as number[])) : 'max' };
    }
    const nullable = !otherwise || otherwise.nullable || whens.some((w) => w.then.nullable);
    const sql = `(CASE ${whens.map((w) => `WHEN ${w.when} THEN ${this.convert(w.then, type)}`).join(' ')}${otherwise ? ` ELSE ${this.convert(otherwise, type)}` : ''} END)`;
    return { sql, type, nullable };
  }

  private call(e: Extract<Expr, { k: 'call' }>, scope: ScopeSource[]): TE {
    const name = e.name;
    const args = () => e.args.map((arg) => this.expr(arg, scope));
    const arity = (n: number) => {
      if (e.args.length !== n || e.star) throw new SqlServerError(174, `The ${name} function requires ${n} argument(s).`, 15);
    };
    switch (name) {
      case 'count': case 'count_big': {
        const type: SqlType = { name: name === 'count' ? 'int' : 'bigint' };
        if (e.star) return { sql: `count(*)::${storageType(type)}`, type, nullable: false };
        arity(1);
        const [value] = args();
        return { sql: `count(${e.distinct ? 'DISTINCT ' : ''}${value!.sql})::${storageType(type)}`, type, nullable: false };
      }
      case 'min': case 'max': {
        arity(1);
        const [value] = args();
        const t = value!.type;
        let sql: string;
        if (t.name === 'datetimeoffset') sql = `siphon_tds.dto_${name}(${value!.sql})`;
        else if (t.name === 'datetime2' || t.name === 'time') sql = `${name}((${value!.sql}) COLLATE "C")`;
        else if (t.name === 'bit') sql = `${name === 'min' ? 'bool_and' : 'bool_or'}(${value!.sql})`;
        else if (t.name === 'binary' || t.name === 'varbinary' || t.name === 'timestamp') sql = `siphon_tds.bytea_${name}(${value!.sql})`;
        else if (t.name === 'uniqueidentifier' || t.name === 'sql_variant') return this.refuse(name.toUpperCase(), `${name.toUpperCase()} of ${t.name}`);
        else sql = `${name}(${value!.sql})`;
        return { sql, type: t, nullable: true };
      }
      case 'sum': case 'avg': {
        arity(1);
        const [value] = args();
        const t = value!.type;
        let type: SqlType;
        if (t.name === 'tinyint' || t.name === 'smallint' || t.name === 'int') type = { name: 'int' };
        else if (t.name === 'bigint') type = { name: 'bigint' };
        else if (t.name === 'decimal' || t.name === 'numeric') type = { name: 'decimal', precision: 38, scale: name === 'avg' ? Math.max(6, t.scale!) : t.scale! };
        else if (t.name === 'money' || t.name === 'smallmoney') type = { name: 'money' };
        else if (t.name === 'real' || t.name === 'float') type = { name: 'float' };
        else return this.refuse(name.toUpperCase(), `${name.toUpperCase()} of ${t.name}`);
        const inner = `${name}(${e.distinct ? 'DISTINCT ' : ''}${value!.sql})`;
        return { sql: name === 'avg' && isIntegerType(type) ? `trunc(${inner})` : inner, type, nullable: true };
      }
      case 'isnull': {
        arity(2);
        const [value, fallback] = args();
        return { sql: `coalesce(${value!.sql}, ${this.convert(fallback!, value!.type)})`, type: value!.type, nullable: value!.nullable && fallback!.nullable };
      }
      case 'coalesce': {
        const values = args();
        if (values.length < 2) throw new SqlServerError(189, 'The coalesce function requires 2 to n arguments.', 15);
        const type = values.reduce<SqlType>((t, v) => higherType(t, v.type), NULL_TYPE);
        return { sql: `coalesce(${values.map((v) => this.convert(v, type)).join(', ')})`, type, nullable: values.every((v) => v.nullable) };
      }
      case 'nullif': {
        arity(2);
        const [a, b] = args();
        return { sql: `(CASE WHEN ${this.compare('=', a!, b!)} THEN NULL ELSE ${a!.sql} END)`, type: a!.type, nullable: true };
      }
      case 'rtrim': case 'ltrim': case 'upper': case 'lower': {
        arity(1);
        const [value] = args();
        if (!isStringType(value!.type)) return this.refuse(name.toUpperCase(), `${name.toUpperCase()} of ${value!.type.name}`);
        const type: SqlType = { name: value!.type.name === 'nchar' || value!.type.name === 'nvarchar' ? 'nvarchar' : 'varchar', length: value!.type.length ?? 'max' };
        return { sql: `${name}((${value!.sql})::text)`, type, nullable: value!.nullable };
      }
      case 'len': {
        arity(1);
        const [value] = args();
        if (!isStringType(value!.type)) return this.refuse('LEN', `LEN of ${value!.type.name}`);
        return { sql: `length(rtrim((${value!.sql})::text))::int4`, type: { name: 'int' }, nullable: value!.nullable };
      }
      case 'abs': {
        arity(1);
        const [value] = args();
        if (!isNumericType(value!.type)) return this.refuse('ABS', `ABS of ${value!.type.name}`);
        return { sql: `abs(${value!.sql})`, type: value!.type, nullable: value!.nullable };
      }
      case 'type_name': {
        arity(1);
        const [value] = args();
        return { sql: `siphon_sys.type_name(${this.convert(value!, { name: 'int' })})`, type: { name: 'nvarchar', length: 128 }, nullable: true };
      }
      // Reconciliation's checksum (src/sources/sqlserver/sqlServerChecksumQuery.ts): the forms it writes, no more.
      case 'hashbytes': {
        arity(2);
        const algorithm = e.args[0]!;
        if (algorithm.k !== 'str' || algorithm.value.toUpperCase() !== 'MD5') return this.refuse('HASHBYTES', 'HASHBYTES other than MD5');
        const value = this.expr(e.args[1]!, scope);
        // An nvarchar's bytes are UTF-16LE; a varchar's would be its code page's, which the double does not keep.
        let bytes: string;
        if (value.type.name === 'nvarchar' || value.type.name === 'nchar') bytes = `siphon_tds.utf16le(${value.type.name === 'nchar' ? `rpad((${value.sql})::text, ${value.type.length})` : `(${value.sql})::text`})`;
        else if (value.type.name === 'binary' || value.type.name === 'varbinary' || value.type.name === 'timestamp') bytes = value.sql;
        else return this.refuse('HASHBYTES', `HASHBYTES of ${formatSqlType(value.type)}`);
        return { sql: `decode(md5(${bytes}), 'hex')`, type: { name: 'varbinary', length: 8000 }, nullable: value.nullable };
      }
      case 'substring': {
        arity(3);
        const [value, start, length] = args();
        if (value!.type.name !== 'binary' && value!.type.name !== 'varbinary') return this.refuse('SUBSTRING', `SUBSTRING of ${formatSqlType(value!.type)}`);
        if (start!.literal === undefined && e.args[1]!.k !== 'num') return this.refuse('SUBSTRING', 'SUBSTRING from a non-literal position');
        const size = e.args[2]!.k === 'num' ? Number(e.args[2]!.text) : 8000;
        return { sql: `substring(${value!.sql} from ${this.convert(start!, { name: 'int' })} for ${this.convert(length!, { name: 'int' })})`, type: { name: 'varbinary', length: size }, nullable: value!.nullable };
      }
      case 'datediff': case 'datediff_big': {
        arity(3);
        const part = e.args[0]!;
        const unit = part.k === 'col' && part.parts.length === 1 ? part.parts[0]!.toLowerCase() : '';
        const [start, end] = e.args.slice(1).map((arg) => this.expr(arg, scope));
        const nullable = start!.nullable || end!.nullable;
        if (unit === 'day' && start!.type.name === 'date' && end!.type.name === 'date') {
          return { sql: `((${end!.sql}) - (${start!.sql}))::${name === 'datediff' ? 'int4' : 'int8'}`, type: { name: name === 'datediff' ? 'int' : 'bigint' }, nullable };
        }
        if (unit === 'microsecond' && name === 'datediff_big' && start!.type.name === end!.type.name) {
          return { sql: `(${microsOf(end!)} - ${microsOf(start!)})`, type: { name: 'bigint' }, nullable };
        }
        return this.refuse(name.toUpperCase(), `${name.toUpperCase()}(${unit}) of ${formatSqlType(start!.type)} and ${formatSqlType(end!.type)}`);
      }
      case 'datepart': {
        arity(2);
        const part = e.args[0]!;
        const value = this.expr(e.args[1]!, scope);
        if (part.k !== 'col' || part.parts.length !== 1 || part.parts[0]!.toLowerCase() !== 'tzoffset' || value.type.name !== 'datetimeoffset') return this.refuse('DATEPART', 'DATEPART other than TZOFFSET of a datetimeoffset');
        // 'yyyy-mm-dd hh:mi:ss.fffffff +hh:mm': the offset's sign at 29.
        const x = value.sql;
        return { sql: `((CASE WHEN substr(${x}, 29, 1) = '-' THEN -1 ELSE 1 END) * (substr(${x}, 30, 2)::int4 * 60 + substr(${x}, 33, 2)::int4))`, type: { name: 'int' }, nullable: value.nullable };
      }
      // The caller's default schema: the double's logins have no other than dbo, as most SQL Server users.
      case 'schema_name':
        arity(0);
        return { sql: `'dbo'::text`, type: { name: 'nvarchar', length: 128 }, nullable: true };
      case 'newid':
        arity(0);
        return { sql: 'gen_random_uuid()', type: { name: 'uniqueidentifier' }, nullable: false };
      case 'min_active_rowversion': {
        // @@DBTS + 1, or the rowversion a transaction still open holds (see CatalogReader.heldRowversion).
        arity(0);
        const held = this.catalog.heldRowversion;
        const next = 'siphon_tds.next_rowversion()';
        return { sql: `int8send(${held === undefined ? next : `least(${next}, ${BigInt(held).toString()}::int8)`})`, type: { name: 'binary', length: 8 }, nullable: false };
      }
      default:
        throw new SqlServerError(195, `'${name}' is not a recognized built-in function name.`, 15);
    }
  }

  /**
   * `value` as `to` (PostgreSQL SQL in to's storage form): SQL Server's conversion rules for the
   * pairs the subset needs, including the styles the connector uses (121 for datetime2, time and
   * datetimeoffset, 2 for money, 23 for date, 3 for float); any other pair is refused.
   */
  private convert(value: TE, to: SqlType, style?: number, explicit = false, unconstrained = false): string {
    const from = value.type;
    const x = value.sql;
    const f = from.name;
    const t = to.name;
    if (unconstrained) return f === 'bit' ? `(${x})::int4::numeric` : `(${x})::numeric`;
    // The 100 ns types share one canonical text whatever their scale: implicitly they convert as they are.
    if (!explicit && f === t && ['datetime2', 'datetimeoffset', 'time'].includes(t)) return x;
    // Implicit string conversions never cut a value to the other side's length.
    if (!explicit && isStringType(from) && isStringType(to)) return `(${x})::text`;
    const refuse = () => this.refuse(explicit ? 'CONVERT' : formatSqlType(to), `A conversion from ${formatSqlType(from)} to ${formatSqlType(to)}${style !== undefined ? ` with style ${style}` : ''}`);
    if (f === 'null') return `NULL::${storageType(to)}`;
    if (f === 'boolean') return refuse();
    if (style === undefined && formatSqlType(from) === formatSqlType(to)) return x;
    // A string literal (or parameter value) becomes the target type's canonical text here.
    if (isStringType(from) && value.literal !== undefined && ['datetime2', 'datetimeoffset', 'time'].includes(t)) {
      try {
        return `${literal(canonicalLiteral({ ...to, scale: 7 }, value.literal.trim().replace(/ ([+-]\d\d:\d\d)$/, '$1')))}::text`;
      } catch {
        throw new SqlServerError(241, 'Conversion failed when converting date and/or time from character string.');
      }
    }
    if (f === 'sql_variant') {
      // A histogram key: canonical text of the key's own type (see dm_db_stats_histogram).
      if (isIntegerType(to)) return `(${x})::numeric::${storageType(to)}`;
      if (t === 'date') return `substr(${x}, 1, 10)::date`;
      if (t === 'datetime2' || t === 'datetimeoffset') return x;
      if (t === 'binary' || t === 'varbinary') return `decode(substr(${x}, 3), 'hex')`;
      return refuse();
    }
    switch (t) {
      case 'tinyint': case 'smallint': case 'int': case 'bigint': {
        const pg = storageType(to);
        if (isIntegerType(from)) return `(${x})::${pg}`;
        if (f === 'bit') return pg === 'int4' ? `(${x})::int4` : `(${x})::int4::${pg}`;
        if (isNumericType(from)) return `trunc(${x})::${pg}`;
        if (isStringType(from)) return `btrim((${x})::text)::${pg}`;
        if (f === 'timestamp' && pg === 'int8') return `('x' || encode(${x}, 'hex'))::bit(64)::int8`;
        // A binary as an integer: its last bytes, big-endian, shorter ones padded with zeros in front.
        if ((f === 'binary' || f === 'varbinary') && (pg === 'int8' || pg === 'int4')) {
          const digits = pg === 'int8' ? 16 : 8;
          return `('x' || lpad(right(encode(${x}, 'hex'), ${digits}), ${digits}, '0'))::bit(${digits * 4})::${pg}`;
        }
        return refuse();
      }
      case 'bit':
        if (f === 'bit') return x;
        if (isNumericType(from)) return `((${x}) <> 0)`;
        if (isStringType(from)) return `btrim((${x})::text)::bool`;
        return refuse();
      case 'decimal': case 'numeric': case 'money': case 'smallmoney': case 'real': case 'float':
        if (f === 'bit') return `(${x})::int4::${storageType(to)}`;
        if (isNumericType(from)) return `(${x})::${storageType(to)}`;
        if (isStringType(from)) return `btrim((${x})::text)::${storageType(to)}`;
        return refuse();
      case 'char': case 'varchar': case 'nchar': case 'nvarchar': {
        let text: string;
        const dateStyle = style === undefined || style === 0 || style === 121;
        if (isStringType(from)) text = f === 'char' || f === 'nchar' ? `rpad((${x})::text, ${from.length})` : `(${x})::text`;
        else if (isIntegerType(from) || f === 'decimal' || f === 'numeric') text = `(${x})::text`;
        else if (f === 'bit') text = `(${x})::int4::text`;
        else if (f === 'money' || f === 'smallmoney') {
          if (style === 2) text = `(${x})::text`;
          else if (style === undefined || style === 0) text = `round(${x}, 2)::text`;
          else return refuse();
        } else if (f === 'uniqueidentifier') text = `upper((${x})::text)`;
        // Style 3: every digit a float has. SQL Server writes 17 significant digits in scientific
        // notation; the double writes PostgreSQL's shortest text that reads back to the same
        // float, which the same parsers read (see copy/columnOverrides.ts).
        else if ((f === 'float' || f === 'real') && style === 3) text = `(${x})::float8::text`;
        else if (f === 'date' && (dateStyle || style === 23 || style === 120 || style === 126)) text = `to_char(${x}, 'YYYY-MM-DD')`;
        else if (f === 'datetime2' && dateStyle) text = `substr(${x}, 1, ${from.scale ? 20 + from.scale : 19})`;
        else if (f === 'datetimeoffset' && dateStyle) text = `(substr(${x}, 1, ${from.scale ? 20 + from.scale : 19}) || substr(${x}, 28))`;
        else if (f === 'time' && dateStyle) text = `substr(${x}, 1, ${from.scale ? 9 + from.scale : 8})`;
        else if ((f === 'datetime' || f === 'smalldatetime') && (style === 121 || style === 120)) text = `to_char(${x}, '${style === 121 ? 'YYYY-MM-DD HH24:MI:SS.MS' : 'YYYY-MM-DD HH24:MI:SS'}')`;
        // Binary as hex: style 1 with 0x in front, style 2 without.
        else if ((f === 'binary' || f === 'varbinary' || f === 'timestamp') && (style === 1 || style === 2)) text = `(${style === 1 ? `'0x' || ` : ''}upper(encode(${x}, 'hex')))`;
        else return refuse();
        if (typeof to.length === 'number') text = `left(${text}, ${to.length})`;
        if ((t === 'char' || t === 'nchar') && typeof to.length === 'number') text = `rpad(${text}, ${to.length})`;
        return text;
      }
      case 'date':
        if (f === 'datetime2' || f === 'datetimeoffset') return `substr(${x}, 1, 10)::date`;
        if (f === 'datetime' || f === 'smalldatetime') return `(${x})::date`;
        if (isStringType(from)) return `btrim((${x})::text)::date`;
        return refuse();
      case 'datetime2':
        if (f === 'datetime2' && to.scale! >= from.scale!) return x;
        if (f === 'date') return `(to_char(${x}, 'YYYY-MM-DD') || ' 00:00:00.0000000')`;
        // datetime2(3) rounds the 1/300 s ticks to the milliseconds the double keeps.
        if (f === 'datetime' && to.scale === 3) return `(to_char(${x}, 'YYYY-MM-DD HH24:MI:SS.MS') || '0000')`;
        if (f === 'datetime') return `siphon_tds.datetime_dt2(${x})`;
        if (f === 'smalldatetime') return `(to_char(${x}, 'YYYY-MM-DD HH24:MI:SS') || '.0000000')`;
        if (f === 'datetimeoffset' && to.scale! >= from.scale!) return `substr(${x}, 1, 27)`;
        return refuse();
      case 'datetimeoffset':
        if (f === 'datetimeoffset' && to.scale! >= from.scale!) return x;
        if (f === 'datetime2' && to.scale! >= from.scale!) return `(${x} || ' +00:00')`;
        if (f === 'datetime') return `(siphon_tds.datetime_dt2(${x}) || ' +00:00')`;
        if (f === 'date') return `(to_char(${x}, 'YYYY-MM-DD') || ' 00:00:00.0000000 +00:00')`;
        return refuse();
      case 'time':
        if (f === 'time' && to.scale! >= from.scale!) return x;
        if ((f === 'datetime2' || f === 'datetimeoffset') && to.scale! >= from.scale!) return `substr(${x}, 12, 16)`;
        return refuse();
      case 'datetime': case 'smalldatetime':
        if (f === 'datetime' || f === 'smalldatetime' || f === 'date') return `(${x})::${storageType(to)}`;
        if (isStringType(from)) return `btrim((${x})::text)::${storageType(to)}`;
        return refuse();
      case 'uniqueidentifier':
        if (isStringType(from)) return `btrim((${x})::text)::uuid`;
        return refuse();
      case 'binary': case 'varbinary':
        if (f === 'binary' || f === 'varbinary') return typeof to.length === 'number' ? `substring(${x} from 1 for ${to.length})` : x;
        // A float's IEEE 754 bytes, big-endian, as SQL Server gives them.
        if (f === 'float' && to.length === 8) return `float8send(${x})`;
        if (f === 'real' && to.length === 4) return `float4send(${x})`;
        if (f === 'timestamp') return typeof to.length === 'number' && to.length < 8 ? `substring(${x} from 1 for ${to.length})` : x;
        return refuse();
      case 'timestamp':
        // A binary compared with a rowversion: the same bytes.
        if (f === 'binary' || f === 'varbinary') return x;
        return refuse();
      default:
        return refuse();
    }
  }
}

/**
 * A 100 ns type's value as whole microseconds (its 100 ns digit truncated: DATEDIFF_BIG counts
 * microsecond boundaries) since 1970-01-01, or since midnight for a time; from the canonical text
 * the double keeps them in (`yyyy-mm-dd hh:mi:ss.fffffff[ +hh:mm]`, `hh:mi:ss.fffffff`).
 */
function microsOf(value: TE): string {
  const x = value.sql;
  switch (value.type.name) {
    case 'datetime2': return `(extract(epoch FROM substr(${x}, 1, 26)::timestamp) * 1000000)::int8`;
    case 'datetimeoffset': return `(extract(epoch FROM substr(siphon_tds.dto_utc(${x}), 1, 26)::timestamp) * 1000000)::int8`;
    case 'time': return `(extract(epoch FROM substr(${x}, 1, 15)::time) * 1000000)::int8`;
    default: throw new SqlServerError(9810, `The datepart microsecond is not supported by date function datediff_big for data type ${formatSqlType(value.type)}.`, 16);
  }
}

/** How a column's PostgreSQL storage is read as the canonical form of its SQL Server type. */
function normalizeColumn(sql: string, pgType: string, type: SqlType): string {
  const pg = pgType.toLowerCase();
  switch (type.name) {
    case 'datetime2':
      if (pg.startsWith('timestamp') && !pg.includes('with time zone')) return `(to_char(${sql}, 'YYYY-MM-DD HH24:MI:SS.US') || '0')`;
      return sql;
    case 'datetimeoffset':
      if (pg.includes('with time zone')) return `(to_char(${sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '0 +00:00')`;
      return sql;
    case 'time':
      if (pg.startsWith('time')) return `(to_char(${sql}::interval, 'HH24:MI:SS.US') || '0')`;
      return sql;
    case 'money': case 'smallmoney':
      if (pg === 'money') return `(${sql})::numeric`;
      return sql;
    default:
      return sql;
  }
}

function numberLiteral(text: string): TE {
  if (/e/i.test(text)) return { sql: `(${text})::float8`, type: { name: 'float' }, nullable: false, literal: text };
  if (!text.includes('.')) {
    const value = BigInt(text);
    if (value >= -2147483648n && value <= 2147483647n) return { sql: `(${text})::int4`, type: { name: 'int' }, nullable: false, literal: text };
    const digits = text.replace('-', '').replace(/^0+(?=\d)/, '').length;
    return { sql: `(${text})::numeric`, type: { name: 'decimal', precision: Math.min(38, digits), scale: 0 }, nullable: false, literal: text };
  }
  const [whole = '', fraction = ''] = text.replace('-', '').split('.');
  const scale = fraction.length;
  const precision = Math.min(38, Math.max(1, whole.replace(/^0+/, '').length + scale));
  return { sql: `(${text})::numeric`, type: { name: 'decimal', precision: Math.max(precision, scale), scale }, nullable: false, literal: text };
}

function exprText(e: Expr): string {
  switch (e.k) {
    case 'col': return e.parts.join('.');
    case 'call': return e.name;
    default: return e.k;
  }
}
