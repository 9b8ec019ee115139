import { describe, expect, it } from 'vitest';
import { findSecrets, maxSecretScanDepth } from '../../src/spec/findSecrets.js';
import { pipelineSpecInputSchema } from '../../src/spec/pipelineSpecInput.js';

const paths = (value: unknown) => findSecrets(value).map((f) => f.path);

describe('findSecrets', () => {
  it('finds nothing in a clean spec', () => {
    expect(
      findSecrets({
        id: 'orders',
        source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X' },
        table: { schema: 'sales', name: 'orders' },
        description: 'see https://example.com/docs?x=1 or mail ops@example.com',
        columns: ['id', 'total'],
      }),
    ).toEqual([]);
  });

  it.each(['password', 'Password', 'PWD', 'passwd', 'secret', 'clientSecret', 'client_secret', 'connectionString', 'connection_string', 'AccountKey', 'sasToken', 'sas', 'apiKey', 'api_key', 'token'])(
    'flags the key %s wherever it is',
    (key) => {
      expect(paths({ output: { nested: [{ [key]: 'x' }] } })).toEqual([['output', 'nested', 0, key]]);
    },
  );

  it('flags a secret key at the top level', () => {
    expect(paths({ password: 'x' })).toEqual([['password']]);
  });

  it('flags a secret key even when its value is not a string, without descending into it', () => {
    expect(paths({ a: { password: { password: 'x' } } })).toEqual([['a', 'password']]);
  });

  it('does not flag keys that merely contain a secret word', () => {
    expect(paths({ passwordHint: 'x', tokens: 1, mySecret: 'y' })).toEqual([]);
  });

  it.each([
    'Server=x;Password=y',
    'Host=h;Database=d;pwd=y',
    'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k',
    'BlobEndpoint=https://a/;SharedAccessSignature=sv=1',
    'Endpoint=sb://x/;SharedAccessKey=k',
    'Password=y',
    'postgres://u:p@h/db',
    'postgresql://user:pass@db.example.com:5432/app',
  ])('flags the connection-string-like value %j at its path', (value) => {
    const found = findSecrets({ source: { engine: 'postgres', connectionSetting: value } });
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toEqual(['source', 'connectionSetting']);
    expect(found[0]!.reason).toMatch(/connection string/);
  });

  it('flags values inside arrays with the index in the path', () => {
    expect(paths({ list: ['ok', 'Server=x;Pwd=y'] })).toEqual([['list', 1]]);
  });

  it.each(['SIPHON_X', 'postgres://u@h/db', 'https://example.com/a?b=c', 'user@example.com', 'MyPassword', 'a=b;c=d'])(
    'does not flag the ordinary value %j',
    (value) => {
      expect(findSecrets({ v: value })).toEqual([]);
    },
  );

  it('reports every finding', () => {
    expect(paths({ a: { token: 't' }, b: ['postgres://u:p@h/db'], c: 'x' })).toEqual([['a', 'token'], ['b', 0]]);
  });

  it('handles primitives and null', () => {
    expect(findSecrets(null)).toEqual([]);
    expect(findSecrets(42)).toEqual([]);
    expect(findSecrets('Password=x')).toEqual([{ path: [], reason: expect.any(String) }]);
  });
});

