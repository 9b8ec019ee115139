import { changeTrackingSetupSql } from './changeTracking.js';
import { cdcSetupSql } from './cdc.js';
import { createHash } from 'node:crypto';
import { canonicalLiteral, parseSqlType, storageType, type SqlType } from './sqlTypes.js';

/**
 * How SQL Server types and SQL Server's catalog exist behind the PostgreSQL engine of the test
 * double. Each PostgreSQL database the server serves gets two schemas:
 *
 * - `siphon_tds`: the type catalog `siphon_tds.columns(schema_name, table_name, column_name,
 *   mssql_type)` naming the SQL Server type of each column (a column not listed gets one
 *   inferred from its PostgreSQL type: int4 -> int, numeric(p,s) -> decimal(p,s), text ->
 *   nvarchar(max), timestamp -> datetime2(6), ...), and helper functions (datetimeoffset order,
 *   datetime to datetime2, exact row counts).
 * - `siphon_sys`: views and functions with the names and columns of the SQL Server catalog the
 *   connector reads (sys.schemas, objects, columns, types, indexes, index_columns, partitions,
 *   stats, stats_columns, dm_db_stats_properties, dm_db_stats_histogram), computed from
 *   pg_catalog, pg_stats and the type catalog. The translator maps `sys.x` to `siphon_sys.x`.
 *
 * Tests create source tables with createSqlServerTable, which writes the PostgreSQL DDL (storage
 * types as in sqlTypes.ts) and the catalog rows together.
 */

const sysTypes: Array<[string, number, number, number, number, number, boolean]> = [
  ['image', 34, 34, 16, 0, 0, false], ['text', 35, 35, 16, 0, 0, false], ['uniqueidentifier', 36, 36, 16, 0, 0, false],
  ['date', 40, 40, 3, 10, 0, false], ['time', 41, 41, 5, 16, 7, false], ['datetime2', 42, 42, 8, 27, 7, false],
  ['datetimeoffset', 43, 43, 10, 34, 7, false], ['tinyint', 48, 48, 1, 3, 0, false], ['smallint', 52, 52, 2, 5, 0, false],
  ['int', 56, 56, 4, 10, 0, false], ['smalldatetime', 58, 58, 4, 16, 0, false], ['real', 59, 59, 4, 24, 0, false],
  ['money', 60, 60, 8, 19, 4, false], ['datetime', 61, 61, 8, 23, 3, false], ['float', 62, 62, 8, 53, 0, false],
  ['sql_variant', 98, 98, 8016, 0, 0, false], ['ntext', 99, 99, 16, 0, 0, false], ['bit', 104, 104, 1, 1, 0, false],
  ['decimal', 106, 106, 17, 38, 38, false], ['numeric', 108, 108, 17, 38, 38, false], ['smallmoney', 122, 122, 4, 10, 4, false],
  ['bigint', 127, 127, 8, 19, 0, false], ['hierarchyid', 240, 128, 892, 0, 0, true], ['geometry', 240, 129, -1, 0, 0, true],
  ['geography', 240, 130, -1, 0, 0, true], ['varbinary', 165, 165, 8000, 0, 0, false], ['varchar', 167, 167, 8000, 0, 0, false],
  ['binary', 173, 173, 8000, 0, 0, false], ['char', 175, 175, 8000, 0, 0, false], ['timestamp', 189, 189, 8, 0, 0, false],
  ['nvarchar', 231, 231, 8000, 0, 0, false], ['nchar', 239, 239, 8000, 0, 0, false], ['xml', 241, 241, -1, 0, 0, false],
  ['json', 244, 244, -1, 0, 0, false], ['sysname', 231, 256, 256, 0, 0, false],
];

const userSchemas = `n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('information_schema', 'siphon_tds', 'siphon_sys')`;

