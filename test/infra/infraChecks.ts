import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeView, identifierUses, matchingClose, modules, objectEntries, params, resources, variableText, type BicepResource } from './bicepText.js';

/**
 * The checks behind test/infra: each takes file texts and returns a list of problems (empty when
 * all is well), so a test can run it on the real files and on a deliberately broken copy to show
 * that the check can fail.
 */

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

/** Every file under a folder of the repository, as repository-relative paths. */
export function listRepoFiles(folder: string, suffix: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? walk(path) : path.endsWith(suffix) ? [relative(repoRoot, path)] : [];
    });
  return walk(join(repoRoot, folder)).sort();
}

export type TextFile = { path: string; text: string };

export function bicepFiles(): TextFile[] {
  return listRepoFiles('infra', '.bicep').map((path) => ({ path, text: readRepoFile(path) }));
}

// ------------------------------------------------------------------------------------------------
// App settings
// ------------------------------------------------------------------------------------------------

/** The `{ name, value }` entries of main.bicep's `appSettings` variable. */
export function appSettings(mainText: string): Map<string, string> {
  const expression = variableText(mainText, 'appSettings') ?? '';
  const entries = new Map<string, string>();
  for (const match of expression.matchAll(/name:\s*'([^']+)'\s*\n\s*value:\s*(.+)/g)) entries.set(match[1]!, match[2]!.trim());
  return entries;
}

/**
 * Settings of src/settings.ts that Azure must never have, named here on purpose rather than
 * passing as just another "not set" row: SIPHON_LOCAL_NO_SIGN_IN lets a request without a
 * signed-in principal do everything, which only the local runtime may allow. checkAppSettings
 * refuses it in main.bicep's settings and checkNeverSetInAzure in any file that deploys.
 */
export const neverSetInAzure = ['SIPHON_LOCAL_NO_SIGN_IN'] as const;

/** Settings the Functions platform reads (not src/settings.ts), which main.bicep sets on purpose. */
export const platformSettings = new Set(['AzureWebJobsStorage__credential', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING']);

/** Rows of the app-settings table in infra/README.md: setting name to the rest of its row. */
export function documentedSettings(readmeText: string): Map<string, string> {
  const start = readmeText.indexOf('## App settings');
  const end = readmeText.indexOf('\n## ', start + 1);
  const section = start < 0 ? '' : readmeText.slice(start, end < 0 ? undefined : end);
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|(.*)$/gm)) rows.set(match[1]!, match[2]!);
  return rows;
}

/**
 * Every setting the code's settings schema reads is set by main.bicep or documented as not set in
 * Azure (with the reason) in infra/README.md; every setting main.bicep sets is read by someone;
 * storage is never given as a connection string.
 */
