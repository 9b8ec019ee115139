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