const setupBody = `
CREATE SCHEMA IF NOT EXISTS siphon_tds;
CREATE SCHEMA IF NOT EXISTS siphon_sys;

CREATE TABLE IF NOT EXISTS siphon_tds.columns (
  schema_name text NOT NULL, table_name text NOT NULL, column_name text NOT NULL, mssql_type text NOT NULL,
  PRIMARY KEY (schema_name, table_name, column_name));

CREATE OR REPLACE VIEW siphon_sys.types AS
  SELECT name, system_type_id::int2, user_type_id::int4, max_length::int2, "precision"::int2, scale::int2,
         is_assembly_type, (user_type_id > 255) AS is_user_defined
    FROM (VALUES ${sysTypes.map(([name, system, user, length, precision, scale, assembly]) => `('${name}', ${system}, ${user}, ${length}, ${precision}, ${scale}, ${assembly})`).join(', ')})
         AS t(name, system_type_id, user_type_id, max_length, "precision", scale, is_assembly_type);

CREATE OR REPLACE FUNCTION siphon_sys.type_name(id int4) RETURNS text STABLE LANGUAGE sql AS $$
  SELECT name FROM siphon_sys.types WHERE user_type_id = id
$$;

-- The SQL Server type a PostgreSQL column is taken for when the catalog does not name one.
CREATE OR REPLACE FUNCTION siphon_tds.inferred_type(typid oid, typmod int) RETURNS text STABLE LANGUAGE sql AS $$
  SELECT CASE (SELECT typname FROM pg_type WHERE oid = typid)
    WHEN 'int2' THEN 'smallint' WHEN 'int4' THEN 'int' WHEN 'int8' THEN 'bigint' WHEN 'bool' THEN 'bit'
    WHEN 'numeric' THEN CASE WHEN typmod >= 4 AND ((typmod - 4) >> 16) <= 38 THEN format('decimal(%s,%s)', (typmod - 4) >> 16, (typmod - 4) & 65535) ELSE 'sql_variant' END
    WHEN 'float4' THEN 'real' WHEN 'float8' THEN 'float'
    WHEN 'text' THEN 'nvarchar(max)' WHEN 'name' THEN 'nvarchar(128)'
    WHEN 'varchar' THEN CASE WHEN typmod > 4 AND typmod - 4 <= 4000 THEN format('nvarchar(%s)', typmod - 4) ELSE 'nvarchar(max)' END
    WHEN 'bpchar' THEN format('nchar(%s)', greatest(typmod - 4, 1))
    WHEN 'bytea' THEN 'varbinary(max)' WHEN 'uuid' THEN 'uniqueidentifier' WHEN 'date' THEN 'date'
    WHEN 'time' THEN format('time(%s)', CASE WHEN typmod < 0 THEN 6 ELSE typmod END)
    WHEN 'timestamp' THEN format('datetime2(%s)', CASE WHEN typmod < 0 THEN 6 ELSE typmod END)
    WHEN 'timestamptz' THEN format('datetimeoffset(%s)', CASE WHEN typmod < 0 THEN 6 ELSE typmod END)
    ELSE 'sql_variant' END
$$;

CREATE OR REPLACE FUNCTION siphon_tds.column_type(nsp name, rel name, att name, typid oid, typmod int) RETURNS text STABLE LANGUAGE sql AS $$
  SELECT coalesce((SELECT lower(c.mssql_type) FROM siphon_tds.columns c WHERE c.schema_name = nsp AND c.table_name = rel AND c.column_name = att),
                  siphon_tds.inferred_type(typid, typmod))
$$;

-- max_length, precision and scale of a type as sys.columns reports them.
CREATE OR REPLACE FUNCTION siphon_tds.type_info(t text, OUT base text, OUT system_type_id int2, OUT user_type_id int4,
    OUT max_length int2, OUT "precision" int2, OUT scale int2) STABLE LANGUAGE plpgsql AS $$
DECLARE m text[]; a int; b int;
BEGIN
  m := regexp_match(lower(t), '^\\s*([a-z_0-9]+)\\s*(?:\\(\\s*(max|\\d+)\\s*(?:,\\s*(\\d+)\\s*)?\\))?\\s*$');
  IF m IS NULL THEN RETURN; END IF;
  -- rowversion is a synonym; the catalog knows the type as timestamp.
  base := CASE m[1] WHEN 'rowversion' THEN 'timestamp' ELSE m[1] END;
  a := CASE WHEN m[2] = 'max' THEN -1 ELSE m[2]::int END;
  b := m[3]::int;
  SELECT ty.system_type_id, ty.user_type_id, ty.max_length, ty."precision", ty.scale
    INTO system_type_id, user_type_id, max_length, "precision", scale FROM siphon_sys.types ty WHERE ty.name = base;
  IF base IN ('decimal', 'numeric') THEN
    "precision" := coalesce(a, 18); scale := coalesce(b, 0);
    max_length := CASE WHEN "precision" <= 9 THEN 5 WHEN "precision" <= 19 THEN 9 WHEN "precision" <= 28 THEN 13 ELSE 17 END;
  ELSIF base IN ('time', 'datetime2', 'datetimeoffset') THEN
    scale := coalesce(a, 7);
    max_length := CASE WHEN scale <= 2 THEN 3 WHEN scale <= 4 THEN 4 ELSE 5 END + CASE base WHEN 'time' THEN 0 WHEN 'datetime2' THEN 3 ELSE 5 END;
    "precision" := CASE base WHEN 'time' THEN 8 WHEN 'datetime2' THEN 19 ELSE 26 END + CASE WHEN scale > 0 THEN scale + 1 ELSE 0 END;
  ELSIF base IN ('char', 'varchar', 'binary', 'varbinary') THEN
    max_length := coalesce(a, 1);
  ELSIF base IN ('nchar', 'nvarchar') THEN
    max_length := CASE WHEN a = -1 THEN -1 ELSE coalesce(a, 1) * 2 END;
  END IF;
END $$;

-- datetimeoffset text (local wall time and offset) -> its UTC wall time, which sorts as the instant.
CREATE OR REPLACE FUNCTION siphon_tds.dto_utc(v text) RETURNS text IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT to_char(substr(v, 1, 19)::timestamp
           - (CASE WHEN substr(v, 29, 1) = '-' THEN -1 ELSE 1 END * (substr(v, 30, 2)::int * 60 + substr(v, 33, 2)::int)) * interval '1 minute',
         'YYYY-MM-DD HH24:MI:SS') || substr(v, 20, 8)
$$;

CREATE OR REPLACE FUNCTION siphon_tds.dto_least(a text, b text) RETURNS text IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT CASE WHEN siphon_tds.dto_utc(b) COLLATE "C" < siphon_tds.dto_utc(a) THEN b ELSE a END
$$;
CREATE OR REPLACE FUNCTION siphon_tds.dto_greatest(a text, b text) RETURNS text IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT CASE WHEN siphon_tds.dto_utc(b) COLLATE "C" > siphon_tds.dto_utc(a) THEN b ELSE a END
$$;
CREATE OR REPLACE AGGREGATE siphon_tds.dto_min(text) (sfunc = siphon_tds.dto_least, stype = text);
CREATE OR REPLACE AGGREGATE siphon_tds.dto_max(text) (sfunc = siphon_tds.dto_greatest, stype = text);

-- An nvarchar's bytes as SQL Server holds them (UTF-16LE, surrogate pairs beyond the BMP): what HASHBYTES hashes.
CREATE OR REPLACE FUNCTION siphon_tds.utf16le_unit(u int) RETURNS bytea IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT set_byte(set_byte(decode('0000', 'hex'), 0, u & 255), 1, u >> 8)
$$;
CREATE OR REPLACE FUNCTION siphon_tds.utf16le(v text) RETURNS bytea IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT coalesce(string_agg(CASE WHEN c < 65536 THEN siphon_tds.utf16le_unit(c)
           ELSE siphon_tds.utf16le_unit(55296 + ((c - 65536) >> 10)) || siphon_tds.utf16le_unit(56320 + ((c - 65536) & 1023)) END, ''::bytea ORDER BY i), ''::bytea)
    FROM (SELECT ascii(ch) AS c, i FROM regexp_split_to_table(v, '') WITH ORDINALITY AS t(ch, i) WHERE ch <> '') AS chars
$$;

-- datetime (1/300 s ticks, kept as the milliseconds SQL Server prints) -> datetime2(7), exactly.
CREATE OR REPLACE FUNCTION siphon_tds.datetime_dt2(ts timestamp) RETURNS text IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT to_char(date_trunc('second', ts), 'YYYY-MM-DD HH24:MI:SS') || '.' ||
         lpad(round(round((extract(microseconds FROM ts)::numeric % 1000000) / 1000 * 0.3) * 100000 / 3)::text, 7, '0')
$$;

-- rowversion: the database's counter (@@DBTS, which starts at 0x7D0 in a new SQL Server
-- database), stamped on a row by a trigger at every insert and update (see createSqlServerTable).
-- Held in bytea as its 8 big-endian bytes, which sort as the counter does.
CREATE SEQUENCE IF NOT EXISTS siphon_tds.dbts START 2001;

-- MIN_ACTIVE_ROWVERSION() with no transaction open: @@DBTS + 1, the value the next stamp takes.
CREATE OR REPLACE FUNCTION siphon_tds.next_rowversion() RETURNS int8 VOLATILE LANGUAGE sql AS $$
  SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM siphon_tds.dbts
$$;

CREATE OR REPLACE FUNCTION siphon_tds.stamp_rowversion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], '\\x' || encode(int8send(nextval('siphon_tds.dbts')), 'hex')));
  RETURN NEW;
END $$;

-- PostgreSQL has no MIN and MAX of bytea; SQL Server has them for binary and rowversion.
CREATE OR REPLACE FUNCTION siphon_tds.bytea_smaller(a bytea, b bytea) RETURNS bytea IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT CASE WHEN b < a THEN b ELSE a END
$$;
CREATE OR REPLACE FUNCTION siphon_tds.bytea_larger(a bytea, b bytea) RETURNS bytea IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT CASE WHEN b > a THEN b ELSE a END
$$;
CREATE OR REPLACE AGGREGATE siphon_tds.bytea_min(bytea) (sfunc = siphon_tds.bytea_smaller, stype = bytea);
CREATE OR REPLACE AGGREGATE siphon_tds.bytea_max(bytea) (sfunc = siphon_tds.bytea_larger, stype = bytea);

CREATE OR REPLACE FUNCTION siphon_tds.exact_rows(rel oid) RETURNS int8 STABLE LANGUAGE plpgsql AS $$
DECLARE n int8;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s', rel::regclass) INTO n;
  RETURN n;
END $$;

CREATE OR REPLACE VIEW siphon_sys.schemas AS
  SELECT n.oid::int8::int4 AS schema_id, n.nspname::text AS name, 1::int4 AS principal_id
    FROM pg_namespace n WHERE ${userSchemas};

CREATE OR REPLACE VIEW siphon_sys.objects AS
  SELECT c.oid::int8::int4 AS object_id, c.relname::text AS name, c.relnamespace::int8::int4 AS schema_id,
         (CASE WHEN c.relkind IN ('v', 'm') THEN 'V' ELSE 'U' END)::char(2) AS type,
         CASE WHEN c.relkind IN ('v', 'm') THEN 'VIEW' ELSE 'USER_TABLE' END AS type_desc
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${userSchemas};

CREATE OR REPLACE VIEW siphon_sys.columns AS
  SELECT a.attrelid::int8::int4 AS object_id, a.attname::text AS name, a.attnum::int4 AS column_id,
         ti.system_type_id, ti.user_type_id, ti.max_length, ti."precision", ti.scale, NOT a.attnotnull AS is_nullable
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   CROSS JOIN LATERAL siphon_tds.type_info(siphon_tds.column_type(n.nspname, c.relname, a.attname, a.atttypid, a.atttypmod)) ti
   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm') AND ${userSchemas};

CREATE OR REPLACE VIEW siphon_tds.index_list AS
  SELECT i.indrelid::int8::int4 AS object_id,
         (row_number() OVER (PARTITION BY i.indrelid ORDER BY i.indisprimary DESC, i.indexrelid)
           + CASE WHEN bool_or(i.indisprimary) OVER (PARTITION BY i.indrelid) THEN 0 ELSE 1 END)::int4 AS index_id,
         ic.relname::text AS name, i.indisprimary AS is_primary_key, i.indisunique AS is_unique, i.indkey::int2[] AS keys
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE ${userSchemas};

CREATE OR REPLACE VIEW siphon_sys.indexes AS
  SELECT object_id, index_id, name, (CASE WHEN is_primary_key THEN 1 ELSE 2 END)::int2 AS type, is_primary_key, is_unique,
         false AS has_filter, false AS is_disabled, 1::int4 AS data_space_id
    FROM siphon_tds.index_list;

-- No table of the double is partitioned: every index is on the PRIMARY filegroup (data space 1), no scheme or function exists.
CREATE OR REPLACE VIEW siphon_sys.partition_schemes AS
  SELECT NULL::int4 AS data_space_id, NULL::int4 AS function_id, NULL::text AS name WHERE false;
CREATE OR REPLACE VIEW siphon_sys.partition_functions AS
  SELECT NULL::int4 AS function_id, NULL::text AS name WHERE false;

CREATE OR REPLACE VIEW siphon_sys.index_columns AS
  SELECT x.object_id, x.index_id, k.ord::int4 AS index_column_id, k.attnum::int4 AS column_id, k.ord::int2 AS key_ordinal,
         false AS is_descending_key, false AS is_included_column, 0::int2 AS partition_ordinal
    FROM siphon_tds.index_list x CROSS JOIN LATERAL unnest(x.keys) WITH ORDINALITY AS k(attnum, ord)
   WHERE k.attnum > 0;

-- One partition per table: the clustered index (the primary key) or the heap; rows counted exactly.
CREATE OR REPLACE VIEW siphon_sys.partitions AS
  SELECT (c.oid::int8 * 65536 + 1) AS partition_id, c.oid::int8::int4 AS object_id,
         (CASE WHEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) THEN 1 ELSE 0 END)::int4 AS index_id,
         1::int4 AS partition_number, siphon_tds.exact_rows(c.oid) AS rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND ${userSchemas};

-- One in-row allocation unit per partition: the table's pages with TOAST (pg_table_size).
CREATE OR REPLACE VIEW siphon_sys.allocation_units AS
  SELECT (c.oid::int8 * 65536 + 1) AS allocation_unit_id, 1::int2 AS type, (c.oid::int8 * 65536 + 1) AS container_id,
         (pg_table_size(c.oid) / 8192)::int8 AS total_pages, (pg_table_size(c.oid) / 8192)::int8 AS used_pages
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND ${userSchemas};

-- A statistics object per analyzed column (PostgreSQL keeps one per column).
CREATE OR REPLACE VIEW siphon_sys.stats AS
  SELECT c.oid::int8::int4 AS object_id, a.attnum::int4 AS stats_id, ('_WA_Sys_' || a.attname)::text AS name, true AS auto_created
    FROM pg_stats ps
    JOIN pg_namespace n ON n.nspname = ps.schemaname
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = ps.tablename
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = ps.attname
   WHERE NOT ps.inherited AND ${userSchemas};

CREATE OR REPLACE VIEW siphon_sys.stats_columns AS
  SELECT object_id, stats_id, 1::int4 AS stats_column_id, stats_id AS column_id FROM siphon_sys.stats;

CREATE OR REPLACE FUNCTION siphon_sys.dm_db_stats_properties(obj int4, stat int4)
  RETURNS TABLE(object_id int4, stats_id int4, last_updated text, rows int8, rows_sampled int8, steps int4, unfiltered_rows int8, modification_counter int8)
  STABLE LANGUAGE sql AS $$
  SELECT obj, stat,
         to_char(greatest(st.last_analyze, st.last_autoanalyze) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '0',
         greatest(c.reltuples, 0)::int8, greatest(c.reltuples, 0)::int8, NULL::int4, greatest(c.reltuples, 0)::int8,
         -- Rows changed since: how far the count moved from what ANALYZE saw (PostgreSQL's own
         -- n_mod_since_analyze arrives late, as statistics messages are flushed lazily).
         abs(siphon_tds.exact_rows(c.oid) - greatest(c.reltuples, 0))::int8
    FROM pg_class c LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
   WHERE c.oid = obj::oid AND c.reltuples >= 0 AND EXISTS (SELECT 1 FROM siphon_sys.stats s WHERE s.object_id = obj AND s.stats_id = stat)
$$;

-- The histogram of a column from pg_stats: one step per histogram bound (the rows of its bucket
-- as range_rows) and per most common value (its rows as equal_rows). range_high_key is the key
-- in the canonical text of the SQL Server type it is read as (datetime and smalldatetime as
-- datetime2), which is what CONVERT of this sql_variant expects.
CREATE OR REPLACE FUNCTION siphon_sys.dm_db_stats_histogram(obj int4, stat int4)
  RETURNS TABLE(object_id int4, stats_id int4, step_number int4, range_high_key text, range_rows float4, equal_rows float4,
                distinct_range_rows int8, average_range_rows float4)
  STABLE LANGUAGE plpgsql AS $$
DECLARE
  ps record; mssql text; pgtype text; sortkey text; canonical text; bucket float8; total float8;
BEGIN
  SELECT s.null_frac, s.histogram_bounds::text::text[] AS bounds, s.most_common_vals::text::text[] AS mcv, s.most_common_freqs AS freqs,
         c.reltuples, n.nspname, c.relname, a.attname, a.atttypid, a.atttypmod
    INTO ps
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = stat
    JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname AND NOT s.inherited
   WHERE c.oid = obj::oid;
  IF NOT FOUND THEN RETURN; END IF;
  mssql := siphon_tds.column_type(ps.nspname, ps.relname, ps.attname, ps.atttypid, ps.atttypmod);
  pgtype := format_type(ps.atttypid, ps.atttypmod);
  total := greatest(ps.reltuples, 0);
  bucket := CASE WHEN coalesce(array_length(ps.bounds, 1), 0) > 1
                 THEN total * (1 - ps.null_frac - coalesce((SELECT sum(f) FROM unnest(ps.freqs) f), 0)) / (array_length(ps.bounds, 1) - 1)
                 ELSE 0 END;
  sortkey := CASE WHEN mssql LIKE 'datetimeoffset%' AND pgtype = 'text' THEN 'siphon_tds.dto_utc(v) COLLATE "C"'
                  WHEN pgtype IN ('text', 'character varying') THEN 'v COLLATE "C"'
                  ELSE format('v::%s', pgtype) END;
  canonical := CASE
    WHEN mssql LIKE 'datetime2%' AND pgtype LIKE 'timestamp%' THEN $c$to_char(v::timestamp, 'YYYY-MM-DD HH24:MI:SS.US') || '0'$c$
    WHEN mssql LIKE 'datetimeoffset%' AND pgtype LIKE 'timestamp%' THEN $c$to_char(v::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '0 +00:00'$c$
    WHEN mssql IN ('datetime', 'smalldatetime') THEN 'siphon_tds.datetime_dt2(v::timestamp)'
    ELSE 'v' END;
  RETURN QUERY EXECUTE format($q$
    SELECT $1, $2, (row_number() OVER (ORDER BY k))::int4, %s, sum(r)::float4, sum(e)::float4, NULL::int8, NULL::float4
      FROM (SELECT b.v, %s AS k, CASE WHEN b.i = 1 THEN 0 ELSE $3 END AS r, CASE WHEN b.i = 1 THEN 1 ELSE 0 END AS e
              FROM unnest($4) WITH ORDINALITY AS b(v, i)
            UNION ALL
            SELECT m.v, %s, 0, m.f * $5 FROM unnest($6, $7) AS m(v, f)) steps
     GROUP BY v, k ORDER BY k$q$, canonical, sortkey, sortkey)
    USING obj, stat, bucket, coalesce(ps.bounds, '{}'::text[]), total, coalesce(ps.mcv, '{}'::text[]), coalesce(ps.freqs, '{}'::float4[]);
END $$;
${changeTrackingSetupSql}
${cdcSetupSql}
`;

