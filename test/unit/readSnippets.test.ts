import { describe, expect, it } from 'vitest';
import { readSnippets, sparkType, synapseType } from '../../src/sink/readSnippets.js';
import type { Column, OutputType } from '../../src/spec/columns.js';

const column = (name: string, type: OutputType): Column => ({ name, sourceType: 'x', nullable: true, type });
const location = { account: 'lake', container: 'raw', folder: 'orders/2024/05/01/run=R1' };

describe('Spark and Synapse declarations', () => {
  it.each([
    [{ kind: 'uint64' }, 'DECIMAL(20,0)', 'decimal(20,0)'],
    [{ kind: 'decimal', precision: 38, scale: 10 }, 'DECIMAL(38,10)', 'decimal(38,10)'],
    [{ kind: 'uuid' }, 'STRING', 'uniqueidentifier'],
    [{ kind: 'time' }, 'STRING', 'time(6)'],
    [{ kind: 'timestamp', utc: false }, 'TIMESTAMP_NTZ', 'datetime2(7)'],
    [{ kind: 'timestamp', utc: true }, 'TIMESTAMP', 'datetime2(7)'],
    [{ kind: 'timestampOffset' }, 'TIMESTAMP', 'datetimeoffset(7)'],
    [{ kind: 'binary' }, 'STRING', 'varchar(max) COLLATE Latin1_General_100_BIN2_UTF8'],
  ] as Array<[OutputType, string, string]>)('%o in CSV: Spark %s, Synapse %s', (type, spark, synapse) => {
    expect(sparkType(type, 'csv')).toBe(spark);
    expect(synapseType(type, 'csv')).toBe(synapse);
  });

  it('a partitioned CSV run: Spark table over the run folder, partition columns last, Siphon\'s text forms as options', () => {
    const snippets = readSnippets({
      format: 'csv', compression: 'gzip', tableName: 'orders', location, partitionBy: ['region'],
      columns: [column('region', { kind: 'string' }), column('id', { kind: 'int64' }), column('odd name`', { kind: 'decimal', precision: 12, scale: 2 })],
    });
    expect(snippets.spark).toBe([
      'CREATE TABLE `orders` (`id` BIGINT, `odd name``` DECIMAL(12,2), `region` STRING)',
      'USING CSV',
      `OPTIONS (header 'true', multiLine 'true', quote '"', escape '"', nullValue '', timestampFormat "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX", timestampNTZFormat "yyyy-MM-dd'T'HH:mm:ss.SSSSSS", pathGlobFilter '*.csv.gz')`,
      'PARTITIONED BY (`region`)',
      `LOCATION 'abfss://raw@lake.dfs.core.windows.net/orders/2024/05/01/run=R1';`,
    ].join('\n'));
    expect(snippets.synapse).toContain(`BULK 'https://lake.dfs.core.windows.net/raw/orders/2024/05/01/run=R1/*/*.csv.gz'`);
    expect(snippets.synapse).toContain('WITH ([id] bigint, [odd name`] decimal(12,2)) AS [rows];');
    expect(snippets.duckdb).toContain(`read_csv('az://raw/orders/2024/05/01/run=R1/*/*.csv.gz'`);
  });

  it('JSON Lines in Synapse: one text column per line, typed by OPENJSON', () => {
    const { synapse } = readSnippets({ format: 'jsonl', compression: 'none', tableName: 't', location, columns: [column('id', { kind: 'int64' }), column('my col', { kind: 'string' })] });
    expect(synapse).toContain(`CROSS APPLY OPENJSON(doc) WITH ([id] bigint '$.id', [my col] varchar(max) COLLATE Latin1_General_100_BIN2_UTF8 '$."my col"') AS fields;`);
  });

  it('Parquet: an instant with its offset is two columns, as the file holds it', () => {
    const { spark, synapse } = readSnippets({ format: 'parquet', compression: 'snappy', tableName: 't', location, columns: [column('at', { kind: 'timestampOffset' })] });
    expect(spark).toContain('(`at` TIMESTAMP, `at_offset_minutes` SMALLINT)');
    expect(synapse).toContain('WITH ([at] datetime2(7), [at_offset_minutes] smallint)');
  });
});
