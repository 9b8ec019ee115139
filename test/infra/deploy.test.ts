import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkAlwaysReady,
  checkCliVersionFirst,
  checkKeyVaultReferences,
  checkNodeVersion,
  checkProviderRegistration,
  checkRoleWait,
  checkScalingDocs,
  checkVaultName,
  satisfiesEngines,
} from './deployChecks.js';
import { listRepoFiles, readRepoFile, repoRoot } from './infraChecks.js';

const main = readRepoFile('infra/main.bicep');
const functionApp = readRepoFile('infra/modules/functionApp.bicep');
const parameters = readRepoFile('infra/main.parameters.json');
const packageJson = readRepoFile('package.json');
const deployScript = readRepoFile('infra/deploy.sh');
const readme = readRepoFile('README.md');
const infraReadme = readRepoFile('infra/README.md');
const specSource = listRepoFiles('src/spec', '.ts').map((path) => readRepoFile(path)).join('\n');

/** Replaces text that must be there, so a broken copy never passes because the original moved. */
function broken(text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`broken copy: ${String(from)} not found`);
  return changed;
}

describe('Node.js 22', () => {
  it('is the default in main.bicep and the parameters file, and engines takes Node.js 20 and 22', () => {
    expect(checkNodeVersion(main, parameters, packageJson)).toEqual([]);
  });

  it('reads engines ranges', () => {
    expect(['20.0.0', '22.11.0'].map((v) => satisfiesEngines('^20 || ^22', v))).toEqual([true, true]);
    expect(['18.0.0', '21.0.0', '23.0.0'].map((v) => satisfiesEngines('^20 || ^22', v))).toEqual([false, false, false]);
    expect(satisfiesEngines('>=20 <23', '22.1.0')).toBe(true);
    expect(satisfiesEngines('>=20', '24.0.0')).toBe(true);
  });

  it('notices Node.js 20 as the default and engines that leave out 22 or take anything', () => {
    expect(checkNodeVersion(broken(main, "param nodeVersion string = '22'", "param nodeVersion string = '20'"), parameters, packageJson)).toEqual([
      "main.bicep's nodeVersion defaults to '20', expected '22'",
    ]);
    expect(checkNodeVersion(main, broken(parameters, '"nodeVersion": { "value": "22" }', '"nodeVersion": { "value": "20" }'), packageJson)).toEqual([
      'main.parameters.json sets nodeVersion "20", expected "22"',
    ]);
    expect(checkNodeVersion(main, parameters, broken(packageJson, '"node": "^20 || ^22"', '"node": "^20"'))).toEqual(['package.json engines.node "^20" does not take Node.js 22.0.0']);
    expect(checkNodeVersion(main, parameters, broken(packageJson, '"node": "^20 || ^22"', '"node": ">=20"'))).toEqual([
      'package.json engines.node ">=20" takes Node.js 23.0.0, which the code is not tested on',
    ]);
  });
});

describe('the always-ready durable instance', () => {
  it('is a documented parameter defaulting to 1 that reaches alwaysReady as the durable group', () => {
    expect(checkAlwaysReady(main, functionApp, parameters)).toEqual([]);
  });

  it('notices a default of 0, a description without the group, and another group name', () => {
    expect(checkAlwaysReady(broken(main, 'param alwaysReadyInstances int = 1', 'param alwaysReadyInstances int = 0'), functionApp, parameters)).toEqual([
      "main.bicep's alwaysReadyInstances defaults to 0, expected 1",
    ]);
    expect(checkAlwaysReady(broken(main, "Always-ready instances of the `durable` scale group", 'Always-ready instances'), functionApp, parameters)).toEqual([
      "main.bicep's alwaysReadyInstances description does not name the `durable` group",
    ]);
    expect(checkAlwaysReady(main, broken(functionApp, "name: 'durable'", "name: 'http'"), parameters)).toEqual([
      "functionApp.bicep's alwaysReady is not [{ name: 'durable', instanceCount: alwaysReadyInstances }]",
    ]);
    expect(checkAlwaysReady(main, broken(functionApp, '        alwaysReady: alwaysReady\n', ''), parameters)).toEqual([
      'functionApp.bicep does not set functionAppConfig.scaleAndConcurrency.alwaysReady',
    ]);
    expect(checkAlwaysReady(main, functionApp, broken(parameters, '"alwaysReadyInstances": { "value": 1 }', '"alwaysReadyInstances": { "value": 0 }'))).toEqual([
      'main.parameters.json sets alwaysReadyInstances 0, expected 1',
    ]);
  });
});