/** Bumped whenever the setup changes, so a database set up by an older version is set up again. */
export const catalogVersion = createHash('sha256').update(setupBody).digest('hex').slice(0, 16);

export const catalogSetupSql = `${setupBody}
CREATE OR REPLACE FUNCTION siphon_tds.version() RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT '${catalogVersion}'::text $$;
`;

type Query = (text: string, values?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * Creates (or updates) the catalog schemas in the database `query` runs in, once per version;
 * a transaction-level advisory lock keeps concurrent connections from racing.
 */
export async function ensureCatalog(query: Query): Promise<void> {
  try {
    const rows = await query(`SELECT siphon_tds.version() AS version`);
    if (rows[0]?.version === catalogVersion) return;
  } catch {
    // Not set up yet.
  }
  await query('BEGIN');
  try {
    await query(`SELECT pg_advisory_xact_lock(7263014)`);
    await query(catalogSetupSql);
    await query('COMMIT');
  } catch (err) {
    await query('ROLLBACK');
    throw err;
  }
}

export type SqlServerColumn = { name: string; type: string; nullable?: boolean; primaryKey?: boolean };
export type SqlServerTable = { schema?: string; name: string; columns: SqlServerColumn[] };

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The PostgreSQL column type holding a SQL Server type: the storage type of its values (see
 * storageType in sqlTypes.ts), plus what a column adds: tinyint's range, char's padding, the
 * byte order of the 100 ns types' fixed-width text.
 */
export function storageColumnType(type: SqlType): string {
  switch (type.name) {
    case 'tinyint': return 'int2 CHECK (VALUE BETWEEN 0 AND 255)';
    case 'char': case 'nchar': return `char(${type.length})`;
    case 'image': return 'bytea';
    case 'time': case 'datetime2': case 'datetimeoffset': return 'text COLLATE "C"';
    default: return storageType(type);
  }
}

/**
 * A table with SQL Server column types in the PostgreSQL database behind the test server:
 * the storage table (autovacuum off, so statistics exist only once a test asks for them with
 * UPDATE STATISTICS) and its rows in siphon_tds.columns.
 */
export async function createSqlServerTable(query: Query, table: SqlServerTable): Promise<void> {
  await ensureCatalog(query);
  const schema = table.schema ?? 'dbo';
  const keys = table.columns.filter((column) => column.primaryKey).map((column) => quote(column.name));
  const definitions = table.columns.map((column) => {
    const storage = storageColumnType(parseSqlType(column.type)).replace(/ CHECK \(VALUE/, ` CHECK (${quote(column.name)}`);
    return `${quote(column.name)} ${storage}${column.nullable === false || column.primaryKey ? ' NOT NULL' : ''}`;
  });
  if (keys.length) definitions.push(`CONSTRAINT ${quote(`PK_${table.name}`)} PRIMARY KEY (${keys.join(', ')})`);
  await query(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`);
  await query(`CREATE TABLE ${quote(schema)}.${quote(table.name)} (${definitions.join(', ')}) WITH (autovacuum_enabled = false)`);
  for (const column of table.columns) {
    await query(`INSERT INTO siphon_tds.columns VALUES ($1, $2, $3, $4) ON CONFLICT (schema_name, table_name, column_name) DO UPDATE SET mssql_type = EXCLUDED.mssql_type`, [schema, table.name, column.name, column.type]);
    // A rowversion column takes the database's next rowversion at every insert and update, whatever was written to it.
    if (parseSqlType(column.type).name === 'timestamp') {
      await query(`CREATE TRIGGER ${quote(`siphon_rowversion_${column.name}`)} BEFORE INSERT OR UPDATE ON ${quote(schema)}.${quote(table.name)}
        FOR EACH ROW EXECUTE FUNCTION siphon_tds.stamp_rowversion('${column.name.replace(/'/g, "''")}')`);
    }
  }
}

