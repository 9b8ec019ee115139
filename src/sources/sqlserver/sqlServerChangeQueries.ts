import type { Column } from '../../spec/columns.js';
import type { TableRef } from '../sourceConnector.js';
import { quoteIdentifier, quoteTable, selectExpression, type SqlParam, type SqlQuery } from './sqlServerDialect.js';

/**
 * The T-SQL of SQL Server Change Tracking (capture/changeTracking.ts): what prepare asks of the
 * database and the table, and the read of one run's changes. Identifiers are quoted here,
 * values travel as parameters.
 */

/** The two values each change row carries after the row's columns (ReadChunkRequest.changeRead). */
export const changeOperationAlias = 'siphon_change_operation';
export const changeVersionAlias = 'siphon_change_version';

const objectParam = (table: TableRef): SqlParam => ({ name: 'object', type: 'nvarchar', length: 300, value: quoteTable(table) });

/**
 * At prepare: whether the database allows SNAPSHOT isolation (every change read runs under it),
 * the database's current Change Tracking version (the run's high version) and the table's
 * minimum valid version (NULL: the table is not tracked).
 */
export function changeTrackingStateQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT CAST(CASE WHEN d.snapshot_isolation_state = 1 THEN 1 ELSE 0 END AS int) AS snapshot_allowed,
       CHANGE_TRACKING_CURRENT_VERSION() AS current_version,
       CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(@object)) AS min_valid_version
  FROM sys.databases AS d
 WHERE d.name = DB_NAME()`,
    params: [objectParam(table)],
  };
}

/** The table's minimum valid version now: checked again after each read (ChangeTrackingRead). */
export function minValidVersionQuery(table: TableRef): SqlQuery {
  return { text: `SELECT CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(@object)) AS min_valid_version`, params: [objectParam(table)] };
}

/** `column` selected from the source aliased `alias`, as the read decodes it (selectExpression). */
function selectFrom(alias: string, column: Column): string {
  const quoted = quoteIdentifier(column.name);
  const plain = selectExpression(column);
  if (plain === quoted) return `${alias}.${quoted} AS ${quoted}`;
  // The first occurrence is the column inside the CONVERT; the last is its alias.
  return plain.replace(quoted, () => `${alias}.${quoted}`);
}

/**
 * One run's changes, in one SNAPSHOT transaction of its own session: the latest change of each
 * key after `after` (CHANGETABLE(CHANGES)), LEFT JOINed to the table by the primary key, so a
 * deleted row still comes (its key from the change table, its other columns NULL), and no
 * change above `upTo` (the version prepare read): a change committed since then belongs to the
 * next run, which reads it from `upTo`. The snapshot makes the row's values and the change table
 * agree; XACT_ABORT ends the transaction if the read fails. Ordered by the key.
 */
export function changeTrackingReadQuery(table: TableRef, columns: Column[], keys: string[], after: string, upTo: string): SqlQuery {
  const isKey = new Set(keys);
  const list = columns.map((column) => selectFrom(isKey.has(column.name) ? 'siphon_ct' : 'siphon_row', column));
  const on = keys.map((key) => `siphon_row.${quoteIdentifier(key)} = siphon_ct.${quoteIdentifier(key)}`).join(' AND ');
  return {
    text: `SET XACT_ABORT ON;
SET TRANSACTION ISOLATION LEVEL SNAPSHOT;
BEGIN TRANSACTION;
SELECT ${list.join(', ')}, siphon_ct.SYS_CHANGE_OPERATION AS ${changeOperationAlias}, siphon_ct.SYS_CHANGE_VERSION AS ${changeVersionAlias}
  FROM CHANGETABLE(CHANGES ${quoteTable(table)}, @after) AS siphon_ct
  LEFT JOIN ${quoteTable(table)} AS siphon_row ON ${on}
 WHERE siphon_ct.SYS_CHANGE_VERSION <= @upTo
 ORDER BY ${keys.map((key) => `siphon_ct.${quoteIdentifier(key)}`).join(', ')};
