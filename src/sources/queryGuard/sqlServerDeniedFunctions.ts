import type { DeniedFunctions } from './deniedFunctions.js';

export const sqlServerDeniedFunctions: DeniedFunctions = [
  { names: ['openquery', 'openrowset', 'opendatasource'], why: 'reads from another server or a file' },
  { names: ['xp_*', 'sp_*'], why: 'is a system procedure that reaches outside the query' },
];
