import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sourceQueryRefusal } from '../../src/sources/queryGuard/sourceQueryRefusal.js';
import { engines } from '../../src/spec/pipelineSpec.js';
import { pipelineSpecInputSchema } from '../../src/spec/pipelineSpecInput.js';

const corpusSchema = z.object({ accepted: z.array(z.string()), gaps: z.array(z.string()), refused: z.array(z.object({ sql: z.string(), reason: z.string() })) });
const corpus = z.object({ postgres: corpusSchema, mysql: corpusSchema, sqlserver: corpusSchema })
  .parse(JSON.parse(readFileSync(new URL('../fixtures/sourceQueryCorpus.json', import.meta.url), 'utf8')));

describe.each(engines)('the source query check on %s', (engine) => {
  it.each(corpus[engine].accepted)('accepts %s', (sql) => {
    expect(sourceQueryRefusal(engine, sql)).toBeUndefined();
  });

  // Legitimate queries the parser's grammar cannot read: refused, the safe side. Should the
  // parser learn them, move them to accepted.
  it.each(corpus[engine].gaps)('refuses what its parser cannot read: %s', (sql) => {
    expect(sourceQueryRefusal(engine, sql)).toMatch(/^cannot be parsed as /);
  });

  it.each(corpus[engine].refused.map((entry) => [entry.sql, entry.reason] as const))('refuses %s', (sql, reason) => {
    expect(sourceQueryRefusal(engine, sql)).toContain(reason);
  });
});

describe('the spec check of query', () => {
  const spec = (engine: string, query: string) => ({
    id: 'q', source: { engine, connectionSetting: 'SIPHON_SOURCE_DB' }, query, output: { container: 'out' },
  });
  const issues = (value: unknown) => {
    const parsed = pipelineSpecInputSchema.safeParse(value);
    return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  };

  it('refuses the breakout with a path naming query and the reason, on every engine', () => {
    for (const engine of engines) {
      const found = issues(spec(engine, 'SELECT 1 AS id) AS a; DROP TABLE victim; SELECT * FROM (SELECT 1 AS id'));
      expect(found).toHaveLength(1);
      expect(found[0]!.path).toBe('query');
      expect(found[0]!.message).toMatch(/cannot be parsed as (PostgreSQL|MySQL\/MariaDB|T-SQL)/);
    }
  });

  it('judges the query in the dialect of the source: a backtick is MySQL, a bracket T-SQL', () => {
    expect(issues(spec('mysql', 'SELECT `id` FROM `orders`'))).toEqual([]);
    expect(issues(spec('postgres', 'SELECT `id` FROM `orders`'))[0]!.message).toMatch(/cannot be parsed as PostgreSQL/);
    expect(issues(spec('sqlserver', 'SELECT [id] FROM [orders]'))).toEqual([]);
  });

  it('accepts session limits on the source and refuses nonsense ones', () => {
    const limited = { ...spec('postgres', 'SELECT 1 AS id'), source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_DB', statementTimeoutSeconds: 600, lockTimeoutSeconds: 5 } };
    expect(issues(limited)).toEqual([]);
    expect(issues({ ...limited, source: { ...limited.source, lockTimeoutSeconds: 0 } }).map((issue) => issue.path)).toEqual(['source.lockTimeoutSeconds']);
    // source.maxSessions: at least one session, whole, and a sane upper bound.
    expect(issues({ ...limited, source: { ...limited.source, maxSessions: 2 } })).toEqual([]);
    for (const maxSessions of [0, 1.5, 257, '4']) expect(issues({ ...limited, source: { ...limited.source, maxSessions } }).map((issue) => issue.path), String(maxSessions)).toEqual(['source.maxSessions']);
  });
});
