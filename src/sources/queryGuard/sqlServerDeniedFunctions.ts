import type { DeniedFunctions } from './deniedFunctions.js';

export const sqlServerDeniedFunctions: DeniedFunctions = [
  { names: ['openquery', 'openrowset', 'opendatasource'], why: 'reads from another server or a file' },
  { names: ['fn_get_audit_file', 'fn_xe_file_target_read_file', 'fn_trace_gettable'], why: 'reads files on the database server' },
  { names: ['xp_*', 'sp_*'], why: 'is a system procedure that reaches outside the query' },
];
