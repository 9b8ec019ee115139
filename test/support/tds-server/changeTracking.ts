/**
 * SQL Server Change Tracking, EMULATED by the TDS test double over PostgreSQL (it proves only
 * this emulation, not SQL Server's own behaviour; README "Change capture").
 *
 * - One version counter for the database (`siphon_tds.ct_version`); a transaction's changes all
 *   take one version, drawn at its first tracked change. CHANGE_TRACKING_CURRENT_VERSION() is
 *   the last version drawn (0 before any), NULL while Change Tracking is off for the database.
 * - `enable_change_tracking(table)` (ALTER TABLE ... ENABLE CHANGE_TRACKING) records the table's
 *   primary key and its minimum valid version (the current version then), and adds a trigger
 *   that keeps, per key, its latest change: version, creation version (an insert's), deleted.
 * - CHANGETABLE(CHANGES t, @last) lists the keys changed after @last with SYS_CHANGE_OPERATION
 *   D (deleted), I (created after @last) or U.
 * - `ct_cleanup(table)` is retention's cleanup, run when a test says: the minimum valid version
 *   becomes the current version and older changes go.
 * - `database_options` holds ALLOW_SNAPSHOT_ISOLATION (sys.databases.snapshot_isolation_state),
 *   off as in a new SQL Server database; BEGIN TRANSACTION under SNAPSHOT then fails as SQL
 *   Server does (error 3952), else runs as PostgreSQL's REPEATABLE READ, whose snapshot is taken
 *   at the first statement, as SQL Server's is at the first data access.
 */
export const changeTrackingSetupSql = `
CREATE SEQUENCE IF NOT EXISTS siphon_tds.ct_version START 1 MINVALUE 0;
CREATE TABLE IF NOT EXISTS siphon_tds.database_options (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), allow_snapshot_isolation bool NOT NULL DEFAULT false, change_tracking bool NOT NULL DEFAULT false);
INSERT INTO siphon_tds.database_options (id) VALUES (1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS siphon_tds.ct_tables (table_oid oid PRIMARY KEY, key_columns text[] NOT NULL, min_valid_version int8 NOT NULL);
CREATE TABLE IF NOT EXISTS siphon_tds.ct_changes (
  table_oid oid NOT NULL, key jsonb NOT NULL, version int8 NOT NULL, creation_version int8, deleted bool NOT NULL,
  PRIMARY KEY (table_oid, key));

CREATE OR REPLACE VIEW siphon_sys.databases AS
  SELECT 1::int4 AS database_id, current_database()::text AS name,
         (CASE WHEN o.allow_snapshot_isolation THEN 1 ELSE 0 END)::int2 AS snapshot_isolation_state,
         false AS is_read_committed_snapshot_on, false AS is_cdc_enabled
    FROM siphon_tds.database_options o;

CREATE OR REPLACE FUNCTION siphon_tds.ct_current_version() RETURNS int8 VOLATILE LANGUAGE sql AS $$
  SELECT CASE WHEN o.change_tracking THEN (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM siphon_tds.ct_version) END
    FROM siphon_tds.database_options o
$$;

-- OBJECT_ID(N'[schema].[table]'): the table's oid as SQL Server's int object id (sys.objects').
CREATE OR REPLACE FUNCTION siphon_tds.object_id(name text) RETURNS int4 STABLE LANGUAGE sql AS $$
  SELECT to_regclass(replace(replace(name, '[', '"'), ']', '"'))::oid::int8::int4
$$;

CREATE OR REPLACE FUNCTION siphon_tds.ct_min_valid_version(object int4) RETURNS int8 STABLE LANGUAGE sql AS $$
  SELECT t.min_valid_version FROM siphon_tds.ct_tables t WHERE t.table_oid = object::int8::oid
$$;

-- The version of the current transaction's changes: drawn once, at its first tracked change.
CREATE OR REPLACE FUNCTION siphon_tds.ct_transaction_version() RETURNS int8 VOLATILE LANGUAGE plpgsql AS $$
DECLARE
  tx text := txid_current()::text;
  held text := current_setting('siphon_tds.ct_tx', true);
  drawn int8;
BEGIN
  IF held IS NOT NULL AND split_part(held, ':', 1) = tx THEN RETURN split_part(held, ':', 2)::int8; END IF;
  drawn := nextval('siphon_tds.ct_version');
  PERFORM set_config('siphon_tds.ct_tx', tx || ':' || drawn, true);
  RETURN drawn;
END $$;

CREATE OR REPLACE FUNCTION siphon_tds.ct_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  key_names text[] := (SELECT t.key_columns FROM siphon_tds.ct_tables t WHERE t.table_oid = TG_RELID);
  drawn int8 := siphon_tds.ct_transaction_version();
  old_key jsonb;
  new_key jsonb;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN SELECT jsonb_object_agg(k, to_jsonb(OLD) -> k) INTO old_key FROM unnest(key_names) AS k; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN SELECT jsonb_object_agg(k, to_jsonb(NEW) -> k) INTO new_key FROM unnest(key_names) AS k; END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND old_key <> new_key) THEN
    INSERT INTO siphon_tds.ct_changes AS c VALUES (TG_RELID, old_key, drawn, NULL, true)
      ON CONFLICT (table_oid, key) DO UPDATE SET version = EXCLUDED.version, deleted = true;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND old_key <> new_key) THEN
    INSERT INTO siphon_tds.ct_changes AS c VALUES (TG_RELID, new_key, drawn, drawn, false)
      ON CONFLICT (table_oid, key) DO UPDATE SET version = EXCLUDED.version, creation_version = EXCLUDED.creation_version, deleted = false;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO siphon_tds.ct_changes AS c VALUES (TG_RELID, new_key, drawn, NULL, false)
      ON CONFLICT (table_oid, key) DO UPDATE SET version = EXCLUDED.version, deleted = false;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION siphon_tds.enable_change_tracking(rel regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE key_names text[];
BEGIN
  UPDATE siphon_tds.database_options SET change_tracking = true;
  SELECT array_agg(a.attname::text ORDER BY k.ord) INTO key_names
    FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
   WHERE i.indrelid = rel AND i.indisprimary;
  IF key_names IS NULL THEN RAISE EXCEPTION 'Cannot enable change tracking on table %: it has no primary key', rel; END IF;
  INSERT INTO siphon_tds.ct_tables VALUES (rel, key_names, siphon_tds.ct_current_version()) ON CONFLICT (table_oid) DO NOTHING;
  EXECUTE format('CREATE TRIGGER siphon_change_tracking AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION siphon_tds.ct_track()', rel);
END $$;

CREATE OR REPLACE FUNCTION siphon_tds.ct_cleanup(rel regclass) RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE cut int8 := siphon_tds.ct_current_version();
BEGIN
  UPDATE siphon_tds.ct_tables SET min_valid_version = cut WHERE table_oid = rel;
  DELETE FROM siphon_tds.ct_changes WHERE table_oid = rel AND version < cut;
  RETURN cut;
END $$;

CREATE OR REPLACE FUNCTION siphon_tds.ct_changes_since(rel regclass, last int8)
  RETURNS TABLE(key jsonb, sys_change_version int8, sys_change_creation_version int8, sys_change_operation text) STABLE LANGUAGE sql AS $$
  SELECT c.key, c.version, c.creation_version,
         CASE WHEN c.deleted THEN 'D' WHEN c.creation_version > coalesce(last, -1) THEN 'I' ELSE 'U' END
    FROM siphon_tds.ct_changes c
   WHERE c.table_oid = rel AND c.version > coalesce(last, -1)
$$;
`;