describe('the Key Vault name', () => {
  it('can be given as a parameter and a deploy.sh flag, and the README says how to recover a deleted vault', () => {
    expect(checkVaultName(main, deployScript, infraReadme)).toEqual([]);
  });

  it('notices a derived name only, a flag that is not passed on, and a README without the recovery', () => {
    expect(checkVaultName(broken(main, /keyVault: empty\(keyVaultName\) \? ('kv[^']*') : keyVaultName/, 'keyVault: $1'), deployScript, infraReadme)).toEqual([
      "main.bicep's names.keyVault does not use keyVaultName",
    ]);
    expect(checkVaultName(main, broken(deployScript, '--parameters "keyVaultName=$key_vault_name"', '--parameters "vaultName=$key_vault_name"'), infraReadme)).toEqual([
      'deploy.sh does not pass keyVaultName to the deployment',
    ]);
    expect(checkVaultName(main, deployScript, infraReadme.replaceAll('az keyvault recover', 'az keyvault show'))).toEqual([
      'infra/README.md does not say how to recover a soft-deleted vault (az keyvault recover)',
    ]);
  });
});

describe('deploy.sh', () => {
  it('is valid bash', () => {
    const result = spawnSync('bash', ['-n', join(repoRoot, 'infra/deploy.sh')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('checks the Azure CLI version (2.60) before any other az command', () => {
    expect(checkCliVersionFirst(deployScript)).toEqual([]);
  });

  it('notices an az call before the version check, and a lower minimum', () => {
    const early = broken(deployScript, /^check_az_version$/m, 'az account show --output none\ncheck_az_version');
    expect(checkCliVersionFirst(early)).toEqual([expect.stringMatching(/^deploy\.sh runs `az account show --output none` \(line \d+\) before checking the Azure CLI version/)]);
    expect(checkCliVersionFirst(broken(deployScript, 'min_az_version="2.60.0"', 'min_az_version="2.50.0"'))).toEqual(['deploy.sh accepts Azure CLI 2.50, Flex Consumption needs 2.60']);
  });

  describe('against a stand-in az', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siphon-fake-az-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = (version: string) => {
      const log = join(dir, `calls-${version}.log`);
      writeFileSync(join(dir, 'az'), `#!/usr/bin/env bash\necho "$*" >>"${log}"\nif [[ "$1" == version ]]; then echo "${version}"; exit 0; fi\nexit 3\n`);
      chmodSync(join(dir, 'az'), 0o755);
      writeFileSync(log, '');
      const result = spawnSync('bash', [join(repoRoot, 'infra/deploy.sh')], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, SIPHON_RESOURCE_GROUP: '' } });
      return { ...result, calls: readFileSync(log, 'utf8').trim().split('\n') };
    };

    it('stops on 2.59 before anything else, saying what to do', () => {
      const result = run('2.59.0');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Azure CLI 2.59.0 is too old: Flex Consumption deployments need 2.60.0 or newer');
      expect(result.calls).toEqual([expect.stringMatching(/^version /)]);
    });

    it('goes on with 2.60 and later', () => {
      for (const version of ['2.60.0', '2.75.1']) {
        const result = run(version);
        expect(result.stderr).toContain('--resource-group is required');
        expect(result.stderr).not.toContain('too old');
      }
    });
  });

  it('registers Microsoft.App when vnetEnabled, before deploying', () => {
    expect(checkProviderRegistration(deployScript)).toEqual([]);
  });

  it('notices a missing, unconditional or late registration', () => {
    expect(checkProviderRegistration(broken(deployScript, 'az provider register --namespace Microsoft.App --wait', 'true'))).toEqual([
      'deploy.sh does not register the Microsoft.App resource provider (az provider register --namespace Microsoft.App --wait)',
    ]);
    expect(checkProviderRegistration(broken(deployScript, 'if [[ "$(parameter_value vnetEnabled)" == "true" ]]; then\n    step "Registering', 'if true; then\n    step "Registering'))).toEqual([
      'deploy.sh registers Microsoft.App outside an `if` on vnetEnabled being true',
    ]);
    const late = broken(
      broken(deployScript, '    az provider register --namespace Microsoft.App --wait\n', ''),
      '  az deployment group create --name "$deployment_name" "${deployment_args[@]}" --output none\n',
      '  az deployment group create --name "$deployment_name" "${deployment_args[@]}" --output none\n  if [[ "$(parameter_value vnetEnabled)" == "true" ]]; then\n    az provider register --namespace Microsoft.App --wait\n  fi\n',
    );
    expect(checkProviderRegistration(late)).toEqual(['deploy.sh registers Microsoft.App after the deployment']);
  });

  it('waits for role assignments with one bounded retry that prints each attempt', () => {
    expect(checkRoleWait(deployScript)).toEqual([]);
  });

  it('notices an unbounded or silent wait, and a fixed-count retry loop', () => {
    expect(checkRoleWait(broken(deployScript, 'role_wait_seconds=600', 'role_wait_seconds=3600'))).toEqual(['deploy.sh waits 3600s for role assignments, expected between 2 and 10 minutes']);
    expect(checkRoleWait(broken(deployScript, /\n    echo "  \$what: attempt \$attempt failed after[^\n]*/, ''))).toEqual(['retry_until_roles_apply does not print each attempt']);
    const oldLoop = broken(
      deployScript,
      /retry_until_roles_apply "publishing" az functionapp deployment source config-zip \\\n[^\n]*\n[^\n]*\n/,
      'for attempt in 1 2 3 4; do\n    az functionapp deployment source config-zip --src "$package" && break\n    sleep 30\n  done\n',
    );
    expect(checkRoleWait(oldLoop)).toEqual(['deploy.sh publishes without the bounded role wait', 'deploy.sh sleeps in 2 places; only retry_until_roles_apply should']);
  });

  it('refreshes the Key Vault references after the deployment, the secrets and the publish, and offers the secrets safely', () => {
    expect(checkKeyVaultReferences(deployScript)).toEqual([]);
  });

  it('notices no refresh, a refresh before the secrets, and a secret prompt that echoes or leaks', () => {
    expect(checkKeyVaultReferences(broken(deployScript, '/config/configreferences/appsettings/refresh?', '/config/appsettings?'))).toEqual([
      'deploy.sh does not POST .../config/configreferences/appsettings/refresh',
    ]);
    // The offer moved below the refresh (still guarded): the first run would read no secrets.
    const moved = broken(
      broken(deployScript, /\nif \$deploy_infra; then\n  if \$skip_secrets; then[\s\S]*?\n  fi\nfi\n/, '\n'),
      'step "Done"',
      'if [[ -t 0 ]] && ! $skip_secrets; then\n  offer_source_secrets\nfi\nstep "Done"',
    );
    expect(checkKeyVaultReferences(moved)).toEqual(['deploy.sh refreshes the Key Vault references before the source secrets']);
    expect(checkKeyVaultReferences(broken(deployScript, 'read -r -s -p', 'read -r -p'))).toEqual(['deploy.sh does not read secrets with read -s']);
    expect(checkKeyVaultReferences(broken(deployScript, '--file "$2" --encoding utf-8', '--value "$(cat "$2")"'))).toEqual(['deploy.sh passes a secret on the command line (--value)']);
    expect(checkKeyVaultReferences(broken(deployScript, '  elif [[ -t 0 && -t 1 ]]; then', '  elif true; then'))).toEqual(['deploy.sh offers the source secrets without checking for a terminal']);
    expect(checkKeyVaultReferences(broken(deployScript, '    echo "  $secret_name set"', '    echo "  $secret_name set to $value"'))).toEqual(['deploy.sh echoes a secret']);
  });
});

describe('scaling, as the READMEs describe it', () => {
  const docs = [
    { path: 'README.md', text: readme },
    { path: 'infra/README.md', text: infraReadme },
    { path: 'infra/main.bicep', text: main },
    { path: 'infra/modules/functionApp.bicep', text: functionApp },
  ];

  it('says maximumInstanceCount applies per scale group, always-ready instances come on top, and points to source.maxSessions', () => {
    expect(checkScalingDocs(docs, specSource)).toEqual([]);
  });

  it('notices the old claims, and "planned" now that the spec has maxSessions', () => {
    const oldBicep = broken(main, /@description\('Most on-demand instances EACH[^\n]*/, "@description('Most instances the app scales out to; also bounds how many chunks hit the sources at once.')");
    expect(checkScalingDocs([{ path: 'infra/main.bicep', text: oldBicep }], specSource)).toEqual([
      "infra/main.bicep says maximumInstanceCount bounds the sources: \"@description('Most instances the app scales out to; also bounds how many chunks hit the sources at once.')\"",
    ]);
    const oldRow = broken(infraReadme, /^\| `maximumInstanceCount` .*$/m, '| `maximumInstanceCount` | `40` | scale-out limit; also bounds the load on sources |');
    expect(checkScalingDocs([{ path: 'infra/README.md', text: oldRow }], specSource)).toEqual([
      'infra/README.md says maximumInstanceCount bounds the sources: "| `maximumInstanceCount` | `40` | scale-out limit; also bounds the load on sources |"',
      "infra/README.md's maximumInstanceCount row does not say it applies to each scale group",
    ]);
    const oldClaim = `${readme}\nA per-source cap across all runs, \`source.maxSessions\`, is planned (the whole-databases issue).\n`;
    expect(checkScalingDocs([{ path: 'README.md', text: oldClaim }], specSource)).toEqual([
      'README.md still says source.maxSessions is planned; the spec has it now',
    ]);
    expect(checkScalingDocs([{ path: 'README.md', text: readme.replaceAll('source.maxSessions', 'source.sessionCap') }], specSource)).toEqual([
      'README.md does not point to source.maxSessions for protecting databases',
    ]);
  });

  it('keeps the "not compiled here" notes', () => {
    expect(readme).toContain('**The templates were not compiled here**');
    expect(infraReadme).toContain('> **Not compiled here.**');
  });
});
