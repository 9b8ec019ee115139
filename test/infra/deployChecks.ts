import { modules, params, variableText } from './bicepText.js';

/**
 * Checks of the deploy path (issue 22): the runtime, the Durable always-ready instance, the vault
 * name, and what infra/deploy.sh does around the templates. Like infraChecks.ts, each returns a
 * list of problems (empty when all is well), so a test can show it failing on a broken copy.
 */

// ------------------------------------------------------------------------------------------------
// Bicep helpers
// ------------------------------------------------------------------------------------------------

/** The text of the `@description('...')` directly above `param <name>` (decorators may sit between). */
export function paramDescription(text: string, name: string): string | undefined {
  const match = new RegExp(`@description\\('((?:[^'\\\\]|\\\\.)*)'\\)\\s*\\n(?:[ \\t]*@[^\\n]*\\n)*[ \\t]*param[ \\t]+${name}\\b`).exec(text);
  return match?.[1];
}

function parameterFileValue(parametersJson: string, name: string): unknown {
  const file = JSON.parse(parametersJson) as { parameters?: Record<string, { value?: unknown }> };
  return file.parameters?.[name]?.value;
}

// ------------------------------------------------------------------------------------------------
// Node.js 22
// ------------------------------------------------------------------------------------------------

/** Whether a version satisfies an `engines` range of the forms `^N`, `>=N`, `<N`, `>=N <M`, joined by `||`. */
export function satisfiesEngines(range: string, version: string): boolean {
  const parse = (v: string) => v.split('.').map((part) => Number(part)).concat([0, 0, 0]).slice(0, 3);
  const compare = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const v = parse(version);
  return range.split('||').some((alternative) => {
    const comparators = alternative.trim().split(/\s+/).filter(Boolean);
    if (comparators.length === 0) return false;
    return comparators.every((comparator) => {
      const m = /^(\^|>=|<=|>|<|=)?(\d+(?:\.\d+){0,2})$/.exec(comparator);
      if (!m) return false;
      const bound = parse(m[2]!);
      const c = compare(v, bound);
      switch (m[1]) {
        case '^':
          return c >= 0 && v[0] === bound[0];
        case '>=':
          return c >= 0;
        case '>':
          return c > 0;
        case '<=':
          return c <= 0;
        case '<':
          return c < 0;
        default:
          return c === 0;
      }
    });
  });
}

