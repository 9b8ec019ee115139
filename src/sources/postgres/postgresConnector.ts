import pg from 'pg';
import Cursor from 'pg-cursor';
import { NonRetryableError } from '../../errors/errorTypes.js';
import type { Column } from '../../spec/columns.js';
import { civilFromDays, isoFromMicros } from '../../formats/canonicalValues.js';
import type { KeyBounds, KeyKind, ReadChunkRequest, SourceConnector, TableDescription, TableRef } from '../sourceConnector.js';
import { chunkQuery, describeColumnsQuery, keyBoundsQuery, primaryKeyQuery, rowEstimateQuery } from './postgresDialect.js';
import { keyKindOf, outputTypeOf, parseDateDays, parseTimestampMicros, typeOids } from './postgresTypes.js';

const identity = (text: string) => text;

/** Text parsers that keep every value exact: bigints as bigint, times in microseconds, JSON as text. */
const exactTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    switch (oid) {
      case typeOids.int8: return (text: string) => BigInt(text);
      case typeOids.numeric: return identity;
      case typeOids.json: case typeOids.jsonb: return identity;
      case typeOids.date: return parseDateDays;
      case typeOids.timestamp: case typeOids.timestamptz: return parseTimestampMicros;
      default: return pg.types.getTypeParser(oid, format as 'text');
    }
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export class PostgresConnector implements SourceConnector {
  private constructor(private readonly client: pg.Client) {}

  static async connect(connectionString: string): Promise<PostgresConnector> {
    const client = new pg.Client({ connectionString, application_name: 'siphon' });
    await client.connect();
    // Fixed session settings make the text forms of dates and times unambiguous.
    await client.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3`);
    return new PostgresConnector(client);
  }

  async describeTable(table: TableRef, wanted?: string[]): Promise<TableDescription> {
    const tableName = `${table.schema}.${table.name}`;
    const result = await this.client.query<{ name: string; type_name: string; typmod: number; nullable: boolean; formatted: string }>(describeColumnsQuery, [table.schema, table.name]);
    if (result.rows.length === 0) throw new NonRetryableError(`Table ${tableName} was not found in the source (or has no columns)`);
    const byName = new Map(result.rows.map((row) => [row.name, row]));
    const missing = (wanted ?? []).filter((name) => !byName.has(name));
    if (missing.length) throw new NonRetryableError(`Table ${tableName} has no column ${missing.map((name) => `"${name}"`).join(', ')}`);
    const rows = wanted ? wanted.map((name) => byName.get(name)!) : result.rows;
    const columns: Column[] = rows.map((row) => ({
      name: row.name,
      sourceType: row.formatted,
      nullable: row.nullable,
      type: outputTypeOf(row.type_name, row.typmod, `Table ${tableName}, column "${row.name}" (${row.formatted})`),
    }));
    const primaryKey = (await this.client.query<{ name: string }>(primaryKeyQuery, [table.schema, table.name])).rows.map((row) => row.name);
    return { columns, primaryKey };
  }

  async keyBounds(table: TableRef, keyColumn: string): Promise<KeyBounds> {
    const tableName = `${table.schema}.${table.name}`;
    const described = await this.client.query<{ name: string; type_name: string; nullable: boolean }>(describeColumnsQuery, [table.schema, table.name]);
    const key = described.rows.find((row) => row.name === keyColumn);
    if (!key) throw new NonRetryableError(`Table ${tableName} has no chunk key column "${keyColumn}"`);
    const kind = keyKindOf(key.type_name, `Table ${tableName}, chunk key "${keyColumn}"`);
    const bounds = await this.client.query<{ min: string | null; max: string | null }>(keyBoundsQuery(table, keyColumn));
    const estimate = await this.client.query<{ estimate: number }>(rowEstimateQuery, [table.schema, table.name]);
    const min = bounds.rows[0]?.min;
    const max = bounds.rows[0]?.max;
    return {
      kind,
      min: min == null ? undefined : keyDigits(kind, min),
      max: max == null ? undefined : keyDigits(kind, max),
      nullable: key.nullable,
      rowsEstimate: Math.max(0, estimate.rows[0]?.estimate ?? 0),
    };
  }

  async *readChunk(request: ReadChunkRequest): AsyncIterable<unknown[][]> {
    const columns = request.columns.map((column) => column.name);
    const query = chunkQuery(request.table, columns, request.keyColumn, request.orderBy, request.range, (digits) => keyParameter(request.keyKind, digits));
    // A portal read batch by batch: the server sends the next rows only when asked, which is the
    // driver's backpressure, so a chunk of any size holds one batch in memory.
    const cursor = this.client.query(new Cursor(query.text, query.values, { rowMode: 'array', types: exactTypes }));
    try {
      for (;;) {
        const rows = (await cursor.read(request.batchRows)) as unknown[][];
        if (rows.length === 0) return;
        yield rows;
      }
    } finally {
      await cursor.close();
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

function keyDigits(kind: KeyKind, text: string): string {
  switch (kind) {
    case 'integer': return text;
    case 'date': return String(parseDateDays(text));
    case 'timestamp': case 'timestamptz': return String(parseTimestampMicros(text));
  }
}

function keyParameter(kind: KeyKind, digits: string): string {
  switch (kind) {
    case 'integer': return digits;
    case 'date': return civilFromDays(Number(digits));
    case 'timestamp': return isoFromMicros(BigInt(digits), false);
    case 'timestamptz': return isoFromMicros(BigInt(digits), true);
  }
}