export function checkAppSettings(mainText: string, schemaKeys: string[], readmeText: string): string[] {
  const problems: string[] = [];
  const set = appSettings(mainText);
  const documented = documentedSettings(readmeText);
  for (const key of schemaKeys) {
    const row = documented.get(key);
    if (!row) problems.push(`${key} is read by src/settings.ts but has no row in infra/README.md's app-settings table`);
    if ((neverSetInAzure as readonly string[]).includes(key)) {
      if (set.has(key)) problems.push(`main.bicep sets ${key}, which must never be set in Azure`);
      if (row && !/never set/i.test(row)) problems.push(`infra/README.md does not say ${key} is never set in Azure`);
      continue;
    }
    if (set.has(key)) {
      if (row && /not set/i.test(row)) problems.push(`${key} is set by main.bicep but infra/README.md says it is not set`);
    } else if (!row || !/not set/i.test(row)) {
      problems.push(`${key} is read by src/settings.ts but main.bicep does not set it (nor does infra/README.md say why not)`);
    }
  }
  for (const name of set.keys()) {
    if (!schemaKeys.includes(name) && !platformSettings.has(name)) problems.push(`main.bicep sets ${name}, which neither src/settings.ts nor the platform reads`);
    if (!documented.has(name)) problems.push(`main.bicep sets ${name} but infra/README.md's app-settings table does not list it`);
  }
  // Identity, not keys: the connection-string forms must never be set in Azure.
  for (const connectionStringForm of ['AzureWebJobsStorage', 'SIPHON_DATA_STORAGE']) {
    if (set.has(connectionStringForm)) problems.push(`main.bicep sets ${connectionStringForm} (a connection string); use ${connectionStringForm}__accountName`);
  }
  const sources = variableText(mainText, 'sourceConnectionSettings') ?? '';
  if (!/@Microsoft\.KeyVault\(/.test(sources)) problems.push('sourceConnectionSettings does not make Key Vault references');
  if (!/\bsourceConnectionSettings\b/.test(variableText(mainText, 'appSettings') ?? '')) problems.push('appSettings does not include sourceConnectionSettings');
  return problems;
}

/** A setting main.bicep fills from a parameter gets, by default, the schema's own default. */
export function checkSettingDefaults(mainText: string, schemaDefaults: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const declared = new Map(params(mainText).map((param) => [param.name, param]));
  for (const [name, value] of appSettings(mainText)) {
    if (!(name in schemaDefaults) || schemaDefaults[name] === undefined) continue;
    const paramName = /^(?:string\()?([A-Za-z_]\w*)\)?$/.exec(value)?.[1];
    const param = paramName ? declared.get(paramName) : undefined;
    if (!param) {
      problems.push(`${name} is not set from a parameter of main.bicep`);
      continue;
    }
    const bicepDefault = param.defaultText?.replace(/^'(.*)'$/, '$1');
    if (bicepDefault !== String(schemaDefaults[name])) {
      problems.push(`main.bicep param ${param.name} defaults to ${param.defaultText}, but src/settings.ts defaults ${name} to ${String(schemaDefaults[name])}`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Roles
// ------------------------------------------------------------------------------------------------

/** Azure built-in role definition ids (the same in every tenant). */
export const builtInRoles: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  '81a9662b-bebf-436f-a333-f67b29880f12': 'Storage Account Key Operator Service Role',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
};

/**
 * What the app's identity needs, and why. The scope is the roleAssignments.bicep parameter that
 * names the resource. This list is the "exactly" in "exactly the roles it needs".
 */
export const requiredRoles = [
  { scope: 'hostStorageName', role: 'Storage Blob Data Owner', why: 'Functions host blob leases, Durable Functions blobs, Flex deployment package' },
  { scope: 'hostStorageName', role: 'Storage Queue Data Contributor', why: 'job queue and poison queue (src/services.ts), Durable Functions queues' },
  { scope: 'hostStorageName', role: 'Storage Table Data Contributor', why: 'Pipelines, Runs, Chunks tables (src/services.ts), Durable Functions tables' },
  { scope: 'dataLakeName', role: 'Storage Blob Data Contributor', why: 'output files, manifests, containers created on demand (dataBlobs)' },
  { scope: 'keyVaultName', role: 'Key Vault Secrets User', why: 'Key Vault references to source connection strings' },
  { scope: 'appInsightsName', role: 'Monitoring Metrics Publisher', why: 'telemetry with Entra ID auth (local auth is off)' },
] as const;

/** Which role covers each storage client factory of src/storageClients.ts. */
export const roleForStorageClient: Record<string, string> = {
  createTableClient: 'Storage Table Data Contributor',
  createQueueServiceClient: 'Storage Queue Data Contributor',
  createBlobServiceClient: 'Storage Blob Data Contributor',
};

export type RoleAssignment = { symbol: string; scope: string; role: string };

/** The roles map of roleAssignments.bicep: key to { id, name in the comment }. */
export function roleDefinitions(roleText: string): Map<string, { id: string; comment: string }> {
  const definitions = new Map<string, { id: string; comment: string }>();
  const roles = variableText(roleText, 'roles') ?? '';
  for (const match of roles.matchAll(/^\s*(\w+):\s*'([0-9a-f-]{36})'\s*\/\/\s*(.+?)\s*$/gm)) {
    definitions.set(match[1]!, { id: match[2]!, comment: match[3]! });
  }
  return definitions;
}

export function roleAssignments(roleText: string): { assignments: RoleAssignment[]; problems: string[] } {
  const problems: string[] = [];
  const definitions = roleDefinitions(roleText);
  const all = resources(roleText);
  const existingScopes = new Map(all.filter((r) => r.existing).map((r) => [r.symbol, /name:\s*(\w+)/.exec(r.bodyCode)?.[1] ?? '?']));
  const assignments: RoleAssignment[] = [];
  for (const resource of all.filter((r) => r.type.startsWith('Microsoft.Authorization/roleAssignments@'))) {
    const scopeSymbol = /\bscope:\s*(\w+)/.exec(resource.bodyCode)?.[1];
    const roleKey = /roleDefinitionId:.*\broles\.(\w+)/.exec(resource.bodyCode)?.[1];
    const definition = roleKey ? definitions.get(roleKey) : undefined;
    if (!scopeSymbol || !existingScopes.has(scopeSymbol)) problems.push(`${resource.symbol}: scope is not one of the resources the module names`);
    if (!definition) problems.push(`${resource.symbol}: roleDefinitionId does not come from the roles map`);
    if (!/principalId:\s*principalId\b/.test(resource.bodyCode)) problems.push(`${resource.symbol}: not assigned to the app's identity (principalId)`);
    if (!/principalType:\s*'ServicePrincipal'/.test(resource.body)) problems.push(`${resource.symbol}: principalType is not ServicePrincipal`);
    assignments.push({ symbol: resource.symbol, scope: existingScopes.get(scopeSymbol ?? '') ?? '?', role: definition ? (builtInRoles[definition.id] ?? `unknown role ${definition.id}`) : '?' });
  }
  return { assignments, problems };
}

/** The identity holds exactly the required roles, each GUID is the role its comment names. */
export function checkRoles(roleText: string, mainText: string, storageClientFactories: string[]): string[] {
  const problems: string[] = [];
  for (const [key, { id, comment }] of roleDefinitions(roleText)) {
    if (builtInRoles[id] !== comment) problems.push(`roles.${key} is ${id}, which is ${builtInRoles[id] ?? 'not a role we know'}, not ${comment}`);
  }
  const { assignments, problems: shapeProblems } = roleAssignments(roleText);
  problems.push(...shapeProblems);
  const key = (scope: string, role: string) => `${role} on ${scope}`;
  const assigned = new Set(assignments.map((a) => key(a.scope, a.role)));
  const required = new Set(requiredRoles.map((r) => key(r.scope, r.role)));
  for (const need of required) if (!assigned.has(need)) problems.push(`missing role assignment: ${need}`);
  for (const has of assigned) if (!required.has(has)) problems.push(`role assignment that nothing needs: ${has}`);
  for (const factory of storageClientFactories) {
    const role = roleForStorageClient[factory];
    if (!role) problems.push(`src/storageClients.ts has ${factory}, and no role is known to cover it`);
    else if (!requiredRoles.some((r) => r.role === role || (role === 'Storage Blob Data Contributor' && r.role === 'Storage Blob Data Owner'))) problems.push(`${factory} needs ${role}`);
  }
  // The module must be given the app's identity and the resources main.bicep created.
  const call = modules(mainText).find((m) => m.path === './modules/roleAssignments.bicep');
  const expectedArguments: Record<string, RegExp> = {
    principalId: /principalId:\s*functionApp\.outputs\.principalId/,
    hostStorageName: /hostStorageName:\s*hostStorage\.outputs\.name/,
    dataLakeName: /dataLakeName:\s*dataLake\.outputs\.name/,
    keyVaultName: /keyVaultName:\s*keyVault\.outputs\.name/,
    appInsightsName: /appInsightsName:\s*monitoring\.outputs\.appInsightsName/,
  };
  if (!call) problems.push('main.bicep does not deploy modules/roleAssignments.bicep');
  else for (const [name, pattern] of Object.entries(expectedArguments)) if (!pattern.test(call.paramsText)) problems.push(`main.bicep passes roleAssignments.${name} from the wrong place`);
  return problems;
}

/** Role assignments live in roleAssignments.bicep only, so that file is the whole story. */
export function checkRoleAssignmentsInOneFile(files: TextFile[]): string[] {
  return files
    .filter((file) => !file.path.endsWith('roleAssignments.bicep') && /Microsoft\.Authorization\/roleAssignments/i.test(file.text))
    .map((file) => `${file.path} assigns roles; keep every assignment in infra/modules/roleAssignments.bicep`);
}

// ------------------------------------------------------------------------------------------------
// No secrets
// ------------------------------------------------------------------------------------------------

const secretPatterns: Array<[RegExp, string]> = [
  [/AccountKey\s*=/i, 'a storage account key'],
  [/SharedAccessKey(?:Name)?\s*=/i, 'a shared access key'],
  [/SharedAccessSignature\s*=/i, 'a shared access signature'],
  [/[?&;]sig=/i, 'a SAS signature'],
  [/DefaultEndpointsProtocol\s*=/i, 'a storage connection string'],
  [/UseDevelopmentStorage\s*=/i, 'a storage connection string'],
  [/InstrumentationKey\s*=/i, 'an Application Insights key'],
  [/\b(?:password|passwd|pwd)\b\s*[:=]/i, 'a password'],
  [/\bclient_?secret\b\s*[:=]/i, 'a client secret'],
  [/\b(?:Server|Data Source|Host)\s*=[^;'\n]*;/i, 'a database connection string'],
  [/\b(?:postgres(?:ql)?|mysql|mssql|sqlserver):\/\//i, 'a database URL'],
  [/\blist(?:Keys|ConnectionStrings|AccountSas|ServiceSas|Secrets)\b/i, 'a key or secret read at deployment time'],
  [/\b(?:primary|secondary)(?:Master)?Key\b/i, 'a key'],
  [/Microsoft\.KeyVault\/vaults\/secrets/i, 'a Key Vault secret written by the template'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
];

/** No template, parameters file or deploy script carries a key, a password or a connection string. */
export function checkNoSecrets(files: TextFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const lines = file.text.split('\n');
    lines.forEach((line, index) => {
      for (const [pattern, what] of secretPatterns) if (pattern.test(line)) problems.push(`${file.path}:${index + 1} holds ${what}: ${line.trim()}`);
    });
    if (file.path.endsWith('.bicep')) {
      for (const param of params(file.text)) if (param.secure && param.defaultText !== undefined) problems.push(`${file.path}:${param.line} secure param ${param.name} has a default value`);
    }
  }
  return problems;
}

/** Storage takes Entra ID only (shared keys off), Application Insights too, Key Vault uses RBAC. */
export function checkIdentityOnly(files: TextFile[]): string[] {
  const problems: string[] = [];
  for (const file of files.filter((f) => f.path.endsWith('.bicep'))) {
    for (const resource of resources(file.text).filter((r) => !r.existing)) {
      const where = `${file.path}:${resource.line} ${resource.symbol}`;
      if (/^Microsoft\.Storage\/storageAccounts@/i.test(resource.type) && !/allowSharedKeyAccess:\s*false\b/.test(resource.bodyCode)) problems.push(`${where}: allowSharedKeyAccess is not false`);
      if (/^Microsoft\.Insights\/components@/i.test(resource.type) && !/DisableLocalAuth:\s*true\b/.test(resource.bodyCode)) problems.push(`${where}: DisableLocalAuth is not true`);
      if (/^Microsoft\.KeyVault\/vaults@/i.test(resource.type) && !/enableRbacAuthorization:\s*true\b/.test(resource.bodyCode)) problems.push(`${where}: enableRbacAuthorization is not true`);
      if (/^Microsoft\.Web\/sites@/i.test(resource.type) && !/type:\s*'SystemAssigned'/.test(resource.body)) problems.push(`${where}: no system-assigned identity`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Modules and parameters
// ------------------------------------------------------------------------------------------------

/**
 * main.bicep deploys every module, passes only parameters the module declares and every one it
 * requires; every parameter and variable of every file is used.
 */
export function checkModules(main: TextFile, moduleFiles: TextFile[]): string[] {
  const problems: string[] = [];
  const byPath = new Map(moduleFiles.map((file) => [file.path, file]));
  const called = new Set<string>();
  for (const call of modules(main.text)) {
    const path = join(dirname(main.path), call.path).replaceAll('\\', '/');
    const file = byPath.get(path);
    if (!file) {
      problems.push(`${main.path}:${call.line} module ${call.symbol} points at ${call.path}, which does not exist`);
      continue;
    }
    called.add(path);
    const declared = params(file.text);
    for (const name of call.params) if (!declared.some((p) => p.name === name)) problems.push(`${main.path}:${call.line} module ${call.symbol} passes ${name}, which ${path} does not declare`);
    for (const param of declared) {
      if (param.defaultText === undefined && !call.params.includes(param.name)) problems.push(`${main.path}:${call.line} module ${call.symbol} does not pass ${param.name}, which ${path} requires`);
    }
  }
  for (const file of moduleFiles) if (!called.has(file.path)) problems.push(`${file.path} is not deployed by ${main.path}`);
  for (const file of [main, ...moduleFiles]) {
    for (const param of params(file.text)) if (identifierUses(file.text, param.name) < 1) problems.push(`${file.path}:${param.line} param ${param.name} is never used`);
    for (const match of codeView(file.text).matchAll(/^[ \t]*var[ \t]+([A-Za-z_]\w*)/gm)) {
      if (identifierUses(file.text, match[1]!) < 1) problems.push(`${file.path} var ${match[1]} is never used`);
    }
  }
  return problems;
}

/**
 * The parameters file names only parameters main.bicep declares, with values of their types; every
 * parameter main.bicep requires comes from the file or from deploy.sh.
 */
export function checkParametersFile(mainText: string, parametersJson: string, deployScript: string): string[] {
  const problems: string[] = [];
  const file = JSON.parse(parametersJson) as { parameters?: Record<string, { value?: unknown }> };
  const given = file.parameters ?? {};
  const declared = new Map(params(mainText).map((p) => [p.name, p]));
  const jsonType = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);
  const bicepType: Record<string, string> = { string: 'string', int: 'number', bool: 'boolean', array: 'array', object: 'object' };
  for (const [name, entry] of Object.entries(given)) {
    const param = declared.get(name);
    if (!param) problems.push(`main.parameters.json sets ${name}, which main.bicep does not declare`);
    else if (bicepType[param.type] !== jsonType(entry.value)) problems.push(`main.parameters.json gives ${name} a ${jsonType(entry.value)}, main.bicep expects ${param.type}`);
  }
  const fromScript = new Set([...deployScript.matchAll(/--parameters "([A-Za-z_]\w*)=/g)].map((m) => m[1]!));
  for (const param of declared.values()) {
    if (param.defaultText === undefined && !(param.name in given) && !fromScript.has(param.name)) problems.push(`main.bicep requires ${param.name}, which neither main.parameters.json nor deploy.sh gives`);
  }
  for (const name of fromScript) if (!declared.has(name)) problems.push(`deploy.sh passes ${name}, which main.bicep does not declare`);
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Names shared by code and templates
// ------------------------------------------------------------------------------------------------

/** Table name suffixes the code appends to SIPHON_TABLE_PREFIX. */
export function tableSuffixesInCode(sourceFiles: TextFile[]): string[] {
  const suffixes = new Set<string>();
  for (const file of sourceFiles) for (const match of file.text.matchAll(/SIPHON_TABLE_PREFIX\}(\w+)/g)) suffixes.add(match[1]!);
  return [...suffixes].sort();
}

export function checkStorageNames(mainText: string, hostStorageText: string, tableSuffixes: string[]): string[] {
  const problems: string[] = [];
  const tables = variableText(mainText, 'siphonTables') ?? '';
  for (const suffix of tableSuffixes) if (!tables.includes(`'\${tablePrefix}${suffix}'`)) problems.push(`main.bicep does not create the ${suffix} table the code uses`);
  const queues = variableText(hostStorageText, 'queueNames') ?? '';
  if (!/^\s*jobQueueName\s*$/m.test(queues)) problems.push('hostStorage.bicep does not create the job queue');
  if (!queues.includes("'${jobQueueName}-poison'")) problems.push('hostStorage.bicep does not create the poison queue <queue>-poison');
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Sign-in (App Service Authentication)
// ------------------------------------------------------------------------------------------------

/** No template, parameters file or deploy script mentions a setting Azure must never have. */
export function checkNeverSetInAzure(files: TextFile[]): string[] {
  return files.flatMap((file) => neverSetInAzure.filter((name) => file.text.includes(name)).map((name) => `${file.path} mentions ${name}, which must never be set in Azure`));
}

/** The code and text of the value at a path of keys inside a resource's body, e.g. properties.globalValidation. */
function valueAt(resource: BicepResource, path: string[]): { code: string; text: string } | undefined {
  const code = resource.bodyCode;
  let open = 0;
  let value: { start: number; end: number } | undefined;
  for (const key of path) {
    if (code[open] !== '{') return undefined;
    const entry = objectEntries(code, open, matchingClose(code, open)).find((e) => e.key === key);
    if (!entry) return undefined;
    const first = entry.valueStart;
    const end = code[first] === '{' || code[first] === '[' ? matchingClose(code, first) + 1 : lineEndOf(code, first);
    value = { start: first, end };
    open = first;
  }
  return value && { code: code.slice(value.start, value.end), text: resource.body.slice(value.start, value.end).trim() };
}

/** The items of a multi-line Bicep array literal (one per line), as written. */
function arrayItems(text: string): string[] | undefined {
  if (!text.startsWith('[') || !text.endsWith(']')) return undefined;
  return text.slice(1, -1).split('\n').map((line) => line.trim()).filter(Boolean);
}

function lineEndOf(code: string, from: number): number {
  const end = code.indexOf('\n', from);
  return end < 0 ? code.length : end;
}

/**
 * App Service Authentication guards the Function App: exactly one authsettingsV2 on it, Entra ID
 * with the main template's entraClientId and the tenant's v2.0 issuer, a signed-in caller
 * required everywhere but exactly /api/health (the page redirected to sign in), the audiences
 * automation's tokens carry, no client secret, no token store, HTTPS only.
 */
export function checkAuthSettings(main: TextFile, moduleFiles: TextFile[]): string[] {
  const problems: string[] = [];
  const found = [main, ...moduleFiles].flatMap((file) =>
    resources(file.text)
      .filter((r) => /^Microsoft\.Web\/sites\/config@/i.test(r.type) && /^\s*name:\s*'authsettingsV2'\s*$/m.test(r.body))
      .map((resource) => ({ file, resource })),
  );
  if (found.length !== 1) return [`expected one Microsoft.Web/sites/config 'authsettingsV2' resource, found ${found.length}`];
  const { file, resource } = found[0]!;
  const where = `${file.path}:${resource.line} ${resource.symbol}`;
  const app = resources(file.text).find((r) => /^Microsoft\.Web\/sites@/i.test(r.type) && !r.existing);
  if (!app || !new RegExp(`^\\s*parent:\\s*${app.symbol}\\s*$`, 'm').test(resource.bodyCode)) problems.push(`${where}: not on the Function App (parent)`);

  const text = (path: string) => valueAt(resource, ['properties', ...path.split('.')])?.text;
  const expect = (path: string, wanted: string) => {
    const actual = text(path);
    if (actual !== wanted) problems.push(`${where}: properties.${path} is ${actual ?? 'missing'}, expected ${wanted}`);
  };
  expect('platform.enabled', 'true');
  expect('globalValidation.requireAuthentication', 'true');
  // The page is sent to sign in; clients that are not browsers get 401 (see functionApp.bicep).
  expect('globalValidation.unauthenticatedClientAction', "'RedirectToLoginPage'");
  expect('httpSettings.requireHttps', 'true');
  expect('login.tokenStore.enabled', 'false');
  expect('identityProviders.azureActiveDirectory.enabled', 'true');
  expect('identityProviders.azureActiveDirectory.registration.clientId', 'entraClientId');
  expect('identityProviders.azureActiveDirectory.registration.openIdIssuer', "'${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'");

  const excluded = arrayItems(text('globalValidation.excludedPaths') ?? '');
  if (JSON.stringify(excluded) !== JSON.stringify(["'/api/health'"])) problems.push(`${where}: globalValidation.excludedPaths is ${excluded ? `[${excluded.join(', ')}]` : 'missing'}, expected exactly ['/api/health']`);
  const audiences = arrayItems(text('identityProviders.azureActiveDirectory.validation.allowedAudiences') ?? '') ?? [];
  for (const audience of ["'api://${entraClientId}'", 'entraClientId']) if (!audiences.includes(audience)) problems.push(`${where}: allowedAudiences lacks ${audience}`);
  // Sign-in takes no secret (implicit flow, ID token only); one would have to be a Key Vault reference.
  if (/secret/i.test(resource.bodyCode)) problems.push(`${where}: names a client secret; sign-in needs none`);

  // The client id comes from main.bicep's required parameter, through the module.
  const mainParam = params(main.text).find((p) => p.name === 'entraClientId');
  if (!mainParam || mainParam.defaultText !== undefined) problems.push('main.bicep does not require a parameter entraClientId');
  if (file !== main) {
    const call = modules(main.text).find((m) => join(dirname(main.path), m.path).replaceAll('\\', '/') === file.path);
    if (!call || !/^\s*entraClientId:\s*entraClientId\s*$/m.test(call.paramsText)) problems.push(`main.bicep does not pass entraClientId to ${file.path}`);
  }
  return problems;
}

/** Offsets are those of the code view; exported for tests that need to look at a template's code. */
export { codeView };
