import { describe, expect, it } from 'vitest';
import {
  bicepFiles,
  checkModules,
  checkParametersFile,
  checkStorageNames,
  listRepoFiles,
  readRepoFile,
  tableSuffixesInCode,
} from './infraChecks.js';

const all = bicepFiles();
const main = all.find((f) => f.path === 'infra/main.bicep')!;
const moduleFiles = all.filter((f) => f.path.startsWith('infra/modules/'));
const parameters = readRepoFile('infra/main.parameters.json');
const deployScript = readRepoFile('infra/deploy.sh');

describe('modules and parameters', () => {
  it('has main.bicep and its modules', () => {
    expect(moduleFiles.map((f) => f.path.replace('infra/modules/', ''))).toEqual([
      'alerts.bicep',
      'dataLake.bicep',
      'functionApp.bicep',
      'hostStorage.bicep',
      'keyVault.bicep',
      'monitoring.bicep',
      'network.bicep',
      'roleAssignments.bicep',
    ]);
  });

  it('passes each module the parameters it declares, and uses every parameter of every file', () => {
    expect(checkModules(main, moduleFiles)).toEqual([]);
  });

  it('gives every required parameter, with the right types, from main.parameters.json and deploy.sh', () => {
    expect(checkParametersFile(main.text, parameters, deployScript)).toEqual([]);
  });

  it('notices a module parameter nothing uses', () => {
    const keyVault = moduleFiles.find((f) => f.path.endsWith('keyVault.bicep'))!;
    const withUnused = { ...keyVault, text: keyVault.text.replace('param publicNetworkAccess string', "param skuName string = 'standard'\n\nparam publicNetworkAccess string") };
    expect(checkModules(main, moduleFiles.map((f) => (f === keyVault ? withUnused : f)))).toEqual([
      expect.stringMatching(/^infra\/modules\/keyVault\.bicep:\d+ param skuName is never used$/),
    ]);
  });

  it('notices a parameter passed that the module does not declare, and a required one not passed', () => {
    const broken = { ...main, text: main.text.replace('    retentionInDays: logRetentionInDays\n', '    retentionDays: logRetentionInDays\n') };
    expect(checkModules(broken, moduleFiles)).toEqual([
      expect.stringMatching(/module monitoring passes retentionDays, which infra\/modules\/monitoring\.bicep does not declare$/),
      expect.stringMatching(/module monitoring does not pass retentionInDays, which infra\/modules\/monitoring\.bicep requires$/),
    ]);
  });

  it('notices a required parameter nobody gives and a parameters file entry of the wrong type', () => {
    const withoutEmail = deployScript.replaceAll('alertEmail=', 'alertAddress=');
    expect(checkParametersFile(main.text, parameters, withoutEmail)).toEqual([
      'main.bicep requires alertEmail, which neither main.parameters.json nor deploy.sh gives',
      'deploy.sh passes alertAddress, which main.bicep does not declare',
    ]);
    const wrongType = parameters.replace('"maximumInstanceCount": { "value": 40 }', '"maximumInstanceCount": { "value": "40" }');
    expect(checkParametersFile(main.text, wrongType, deployScript)).toEqual(['main.parameters.json gives maximumInstanceCount a string, main.bicep expects int']);
  });
});

describe('names shared by the code and the templates', () => {
  const sources = listRepoFiles('src', '.ts').map((path) => ({ path, text: readRepoFile(path) }));

  it('creates the tables the code uses and the job queue with its poison queue', () => {
    const suffixes = tableSuffixesInCode(sources);
    expect(suffixes).toEqual(expect.arrayContaining(['Chunks', 'Leases', 'Pipelines', 'RunEvents', 'Runs', 'Watermarks']));
    expect(checkStorageNames(main.text, readRepoFile('infra/modules/hostStorage.bicep'), suffixes)).toEqual([]);
  });

  it('notices a table the code uses that the template does not create', () => {
    expect(checkStorageNames(main.text, readRepoFile('infra/modules/hostStorage.bicep'), ['Pipelines', 'Sightings'])).toEqual([
      'main.bicep does not create the Sightings table the code uses',
    ]);
  });
});
