import { describe, expect, it } from 'vitest';
import { hiddenCredential, scrubSecrets } from '../../src/errors/scrubSecrets.js';

const H = '[Hidden Credential]';

describe('scrubSecrets', () => {
  it('uses the documented marker', () => {
    expect(hiddenCredential).toBe(H);
  });

  it('hides Password= in a SQL Server style connection string, keeping the rest', () => {
    expect(scrubSecrets('Server=tcp:db.example.com,1433;Database=sales;User ID=siphon;Password=S3cr3t!x;Encrypt=true')).toBe(
      `Server=tcp:db.example.com,1433;Database=sales;User ID=siphon;Password=${H};Encrypt=true`,
    );
  });

  it('is case-insensitive and tolerates spaces around =', () => {
    expect(scrubSecrets('PASSWORD = hunter2;x=1')).toBe(`PASSWORD=${H};x=1`);
    expect(scrubSecrets('pwd=hunter2')).toBe(`pwd=${H}`);
  });

  it('hides AccountKey= in a storage connection string', () => {
    expect(
      scrubSecrets('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFy+/abc==;EndpointSuffix=core.windows.net'),
    ).toBe(`DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${H};EndpointSuffix=core.windows.net`);
  });

  it('hides SharedAccessSignature= and SharedAccessKey=', () => {
    expect(scrubSecrets('BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv2022xyz')).toBe(
      `BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=${H}`,
    );
    expect(scrubSecrets('Endpoint=sb://x/;SharedAccessKeyName=root;SharedAccessKey=abc123=')).toBe(
      `Endpoint=sb://x/;SharedAccessKeyName=root;SharedAccessKey=${H}`,
    );
  });

  it('hides the sig= of a SAS URL and leaves other query parameters', () => {
    expect(scrubSecrets('GET https://a.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-01-01&sig=abc%2Bdef%3D failed')).toBe(
      `GET https://a.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-01-01&sig=${H} failed`,
    );
  });

  it('hides the password of a postgres:// URL, keeping the user and host', () => {
    expect(scrubSecrets('could not connect to postgres://siphon:hunter2@db.example.com:5432/app?sslmode=require')).toBe(
      `could not connect to postgres://siphon:${H}@db.example.com:5432/app?sslmode=require`,
    );
    expect(scrubSecrets('postgresql://u:p@h/db')).toBe(`postgresql://u:${H}@h/db`);
  });

  it('hides every occurrence', () => {
    const out = scrubSecrets('a Password=one; b postgres://u:two@h/db; c AccountKey=three');
    expect(out).not.toMatch(/one|two|three/);
    expect(out.split(H)).toHaveLength(4);
  });

  it.each([
    'password authentication failed for user "siphon"',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'Server=db;Database=sales;User ID=siphon',
    'https://example.com/path?x=1&y=2',
    'postgres://siphon@db.example.com/app',
    'Table sales.orders, column "signature" (text): type tsvector is not supported',
    'design=1;signal=2',
    '',
  ])('leaves non-secret text untouched: %j', (text) => {
    expect(scrubSecrets(text)).toBe(text);
  });
});

describe('quoted and spaced passwords', () => {
  it.each([
    ["Server=x;Password='my pass';Database=d", 'my pass'],
    ['Server=x;Password="a;b";Database=d', 'a;b'],
    ['Server=x;Password=correct horse battery;Database=d', 'horse battery'],
    ["host=db user=u password='s3cr3t' dbname=app", 's3cr3t'],
    ['{"user":"u","password":"hunter2"}', 'hunter2'],
  ])('hides the whole password in %j', (text, secret) => {
    expect(scrubSecrets(text)).not.toContain(secret);
  });
});
