import { describe, expect, it } from 'vitest';
import { findSecrets } from '../../src/spec/findSecrets.js';

const paths = (value: unknown) => findSecrets(value).map((f) => f.path);

describe('findSecrets', () => {
  it('finds nothing in a clean spec', () => {
    expect(
      findSecrets({
        id: 'orders',
        source: { engine: 'postgres', connectionSetting: 'SIPHON_X' },
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
