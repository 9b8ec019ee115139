// How each candidate SQL parser does on test/fixtures/sourceQueryCorpus.json, used to choose the
// parser behind each engine's query check. Run from the repository root after a build:
//   npm run build && node test/support/measureQueryParsers.mjs
// For each engine and candidate: legitimate queries accepted, hostile ones refused (and, of
// those, refused for the expected reason rather than by a parse error or another check).
import { readFileSync } from 'node:fs';
import { postgresQueryRefusal } from '../../dist/src/sources/queryGuard/postgresQueryGuard.js';
import { sqlParserQueryRefusal } from '../../dist/src/sources/queryGuard/sqlParserQueryGuard.js';
import { postgresDeniedFunctions } from '../../dist/src/sources/queryGuard/postgresDeniedFunctions.js';
import { mysqlDeniedFunctions } from '../../dist/src/sources/queryGuard/mysqlDeniedFunctions.js';
import { sqlServerQueryRefusal } from '../../dist/src/sources/queryGuard/sqlServerQueryGuard.js';
import { mysqlQueryRefusal } from '../../dist/src/sources/queryGuard/mysqlQueryGuard.js';

const corpus = JSON.parse(readFileSync(new URL('../fixtures/sourceQueryCorpus.json', import.meta.url), 'utf8'));
const none = new Set();
const candidates = {
  postgres: {
    'libpg-query 18 (chosen)': postgresQueryRefusal,
    'node-sql-parser PostgresQL': (sql) => sqlParserQueryRefusal(sql, { database: 'PostgresQL', build: 'postgresql', engineName: 'PostgreSQL', denied: postgresDeniedFunctions, lockingHints: none }),
  },
  mysql: {
    'node-sql-parser MariaDB + checks (chosen)': mysqlQueryRefusal,
    'node-sql-parser MySQL, tree only': (sql) => sqlParserQueryRefusal(sql, { database: 'MySQL', build: 'mysql', engineName: 'MySQL', denied: mysqlDeniedFunctions, lockingHints: none }),
    'node-sql-parser MariaDB, tree only': (sql) => sqlParserQueryRefusal(sql, { database: 'MariaDB', build: 'mariadb', engineName: 'MariaDB', denied: mysqlDeniedFunctions, lockingHints: none }),
  },
  sqlserver: {
    'node-sql-parser TransactSQL + checks (chosen)': sqlServerQueryRefusal,
  },
};

for (const [engine, byName] of Object.entries(candidates)) {
  const { refused } = corpus[engine];
  const accepted = [...corpus[engine].accepted, ...corpus[engine].gaps];
  for (const [name, check] of Object.entries(byName)) {
    const wronglyRefused = accepted.filter((sql) => check(sql) !== undefined);
    const missed = refused.filter((entry) => check(entry.sql) === undefined);
    const exact = refused.filter((entry) => (check(entry.sql) ?? '').includes(entry.reason));
    console.log(`${engine.padEnd(9)} ${name.padEnd(46)} legit accepted ${accepted.length - wronglyRefused.length}/${accepted.length}  hostile refused ${refused.length - missed.length}/${refused.length}  for the expected reason ${exact.length}/${refused.length}`);
    for (const sql of wronglyRefused) console.log(`    wrongly refused: ${sql.slice(0, 90)}  -> ${check(sql)?.slice(0, 100)}`);
    for (const entry of missed) console.log(`    MISSED: ${entry.sql.slice(0, 90)}`);
  }
}
if (process.argv.includes('--reasons')) {
  for (const [engine, byName] of Object.entries(candidates)) {
    const check = Object.values(byName)[0];
    for (const entry of corpus[engine].refused) {
      const reason = check(entry.sql) ?? '';
      if (!reason.includes(entry.reason)) console.log(`${engine}: ${entry.sql.slice(0, 70)}\n    expected "${entry.reason}", got "${reason.slice(0, 160)}"`);
    }
  }
}
