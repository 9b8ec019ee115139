import type { DeniedFunctions } from './deniedFunctions.js';

export const postgresDeniedFunctions: DeniedFunctions = [
  { names: ['dblink*'], why: 'connects to another database' },
  { names: ['pg_read_file', 'pg_read_binary_file', 'pg_ls_*', 'pg_stat_file', 'pg_file_*', 'pg_logdir_ls'], why: 'reads or writes files on the database server' },
  { names: ['lo_*'], why: 'reads or writes large objects and server files' },
  { names: ['pg_sleep*'], why: 'holds the session without reading anything' },
  { names: ['pg_terminate_backend', 'pg_cancel_backend'], why: 'ends other sessions' },
  { names: ['pg_reload_conf', 'set_config', 'pg_rotate_logfile'], why: 'changes server or session settings' },
  { names: ['query_to_xml*', 'cursor_to_xml*', 'query_to_xmlschema', 'ts_stat'], why: 'runs SQL text of its own' },
  { names: ['pg_advisory*', 'pg_try_advisory*'], why: 'takes locks' },
  { names: ['pg_notify'], why: 'sends notifications to other sessions' },
  { names: ['nextval', 'setval'], why: 'advances a sequence' },
  { names: ['pg_switch_wal', 'pg_create_*', 'pg_drop_*', 'pg_logical_*', 'pg_replication_*', 'pg_promote', 'pg_backup_*', 'pg_wal_replay_*'], why: 'changes replication or WAL state' },
  { names: ['txid_current', 'pg_current_xact_id'], why: 'assigns a transaction id' },
  { names: ['pg_stat_reset*'], why: 'resets server statistics' },
];
