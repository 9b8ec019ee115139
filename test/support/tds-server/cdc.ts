/**
 * SQL Server CDC (change data capture), EMULATED by the TDS test double over PostgreSQL (it
 * proves only this emulation, not SQL Server's own behaviour; README "Change capture").
 *
 * - LSNs are a counter (`siphon_tds.cdc_lsn`), one per transaction, drawn at its first captured
 *   change, shown as binary(10) (2 zero bytes, then 8 big-endian). `__$seqval` is a counter per
 *   captured row change. sys.fn_cdc_get_max_lsn() is the highest LSN committed with a change
 *   (a table of committed LSNs, as cdc.lsn_time_mapping): transactions are serial in the tests,
 *   so committed order is LSN order, as in SQL Server's log.
 * - `cdc_enable(table, instance)` (sys.sp_cdc_enable_table) records a capture instance with the
 *   table's columns as they are then (cdc.captured_columns), its start LSN (an LSN drawn for
 *   it) and minimum LSN, and (once per table) a trigger that writes each row change to every instance of
 *   the table: delete 1, insert 2, update 3 (before) and 4 (after), with the row as jsonb.
 * - cdc.fn_cdc_get_all_changes_<instance>(@from, @to, N'all' | N'all update old') lists the
 *   changes with from <= LSN <= to, failing as SQL Server does (error 313) when @from is below
 *   the instance's minimum LSN, @to above the maximum, or @from above @to.
 * - `cdc_cleanup(instance)` is retention's cleanup, run when a test says: the minimum LSN becomes
 *   the next LSN and older changes go.
 */
