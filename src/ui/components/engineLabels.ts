import type { Engine } from '../../spec/pipelineSpec.js';

/** The engines as people name them; a record over the type, so a new engine cannot be left out. */
export const engineLabels: Record<Engine, string> = {
  postgres: 'PostgreSQL',
  mysql: 'MySQL / MariaDB',
  sqlserver: 'SQL Server',
};
