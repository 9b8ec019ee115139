import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/spec/columns.js';
import type { ReadTarget } from '../../src/sources/sourceConnector.js';
import { chunkQuery, keyBoundsQuery, randomSampleQuery, statisticsHistogramQuery, type SqlQuery } from '../../src/sources/sqlserver/sqlServerDialect.js';
import { parseSqlType, typeInfo, TdsType, writeValue, ByteSink, type ParamValue } from '../support/tds-server/sqlTypes.js';
import { translateBatch, type CatalogReader, type Translation } from '../support/tds-server/translate.js';

/**
 * rowversion in the TDS test double: a bytea column stamped by a trigger, announced as
 * binary(8), compared with binary(8) parameters as bytes, and MIN_ACTIVE_ROWVERSION() read
 * from the counter or held down by the holdRowversion hook.
 */
const versioned = {
  schema: 'dbo',
  name: 'versioned',
  columns: [
    { name: 'id', type: parseSqlType('int'), nullable: false, pgType: 'integer' },
    { name: 'rv', type: parseSqlType('rowversion'), nullable: false, pgType: 'bytea' },
  ],
};

function catalog(heldRowversion?: bigint): CatalogReader {
  return {
    database: 'shop',
    table: async (schema, name) => (schema.toLowerCase() === 'dbo' && name.toLowerCase() === 'versioned' ? versioned : undefined),
    check: async () => undefined,
    heldRowversion,
  };
}

const table: ReadTarget = { kind: 'table', table: { name: 'versioned' } };
const idColumn: Column = { name: 'id', sourceType: 'int', nullable: false, type: { kind: 'int32' } };
const rvColumn: Column = { name: 'rv', sourceType: 'timestamp', nullable: false, type: { kind: 'binary' } };

/** The parameters as the server receives them: binary(8) as `\x` + hex, the rest as text. */
function paramsOf(query: SqlQuery): Map<string, ParamValue> {
  const params = new Map<string, ParamValue>();
  for (const param of query.params) {
    if (param.type === 'binary') params.set(param.name.toLowerCase(), { type: { name: 'binary', length: param.length }, value: `\\x${param.value.toString('hex')}` });
    else if (param.type === 'bigint' || param.type === 'int') params.set(param.name.toLowerCase(), { type: { name: param.type }, value: String(param.value) });
    else if (param.type === 'nvarchar') params.set(param.name.toLowerCase(), { type: { name: 'nvarchar', length: param.length }, value: param.value });
    else throw new Error(`no ${param.type} parameters in these tests`);
  }
  return params;
}

async function translate(query: SqlQuery, held?: bigint): Promise<Extract<Translation, { k: 'select' }>> {
  const [translation] = await translateBatch(query.text, paramsOf(query), catalog(held));
  expect(translation!.k).toBe('select');
  return translation as Extract<Translation, { k: 'select' }>;
}

describe('rowversion in the TDS test double', () => {
  it('reads MIN, MAX and MIN_ACTIVE_ROWVERSION() as 0x hex text, the held value capping the counter', async () => {
    const free = await translate(keyBoundsQuery(table, 'rv', 'rowversion'));
    expect(free.sql).toContain(`('0x' || upper(encode(siphon_tds.bytea_min(t1."rv"), 'hex')))`);
    expect(free.sql).toContain(`('0x' || upper(encode(siphon_tds.bytea_max(t1."rv"), 'hex')))`);
    expect(free.sql).toContain(`int8send(siphon_tds.next_rowversion())`);
    expect(free.columns.map((c) => [c.name, c.type])).toEqual([
      ['min_key', { name: 'varchar', length: 18 }], ['max_key', { name: 'varchar', length: 18 }], ['active_key', { name: 'varchar', length: 18 }],
    ]);
    const held = await translate(keyBoundsQuery(table, 'rv', 'rowversion'), 2005n);
    expect(held.sql).toContain('int8send(least(siphon_tds.next_rowversion(), 2005::int8))');
  });

  it('compares the column with binary(8) parameters as bytes, the column itself untouched', async () => {
    const query = chunkQuery(table, [idColumn, rvColumn], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '9', upperInclusive: true }, { column: 'rv', kind: 'rowversion', after: '2000', upTo: '2010' });
    const translated = await translate(query);
    expect(translated.sql).toContain('AND (t1."rv" > $3::bytea)) AND (t1."rv" <= $4::bytea)');
    expect(translated.params).toEqual(['1', '9', '\\x00000000000007d0', '\\x00000000000007da']);
    // Announced as SQL Server announces a rowversion: binary(8), user type 80.
    expect(translated.columns[1]).toEqual({ name: 'rv', type: { name: 'timestamp' }, nullable: false });
    expect([...typeInfo({ name: 'timestamp' }, false)]).toEqual([TdsType.bigBinary, 8, 0]);
    const sink = new ByteSink();
    writeValue(sink, { name: 'timestamp' }, false, '\\x00000000000007d1');
    expect(sink.view().toString('hex')).toBe('080000000000000007d1');
  });

  it('samples and reads histograms of a rowversion key', async () => {
    expect((await translate(randomSampleQuery(table, 'rv', 'rowversion', 10))).sql).toContain(`('0x' || upper(encode(t1."rv", 'hex')))`);
    expect((await translate(statisticsHistogramQuery({ name: 'versioned' }, 'rv', 'rowversion'))).sql).toMatch(/\('0x' \|\| upper\(encode\(decode\(substr\(t\d+\."range_high_key", 3\), 'hex'\), 'hex'\)\)\)/);
  });
});