export const cdcSetupSql = `
CREATE SCHEMA IF NOT EXISTS siphon_cdc;
CREATE SEQUENCE IF NOT EXISTS siphon_tds.cdc_lsn START 4096;
CREATE SEQUENCE IF NOT EXISTS siphon_tds.cdc_seq START 1;
CREATE TABLE IF NOT EXISTS siphon_tds.cdc_instances (
  capture_instance text PRIMARY KEY, source_oid oid NOT NULL, start_lsn int8 NOT NULL, min_lsn int8 NOT NULL,
  created serial, create_date timestamp NOT NULL DEFAULT clock_timestamp(), captured_columns text[] NOT NULL);
CREATE TABLE IF NOT EXISTS siphon_tds.cdc_changes (
  capture_instance text NOT NULL, start_lsn int8 NOT NULL, seqval int8 NOT NULL, operation int4 NOT NULL, row_image jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS siphon_tds.cdc_committed (lsn int8 PRIMARY KEY);

CREATE OR REPLACE FUNCTION siphon_tds.lsn_bytes(value int8) RETURNS bytea IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN value IS NULL THEN NULL ELSE '\\x0000'::bytea || int8send(value) END
$$;
CREATE OR REPLACE FUNCTION siphon_tds.lsn_value(lsn bytea) RETURNS int8 IMMUTABLE LANGUAGE sql AS $$
  SELECT ('x' || encode(substring(lsn from length(lsn) - 7 for 8), 'hex'))::bit(64)::int8
$$;
CREATE OR REPLACE FUNCTION siphon_tds.cdc_max_lsn() RETURNS bytea STABLE LANGUAGE sql AS $$
  SELECT siphon_tds.lsn_bytes(coalesce(max(lsn), 0)) FROM siphon_tds.cdc_committed
$$;
CREATE OR REPLACE FUNCTION siphon_tds.cdc_min_lsn(instance text) RETURNS bytea STABLE LANGUAGE sql AS $$
  SELECT coalesce((SELECT siphon_tds.lsn_bytes(i.min_lsn) FROM siphon_tds.cdc_instances i WHERE lower(i.capture_instance) = lower(instance)), siphon_tds.lsn_bytes(0))
$$;

CREATE OR REPLACE VIEW siphon_cdc.change_tables AS
  SELECT i.created::int4 AS object_id, i.source_oid::int8::int4 AS source_object_id, i.capture_instance,
         siphon_tds.lsn_bytes(i.start_lsn) AS start_lsn, i.create_date
    FROM siphon_tds.cdc_instances i;
CREATE OR REPLACE VIEW siphon_cdc.captured_columns AS
  SELECT i.created::int4 AS object_id, c.name AS column_name, c.ord::int4 AS column_ordinal
    FROM siphon_tds.cdc_instances i CROSS JOIN LATERAL unnest(i.captured_columns) WITH ORDINALITY AS c(name, ord);

CREATE OR REPLACE FUNCTION siphon_tds.cdc_transaction_lsn() RETURNS int8 VOLATILE LANGUAGE plpgsql AS $$
DECLARE
  tx text := txid_current()::text;
  held text := current_setting('siphon_tds.cdc_tx', true);
  drawn int8;
BEGIN
  IF held IS NOT NULL AND split_part(held, ':', 1) = tx THEN RETURN split_part(held, ':', 2)::int8; END IF;
  drawn := nextval('siphon_tds.cdc_lsn');
  PERFORM set_config('siphon_tds.cdc_tx', tx || ':' || drawn, true);
  INSERT INTO siphon_tds.cdc_committed VALUES (drawn) ON CONFLICT DO NOTHING;
  RETURN drawn;
END $$;

CREATE OR REPLACE FUNCTION siphon_tds.cdc_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  lsn int8;
  seq int8;
  instance record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM siphon_tds.cdc_instances i WHERE i.source_oid = TG_RELID) THEN RETURN NULL; END IF;
  lsn := siphon_tds.cdc_transaction_lsn();
  seq := nextval('siphon_tds.cdc_seq');
  FOR instance IN SELECT i.capture_instance FROM siphon_tds.cdc_instances i WHERE i.source_oid = TG_RELID LOOP
    IF TG_OP = 'DELETE' THEN
      INSERT INTO siphon_tds.cdc_changes VALUES (instance.capture_instance, lsn, seq, 1, to_jsonb(OLD));
    ELSIF TG_OP = 'INSERT' THEN
      INSERT INTO siphon_tds.cdc_changes VALUES (instance.capture_instance, lsn, seq, 2, to_jsonb(NEW));
    ELSE
      INSERT INTO siphon_tds.cdc_changes VALUES (instance.capture_instance, lsn, seq, 3, to_jsonb(OLD)), (instance.capture_instance, lsn, seq, 4, to_jsonb(NEW));
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION siphon_tds.cdc_enable(rel regclass, instance text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  -- The instance starts at an LSN of its own, logged (as enabling it is in SQL Server's log).
  start int8 := nextval('siphon_tds.cdc_lsn');
BEGIN
  INSERT INTO siphon_tds.cdc_committed VALUES (start) ON CONFLICT DO NOTHING;
  INSERT INTO siphon_tds.cdc_instances (capture_instance, source_oid, start_lsn, min_lsn, captured_columns)
    SELECT instance, rel, start, start, array_agg(a.attname::text ORDER BY a.attnum)
      FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = rel AND t.tgname = 'siphon_cdc') THEN
    EXECUTE format('CREATE TRIGGER siphon_cdc AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION siphon_tds.cdc_track()', rel);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION siphon_tds.cdc_cleanup(instance text) RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE
  cut int8 := (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM siphon_tds.cdc_lsn);
BEGIN
  UPDATE siphon_tds.cdc_instances SET min_lsn = cut WHERE capture_instance = instance;
  DELETE FROM siphon_tds.cdc_changes WHERE capture_instance = instance AND start_lsn < cut;
  RETURN cut;
END $$;

CREATE OR REPLACE FUNCTION siphon_tds.cdc_all_changes(instance text, from_lsn bytea, to_lsn bytea, row_filter text)
  RETURNS TABLE(start_lsn bytea, seqval bytea, operation int4, update_mask bytea, row_image jsonb) STABLE LANGUAGE plpgsql AS $$
DECLARE
  info record;
  low int8 := siphon_tds.lsn_value(from_lsn);
  high int8 := siphon_tds.lsn_value(to_lsn);
BEGIN
  SELECT * INTO info FROM siphon_tds.cdc_instances i WHERE lower(i.capture_instance) = lower(instance);
  IF info IS NULL OR low < info.min_lsn OR high > siphon_tds.lsn_value(siphon_tds.cdc_max_lsn()) OR low > high
     OR lower(row_filter) NOT IN ('all', 'all update old') THEN
    RAISE EXCEPTION 'An insufficient number of arguments were supplied for the procedure or function cdc.fn_cdc_get_all_changes_%.', instance USING ERRCODE = 'SX313';
  END IF;
  RETURN QUERY SELECT siphon_tds.lsn_bytes(c.start_lsn), siphon_tds.lsn_bytes(c.seqval), c.operation, NULL::bytea, c.row_image
    FROM siphon_tds.cdc_changes c
   WHERE c.capture_instance = info.capture_instance AND c.start_lsn BETWEEN low AND high
     AND (c.operation <> 3 OR lower(row_filter) = 'all update old');
END $$;
`;
