import { describe, expect, it } from 'vitest';
import { bicepFiles, checkIdentityOnly, checkNoSecrets, readRepoFile, type TextFile } from './infraChecks.js';

const files: TextFile[] = [
  ...bicepFiles(),
  { path: 'infra/main.parameters.json', text: readRepoFile('infra/main.parameters.json') },
  { path: 'infra/deploy.sh', text: readRepoFile('infra/deploy.sh') },
];

describe('no secrets in the templates', () => {
  it('finds no key, password, SAS or connection string in any template, the parameters or the deploy script', () => {
    expect(files.map((f) => f.path)).toContain('infra/modules/roleAssignments.bicep');
    expect(checkNoSecrets(files)).toEqual([]);
  });

  it('turns keys off: storage without shared keys, Application Insights without local auth, Key Vault with RBAC', () => {
    expect(checkIdentityOnly(files)).toEqual([]);
  });

  it.each([
    ["value: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc=='", 'a storage account key'],
    ["password: 'hunter2'", 'a password'],
    ["value: 'Server=tcp:db,1433;Database=sales;User ID=sa;Password=x'", 'a password'],
    ['value: storage.listKeys().keys[0].value', 'a key or secret read at deployment time'],
    ["value: 'https://x.blob.core.windows.net/c?sv=2022&sig=abc'", 'a SAS signature'],
    ["value: 'InstrumentationKey=00000000-0000-0000-0000-000000000000'", 'an Application Insights key'],
    ["value: 'postgres://user@db:5432/sales'", 'a database URL'],
  ])('notices %s', (line, what) => {
    const main = files.find((f) => f.path === 'infra/main.bicep')!;
    const problems = checkNoSecrets([{ path: main.path, text: `${main.text}\n${line}\n` }]);
    expect(problems.some((p) => p.includes(`holds ${what}`))).toBe(true);
  });

  it('notices a secure parameter with a default value', () => {
    const problems = checkNoSecrets([{ path: 'x.bicep', text: "@secure()\n@description('a')\nparam sqlLogin string = 'abc'\n" }]);
    expect(problems).toEqual(['x.bicep:3 secure param sqlLogin has a default value']);
  });

  it('notices shared keys left on', () => {
    const host = files.find((f) => f.path === 'infra/modules/hostStorage.bicep')!;
    const problems = checkIdentityOnly([{ path: host.path, text: host.text.replace('allowSharedKeyAccess: false', 'allowSharedKeyAccess: true') }]);
    expect(problems).toEqual([expect.stringMatching(/hostStorage\.bicep:\d+ account: allowSharedKeyAccess is not false/)]);
  });
});