/** Rows given as T-SQL literal text (Buffers for binary), stored in their canonical forms. */
/** ALTER TABLE ... ADD a column (NULL), typed as createSqlServerTable types one. */
export async function addSqlServerColumn(query: Query, schema: string, table: string, column: SqlServerColumn): Promise<void> {
  await query(`ALTER TABLE ${quote(schema)}.${quote(table)} ADD COLUMN ${quote(column.name)} ${storageColumnType(parseSqlType(column.type))}`);
  await query(`INSERT INTO siphon_tds.columns VALUES ($1, $2, $3, $4) ON CONFLICT (schema_name, table_name, column_name) DO UPDATE SET mssql_type = EXCLUDED.mssql_type`, [schema, table, column.name, column.type]);
}

export async function insertSqlServerRows(query: Query, table: SqlServerTable, rows: Array<Array<string | Buffer | null>>): Promise<void> {
  const schema = table.schema ?? 'dbo';
  const types = table.columns.map((column) => parseSqlType(column.type));
  const placeholders = table.columns.map((_, i) => `$${i + 1}`).join(', ');
  for (const row of rows) {
    const values = row.map((value, i) => (value === null || Buffer.isBuffer(value) ? value : canonicalLiteral(types[i]!, value)));
    await query(`INSERT INTO ${quote(schema)}.${quote(table.name)} VALUES (${placeholders})`, values);
  }
}
