import type { DeniedFunctions } from './deniedFunctions.js';

export const mysqlDeniedFunctions: DeniedFunctions = [
  { names: ['load_file'], why: 'reads files on the database server' },
  { names: ['sleep', 'benchmark'], why: 'holds the session without reading anything' },
  { names: ['get_lock', 'release_lock', 'release_all_locks'], why: 'takes or releases named locks' },
  { names: ['master_pos_wait', 'source_pos_wait', 'master_gtid_wait', 'wait_for_executed_gtid_set', 'wait_until_sql_thread_after_gtids'], why: 'waits on replication' },
  { names: ['sys_exec', 'sys_eval'], why: 'runs programs on the database server' },
  { names: ['nextval', 'setval', 'lastval'], why: 'advances a sequence' },
];