COMMIT TRANSACTION;
SET TRANSACTION ISOLATION LEVEL READ COMMITTED;`,
    params: [{ name: 'after', type: 'bigint', value: BigInt(after) }, { name: 'upTo', type: 'bigint', value: BigInt(upTo) }],
  };
}

// ---------------------------------------------------------------------------------------------
// CDC (capture/planCdc.ts). LSNs travel as binary(10) parameters and come back as 0x hex text
// (CONVERT style 1: 0x and 20 upper-case hex digits), which orders as the LSNs do.

const lsnText = (expression: string) => `CONVERT(varchar(22), ${expression}, 1)`;

export function lsnParam(name: string, hex: string): SqlParam {
  return { name, type: 'binary', length: 10, value: Buffer.from(hex.slice(2), 'hex') };
}

/** The table's capture instances, oldest first, with each one's start and minimum LSN. */
export function cdcInstancesQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT ct.capture_instance, ${lsnText('ct.start_lsn')} AS start_lsn, ${lsnText('sys.fn_cdc_get_min_lsn(ct.capture_instance)')} AS min_lsn
  FROM cdc.change_tables AS ct
 WHERE ct.source_object_id = OBJECT_ID(@object)
 ORDER BY ct.create_date, ct.capture_instance`,
    params: [objectParam(table)],
  };
}

/** The columns each capture instance of the table captured (a newer instance may have others). */
export function cdcCapturedColumnsQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT ct.capture_instance, cc.column_name
  FROM cdc.captured_columns AS cc
  JOIN cdc.change_tables AS ct ON ct.object_id = cc.object_id
 WHERE ct.source_object_id = OBJECT_ID(@object)
 ORDER BY ct.capture_instance, cc.column_ordinal`,
    params: [objectParam(table)],
  };
}

/** The highest LSN CDC has captured: the run's upper bound. */
export function cdcMaxLsnQuery(): SqlQuery {
  return { text: `SELECT ${lsnText('sys.fn_cdc_get_max_lsn()')} AS max_lsn`, params: [] };
}

export function cdcMinLsnQuery(instance: string): SqlQuery {
  return { text: `SELECT ${lsnText('sys.fn_cdc_get_min_lsn(@instance)')} AS min_lsn`, params: [{ name: 'instance', type: 'nvarchar', length: 128, value: instance }] };
}

/**
 * One run's CDC changes: cdc.fn_cdc_get_all_changes_<instance> from the LSN after the stored one
 * (sys.fn_cdc_increment_lsn: the function's lower bound is inclusive) up to the run's maximum
 * LSN, in commit order (__$start_lsn, __$seqval, then before-image before after-image). Columns
 * the instance did not capture (added to the table after it was created) come as NULL. The
 * version is the start LSN and the seqval as one hex text, orderable as text.
 */
export function cdcReadQuery(instance: string, columns: Column[], captured: string[], from: string, upTo: string, rowFilter: 'all' | 'all update old'): SqlQuery {
  const has = new Set(captured.map((name) => name.toLowerCase()));
  const list = columns.map((column) => (has.has(column.name.toLowerCase()) ? selectFrom('siphon_cdc', column) : `CAST(NULL AS nvarchar(1)) AS ${quoteIdentifier(column.name)}`));
  const lsn = (column: string) => `siphon_cdc.${quoteIdentifier(column)}`;
  return {
    text: `SELECT ${list.join(', ')}, CAST(${lsn('__$operation')} AS int) AS ${changeOperationAlias},
       ${lsnText(lsn('__$start_lsn'))} + CONVERT(varchar(20), ${lsn('__$seqval')}, 2) AS ${changeVersionAlias}
  FROM cdc.${quoteIdentifier(`fn_cdc_get_all_changes_${instance}`)}(sys.fn_cdc_increment_lsn(@from), @upTo, N'${rowFilter}') AS siphon_cdc
 ORDER BY ${lsn('__$start_lsn')}, ${lsn('__$seqval')}, ${lsn('__$operation')}`,
    params: [lsnParam('from', from), lsnParam('upTo', upTo)],
  };
}