describe('credential shapes in free text', () => {
  const reasonAt = (value: unknown) => findSecrets(value).map((f) => [f.path.join('.'), f.reason]);

  it.each([
    ['a URL with user:password@ inside prose', 'nightly copy, source is postgres://etl:hunter2@db.internal:5432/sales (ask ops)', /connection string with a credential \(a URL with user:password@\)/],
    ['libpq key=value with spaces between pairs', 'host=db.internal port=5432 password=hunter2 dbname=sales', /password=, pwd= or passwd=/],
    ['pwd=', 'use Server=db;Uid=etl;Pwd=hunter2 for the legacy box', /password=, pwd= or passwd=/],
    ['passwd= with spaces around =', 'passwd = hunter2', /password=, pwd= or passwd=/],
    ['AccountKey=', 'AccountName=acct;AccountKey=abc123==', /AccountKey=/],
    ['SharedAccessSignature=', 'BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2022&sig=abc', /connection string with a credential/],
    ['a SAS URL', 'drop files at https://acct.blob.core.windows.net/in?sv=2022-11-02&ss=b&sig=Zm9vYmFyYmF6cXV4%3D', /SAS token signature \(sig=\)/],
    ['an Authorization header', 'curl -H "Authorization: Bearer abc" https://x', /Authorization header/],
    ['a bearer token', 'token: Bearer 0a1b2c3d4e5f6a7b8c9d0e1f', /bearer token/],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl', /JSON Web Token/],
    ['a PEM private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----', /private key/],
    ['client_secret=', 'client_id=abc&client_secret=xyz', /client_secret=/],
  ])('flags %s in a description', (_what, description, reason) => {
    const found = reasonAt({ id: 'p', description });
    expect(found).toEqual([['description', expect.stringMatching(reason)]]);
    expect(found[0]![1]).toMatch(/secrets are not accepted in a pipeline spec/);
    expect(found[0]![1]).not.toContain('hunter2');
  });

  it.each([
    ['a comment', 'SELECT id FROM t /* password=hunter2 */'],
    ['a comment with spaces', 'SELECT id FROM t -- connect with password = hunter2'],
    ['a dblink connection string', "SELECT * FROM dblink('host=h dbname=d user=u password=hunter2', 'select 1') AS t(id int)"],
    ['a dblink string with spaces', "SELECT * FROM dblink('password = hunter2', 'select 1') AS t(id int)"],
    ['a compared literal', "SELECT id FROM users WHERE password = 'hunter2'"],
    ['a URL in a literal', "SELECT 'mysql://root:hunter2@h/db' AS u"],
  ])('flags a password in %s of a query', (_what, query) => {
    expect(reasonAt({ query })).toEqual([['query', expect.stringMatching(/connection string with a credential/)]]);
  });

  it.each([
    'SELECT u.id, u.password_hash FROM users u',
    'SELECT id FROM users WHERE password IS NULL',
    'SELECT a.id FROM a JOIN b ON a.password = b.password',
    'SELECT id FROM users WHERE pwd = crypt(entered, pwd)',
    "SELECT id, 'see the wiki for the password' AS note FROM t",
  ])('does not flag the query %j, where password is a column', (query) => {
    expect(findSecrets({ query })).toEqual([]);
  });

  it.each([
    ['columns named like secrets', { columns: ['password', 'password_hash', 'pwd', 'sig', 'bearer'] }],
    ['prose about passwords', { description: 'Copies users without the password column; bearer bonds table too.' }],
    ['a plain URL and an e-mail address', { description: 'docs at https://wiki.example.com:8443/siphon?a=b, owner ops@example.com' }],
    ['a short sig= in prose', { description: 'sig=1 is fine' }],
    ['a cron and a template', { schedule: { cron: '0 0 2 * * *' }, output: { pathTemplate: '{pipeline}/run={runId}/part-{chunk}-{file}' } }],
  ])('does not flag %s', (_what, value) => {
    expect(findSecrets(value)).toEqual([]);
  });

  it('scans every string, names and templates too, and reports each at its path', () => {
    expect(reasonAt({ table: { name: 'x password=hunter2' }, output: { pathTemplate: '{pipeline}/postgres://u:p@h/{runId}' } }).map(([path]) => path)).toEqual([
      'table.name',
      'output.pathTemplate',
    ]);
  });

  it('walks deep values without recursion and refuses what is nested past the cap', () => {
    let deep: unknown = 'Password=x';
    for (let level = 0; level < 100_000; level++) deep = [deep];
    const found = findSecrets({ a: deep });
    expect(found).toEqual([{ path: ['a', ...Array(maxSecretScanDepth - 1).fill(0)], reason: expect.stringContaining(`nested more than ${maxSecretScanDepth} levels deep`) }]);
    let shallow: unknown = 'Password=x';
    for (let level = 0; level < maxSecretScanDepth - 2; level++) shallow = [shallow];
    expect(findSecrets({ a: shallow })[0]!.reason).toMatch(/connection string with a credential/);
  });

  it('refuses through the spec schema with 400-ready issues naming the field', () => {
    const result = pipelineSpecInputSchema.safeParse({
      id: 'orders',
      description: 'from host=db password=hunter2',
      source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SALES' },
      query: 'SELECT 1 AS id /* pwd=hunter2 */',
      output: { container: 'exports' },
    });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['description', 'query']);
    expect(JSON.stringify(result.error?.issues)).not.toContain('hunter2');
  });
});