/** Node.js 22 is the default runtime in main.bicep and the parameters file; `engines` takes 20 and 22. */
export function checkNodeVersion(mainText: string, parametersJson: string, packageJson: string): string[] {
  const problems: string[] = [];
  const param = params(mainText).find((p) => p.name === 'nodeVersion');
  if (param?.defaultText !== "'22'") problems.push(`main.bicep's nodeVersion defaults to ${param?.defaultText ?? 'nothing'}, expected '22'`);
  const given = parameterFileValue(parametersJson, 'nodeVersion');
  if (given !== undefined && given !== '22') problems.push(`main.parameters.json sets nodeVersion ${JSON.stringify(given)}, expected "22"`);
  const engines = (JSON.parse(packageJson) as { engines?: { node?: string } }).engines?.node;
  if (!engines) return [...problems, 'package.json has no engines.node'];
  for (const version of ['20.0.0', '22.0.0']) if (!satisfiesEngines(engines, version)) problems.push(`package.json engines.node "${engines}" does not take Node.js ${version}`);
  for (const version of ['18.20.0', '23.0.0']) if (satisfiesEngines(engines, version)) problems.push(`package.json engines.node "${engines}" takes Node.js ${version}, which the code is not tested on`);
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Always-ready `durable` instance
// ------------------------------------------------------------------------------------------------

/** alwaysReadyInstances defaults to 1, says it is the `durable` group's, and reaches functionAppConfig's alwaysReady as `durable`. */
export function checkAlwaysReady(mainText: string, functionAppText: string, parametersJson: string): string[] {
  const problems: string[] = [];
  const param = params(mainText).find((p) => p.name === 'alwaysReadyInstances');
  if (!param || param.type !== 'int') problems.push('main.bicep declares no int parameter alwaysReadyInstances');
  else if (param.defaultText !== '1') problems.push(`main.bicep's alwaysReadyInstances defaults to ${param.defaultText ?? 'nothing'}, expected 1`);
  if (!/`durable`/.test(paramDescription(mainText, 'alwaysReadyInstances') ?? '')) problems.push("main.bicep's alwaysReadyInstances description does not name the `durable` group");
  const given = parameterFileValue(parametersJson, 'alwaysReadyInstances');
  if (given !== undefined && given !== 1) problems.push(`main.parameters.json sets alwaysReadyInstances ${JSON.stringify(given)}, expected 1`);
  const call = modules(mainText).find((m) => m.symbol === 'functionApp');
  if (!call || !/^\s*alwaysReadyInstances:\s*alwaysReadyInstances\s*$/m.test(call.paramsText)) problems.push('main.bicep does not pass alwaysReadyInstances to the functionApp module');
  // var alwaysReady = alwaysReadyInstances > 0 ? [ { name: 'durable', instanceCount: alwaysReadyInstances } ] : []
  const list = /^var alwaysReady = alwaysReadyInstances > 0 \? \[\s*\{\s*name: 'durable'\s+instanceCount: alwaysReadyInstances\s*\}\s*\] : \[\]/m.test(functionAppText);
  if (!list) problems.push("functionApp.bicep's alwaysReady is not [{ name: 'durable', instanceCount: alwaysReadyInstances }]");
  if (!/scaleAndConcurrency:\s*\{[^}]*\balwaysReady:\s*alwaysReady\b/.test(functionAppText)) problems.push('functionApp.bicep does not set functionAppConfig.scaleAndConcurrency.alwaysReady');
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Key Vault name
// ------------------------------------------------------------------------------------------------

/** A vault name can be given (Bicep parameter and deploy.sh flag), and the README says how to recover a soft-deleted vault. */
export function checkVaultName(mainText: string, deployScript: string, infraReadme: string): string[] {
  const problems: string[] = [];
  const param = params(mainText).find((p) => p.name === 'keyVaultName');
  if (!param || param.type !== 'string' || param.defaultText !== "''") problems.push("main.bicep declares no parameter keyVaultName string = ''");
  const names = variableText(mainText, 'names') ?? '';
  if (!/^\s*keyVault:.*\bkeyVaultName\b/m.test(names)) problems.push("main.bicep's names.keyVault does not use keyVaultName");
  const code = shellCode(deployScript);
  if (!/^\s*--key-vault-name\)\s*key_vault_name="\$2"/m.test(code)) problems.push('deploy.sh takes no --key-vault-name option');
  if (!/--parameters "keyVaultName=\$key_vault_name"/.test(code)) problems.push('deploy.sh does not pass keyVaultName to the deployment');
  if (!/az keyvault recover --name/.test(infraReadme)) problems.push('infra/README.md does not say how to recover a soft-deleted vault (az keyvault recover)');
  if (!/90 days/.test(infraReadme) || !/cannot be purged/.test(infraReadme)) problems.push('infra/README.md does not say a deleted vault holds its name for 90 days and cannot be purged');
  return problems;
}

// ------------------------------------------------------------------------------------------------
// deploy.sh
// ------------------------------------------------------------------------------------------------

/** The script with comment lines blanked (same line numbers). */
export function shellCode(script: string): string {
  return script
    .split('\n')
    .map((line) => (/^\s*#/.test(line) ? '' : line))
    .join('\n');
}

function lineIndex(code: string, pattern: RegExp): number {
  return code.split('\n').findIndex((line) => pattern.test(line));
}

/** The Azure CLI version (2.60 or newer) is checked before any other `az` command runs. */
export function checkCliVersionFirst(deployScript: string): string[] {
  const problems: string[] = [];
  const code = shellCode(deployScript);
  const min = /^min_az_version="(\d+)\.(\d+)(?:\.\d+)?"/m.exec(code);
  if (!min) problems.push('deploy.sh has no min_az_version');
  else if (Number(min[1]) < 2 || (Number(min[1]) === 2 && Number(min[2]) < 60)) problems.push(`deploy.sh accepts Azure CLI ${min[1]}.${min[2]}, Flex Consumption needs 2.60`);
  if (!/check_az_version\(\)\s*\{[\s\S]*?az version[\s\S]*?\n\}/.test(code)) problems.push('deploy.sh has no check_az_version function reading `az version`');
  const call = lineIndex(code, /^check_az_version\s*$/);
  if (call < 0) return [...problems, 'deploy.sh never calls check_az_version'];
  const lines = code.split('\n');
  const firstOtherAz = lines.findIndex((line) => /(^|[\s;(|&"$])az\s+(?!version\b)[a-z]/.test(line) && !/command -v az\b/.test(line));
  if (firstOtherAz >= 0 && firstOtherAz < call) problems.push(`deploy.sh runs \`${lines[firstOtherAz]!.trim()}\` (line ${firstOtherAz + 1}) before checking the Azure CLI version (line ${call + 1})`);
  return problems;
}

/** `az provider register --namespace Microsoft.App --wait` runs when vnetEnabled, before the deployment. */
export function checkProviderRegistration(deployScript: string): string[] {
  const code = shellCode(deployScript);
  const lines = code.split('\n');
  const register = lineIndex(code, /az provider register --namespace Microsoft\.App --wait\b/);
  if (register < 0) return ['deploy.sh does not register the Microsoft.App resource provider (az provider register --namespace Microsoft.App --wait)'];
  const problems: string[] = [];
  let ifLine = -1;
  for (let i = register - 1; i >= 0; i--) {
    if (/^\s*fi\b/.test(lines[i]!)) break;
    if (/^\s*if\b/.test(lines[i]!)) {
      ifLine = i;
      break;
    }
  }
  if (ifLine < 0 || !/vnetEnabled/.test(lines[ifLine]!) || !/true/.test(lines[ifLine]!)) problems.push('deploy.sh registers Microsoft.App outside an `if` on vnetEnabled being true');
  const deploy = lineIndex(code, /az deployment group create\b/);
  if (deploy >= 0 && deploy < register) problems.push('deploy.sh registers Microsoft.App after the deployment');
  return problems;
}

/** Role assignments are waited for with one bounded (at most 10 minutes), visible retry, used by publishing and by the Key Vault references. */
export function checkRoleWait(deployScript: string): string[] {
  const problems: string[] = [];
  const code = shellCode(deployScript);
  const limit = /^role_wait_seconds=(\d+)\s*$/m.exec(code);
  if (!limit) problems.push('deploy.sh has no role_wait_seconds');
  else if (Number(limit[1]) < 120 || Number(limit[1]) > 600) problems.push(`deploy.sh waits ${limit[1]}s for role assignments, expected between 2 and 10 minutes`);
  const helper = /retry_until_roles_apply\(\)\s*\{([\s\S]*?)\n\}/.exec(code)?.[1];
  if (!helper) return [...problems, 'deploy.sh has no retry_until_roles_apply function'];
  if (!/SECONDS/.test(helper) || !/role_wait_seconds/.test(helper) || !/return 1/.test(helper)) problems.push('retry_until_roles_apply is not bounded by role_wait_seconds');
  if (!/echo[^\n]*attempt \$attempt[^\n]*retrying/.test(helper)) problems.push('retry_until_roles_apply does not print each attempt');
  if (!/retry_until_roles_apply\s+"[^"]*"\s+az functionapp deployment source config-zip\b/.test(code)) problems.push('deploy.sh publishes without the bounded role wait');
  if (!/retry_until_roles_apply\s+"[^"]*"\s+references_resolved\b/.test(code)) problems.push('deploy.sh checks the Key Vault references without the bounded role wait');
  const sleeps = code.match(/\bsleep\b/g)?.length ?? 0;
  if (sleeps !== 1) problems.push(`deploy.sh sleeps in ${sleeps} places; only retry_until_roles_apply should`);
  return problems;
}

/**
 * The Key Vault references are refreshed (POST .../config/configreferences/appsettings/refresh)
 * after the deployment, the secrets and the publish; the secrets are offered only in a terminal,
 * can be skipped, are read with `read -s` and never passed on a command line or echoed.
 */
export function checkKeyVaultReferences(deployScript: string): string[] {
  const problems: string[] = [];
  const code = shellCode(deployScript);
  if (!/az rest --method post --url "https:\/\/management\.azure\.com\$\{app_id\}\/config\/configreferences\/appsettings\/refresh\?api-version=/.test(code)) problems.push('deploy.sh does not POST .../config/configreferences/appsettings/refresh');
  const refresh = lineIndex(code, /retry_until_roles_apply\s+"[^"]*"\s+references_resolved\b/);
  const order: Array<[string, RegExp]> = [
    ['the deployment', /az deployment group create\b/],
    ['the source secrets', /^\s*offer_source_secrets\s*$/],
    ['the publish', /config-zip\b/],
  ];
  for (const [what, pattern] of order) {
    const at = lineIndex(code, pattern);
    if (at < 0) problems.push(`deploy.sh has no step for ${what}`);
    else if (refresh >= 0 && refresh < at) problems.push(`deploy.sh refreshes the Key Vault references before ${what}`);
  }
  if (refresh < 0) problems.push('deploy.sh never refreshes the Key Vault references');
  const offer = lineIndex(code, /^\s*offer_source_secrets\s*$/);
  const guard = offer > 0 ? code.split('\n').slice(Math.max(0, offer - 4), offer).join('\n') : '';
  if (!/\[\[ -t 0\b/.test(guard)) problems.push('deploy.sh offers the source secrets without checking for a terminal');
  if (!/\$skip_secrets/.test(guard) || !/^\s*--skip-secrets\)/m.test(code)) problems.push('deploy.sh has no --skip-secrets flag guarding the offer');
  if (!/\bread\b[^\n]*\s-s\b/.test(code) && !/\bread\b[^\n]*\s-r -s\b/.test(code)) problems.push('deploy.sh does not read secrets with read -s');
  if (/az keyvault secret set\b[^\n]*--value\b/.test(code)) problems.push('deploy.sh passes a secret on the command line (--value)');
  if (/\becho\b[^\n]*\$\{?value\b/.test(code)) problems.push('deploy.sh echoes a secret');
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Scaling, as the READMEs describe it
// ------------------------------------------------------------------------------------------------

/**
 * The READMEs and main.bicep describe maximumInstanceCount as Flex applies it (per scale group,
 * always-ready not counted, no cap on sessions), and `source.maxSessions` as planned while the
 * spec has no such field (and not as planned once it has).
 */
export function checkScalingDocs(docs: Array<{ path: string; text: string }>, specSource: string): string[] {
  const problems: string[] = [];
  const sessionCapExists = /\bmaxSessions\b/.test(specSource);
  for (const { path, text } of docs) {
    for (const line of text.split('\n')) {
      if (/maximumInstanceCount|scale-out limit|Most instances/i.test(line) && /\b(bounds?|caps?)\b[^.|]*\b(sources?|sessions?|chunks hitting)\b|load on sources/i.test(line) && !/not a cap|no cap|does not bound/i.test(line)) {
        problems.push(`${path} says maximumInstanceCount bounds the sources: "${line.trim()}"`);
      }
      if (/caps database sessions at/i.test(line)) problems.push(`${path} says database sessions are capped by instance count: "${line.trim()}"`);
    }
    if (path.endsWith('.md')) {
      const row = /^\|\s*`maximumInstanceCount`.*$/m.exec(text)?.[0] ?? '';
      if (!/each/i.test(row) || !/scale group/i.test(row)) problems.push(`${path}'s maximumInstanceCount row does not say it applies to each scale group`);
      if (!/always-ready/i.test(text) || !/not (limited|counted)|are not counted|come on top|outside `?maximumInstanceCount/i.test(text)) problems.push(`${path} does not say always-ready instances are outside maximumInstanceCount`);
      const mentionsCap = /source\.maxSessions/.test(text);
      if (!mentionsCap) problems.push(`${path} does not point to source.maxSessions for protecting databases`);
      else if (!sessionCapExists && !/source\.maxSessions`?,? is \*{0,2}planned/.test(text)) problems.push(`${path} names source.maxSessions without saying it is planned (the spec has no such field yet)`);
      else if (sessionCapExists && /source\.maxSessions`?,? is \*{0,2}planned/.test(text)) problems.push(`${path} still says source.maxSessions is planned; the spec has it now`);
    }
  }
  return problems;
}
