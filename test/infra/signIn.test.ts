import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../src/settings.js';
import { siphonRoles } from '../../src/api/auth/roles.js';
import { appSettings, bicepFiles, checkAppSettings, checkAuthSettings, checkNeverSetInAzure, neverSetInAzure, readRepoFile, type TextFile } from './infraChecks.js';

const all = bicepFiles();
const main = all.find((f) => f.path === 'infra/main.bicep')!;
const moduleFiles = all.filter((f) => f.path.startsWith('infra/modules/'));
const functionApp = moduleFiles.find((f) => f.path === 'infra/modules/functionApp.bicep')!;
const deployed: TextFile[] = [...all, { path: 'infra/main.parameters.json', text: readRepoFile('infra/main.parameters.json') }, { path: 'infra/deploy.sh', text: readRepoFile('infra/deploy.sh') }];
const withFunctionApp = (text: string) => moduleFiles.map((f) => (f === functionApp ? { ...f, text } : f));
/** A copy of functionApp.bicep with one line of the auth settings changed; the change must take. */
function changed(from: string, to: string): TextFile[] {
  expect(functionApp.text).toContain(from);
  return withFunctionApp(functionApp.text.replace(from, to));
}

describe('App Service Authentication in front of the Function App', () => {
  it('signs every caller in with Entra ID except on /api/health, with the audiences automation uses and no secret', () => {
    expect(checkAuthSettings(main, moduleFiles)).toEqual([]);
  });

  it('notices a second open path, anonymous access, authentication not required, a 401 for the page', () => {
    expect(checkAuthSettings(main, changed("        '/api/health'\n", "        '/api/health'\n        '/api/ui/*'\n"))).toEqual([
      expect.stringMatching(/globalValidation\.excludedPaths is \['\/api\/health', '\/api\/ui\/\*'\], expected exactly \['\/api\/health'\]$/),
    ]);
    expect(checkAuthSettings(main, changed("unauthenticatedClientAction: 'RedirectToLoginPage'", "unauthenticatedClientAction: 'AllowAnonymous'"))).toEqual([
      expect.stringMatching(/unauthenticatedClientAction is 'AllowAnonymous', expected 'RedirectToLoginPage'$/),
    ]);
    expect(checkAuthSettings(main, changed('requireAuthentication: true', 'requireAuthentication: false'))).toEqual([
      expect.stringMatching(/requireAuthentication is false, expected true$/),
    ]);
    expect(checkAuthSettings(main, changed("unauthenticatedClientAction: 'RedirectToLoginPage'", "unauthenticatedClientAction: 'Return401'"))).toHaveLength(1);
  });

  it('notices a client secret, the token store on, a missing audience, auth settings gone', () => {
    expect(checkAuthSettings(main, changed('          clientId: entraClientId\n', "          clientId: entraClientId\n          clientSecretSettingName: 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET'\n"))).toEqual([
      expect.stringMatching(/names a client secret; sign-in needs none$/),
    ]);
    expect(checkAuthSettings(main, changed('      tokenStore: {\n        enabled: false', '      tokenStore: {\n        enabled: true'))).toEqual([expect.stringMatching(/login\.tokenStore\.enabled is true, expected false$/)]);
    expect(checkAuthSettings(main, changed("            'api://${entraClientId}'\n", ''))).toEqual([expect.stringMatching(/allowedAudiences lacks 'api:\/\/\$\{entraClientId\}'$/)]);
    expect(checkAuthSettings(main, changed("  name: 'authsettingsV2'", "  name: 'authsettings'"))).toEqual(["expected one Microsoft.Web/sites/config 'authsettingsV2' resource, found 0"]);
  });

  it('takes the client id from a required parameter of main.bicep', () => {
    const withDefault = { ...main, text: main.text.replace('param entraClientId string\n', "param entraClientId string = '00000000-0000-0000-0000-000000000000'\n") };
    expect(withDefault.text).not.toBe(main.text);
    expect(checkAuthSettings(withDefault, moduleFiles)).toEqual(['main.bicep does not require a parameter entraClientId']);
  });
});

describe('the local no-sign-in setting', () => {
  const readme = readRepoFile('infra/README.md');
  const schemaKeys = Object.keys(settingsSchema.shape);

  it('is a setting of the code that no template, parameters file or deploy script sets or names', () => {
    expect(neverSetInAzure).toEqual(['SIPHON_LOCAL_NO_SIGN_IN']);
    expect(schemaKeys).toContain('SIPHON_LOCAL_NO_SIGN_IN');
    expect(appSettings(main.text).has('SIPHON_LOCAL_NO_SIGN_IN')).toBe(false);
    expect(checkNeverSetInAzure(deployed)).toEqual([]);
  });

  it('notices it set in main.bicep, and in any other file that deploys', () => {
    const setting = "  {\n    name: 'SIPHON_LOCAL_NO_SIGN_IN'\n    value: 'true'\n  }\n  {\n    name: 'SIPHON_JOB_QUEUE'";
    const broken = main.text.replace("  {\n    name: 'SIPHON_JOB_QUEUE'", setting);
    expect(broken).not.toBe(main.text);
    expect(checkAppSettings(broken, schemaKeys, readme)).toEqual(['main.bicep sets SIPHON_LOCAL_NO_SIGN_IN, which must never be set in Azure']);
    expect(checkNeverSetInAzure([{ path: 'infra/deploy.sh', text: 'az functionapp config appsettings set --settings SIPHON_LOCAL_NO_SIGN_IN=true' }])).toEqual([
      'infra/deploy.sh mentions SIPHON_LOCAL_NO_SIGN_IN, which must never be set in Azure',
    ]);
  });
});

describe('what the deployment says about calling the API', () => {
  it('binds every HTTP function anonymous at the host: App Service Authentication and the roles guard it, not keys', () => {
    const levels = [...readRepoFile('functions/index.ts').matchAll(/authLevel:\s*'(\w+)'/g)].map((m) => m[1]);
    expect(levels).toEqual(['anonymous']);
  });

  it('documents no function keys', () => {
    for (const path of ['README.md', 'infra/README.md', 'infra/deploy.sh']) expect(readRepoFile(path), path).not.toMatch(/x-functions-key|functionapp keys|\?code=/i);
  });

  it('defines in infra/entraAppRoles.json exactly the app roles the code checks, for people and applications', () => {
    const roles = JSON.parse(readRepoFile('infra/entraAppRoles.json')) as Array<{ value: string; id: string; allowedMemberTypes: string[]; isEnabled: boolean }>;
    expect(roles.map((role) => role.value)).toEqual([...siphonRoles]);
    for (const role of roles) {
      expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(role.allowedMemberTypes).toEqual(['User', 'Application']);
      expect(role.isEnabled).toBe(true);
    }
    expect(new Set(roles.map((role) => role.id)).size).toBe(roles.length);
  });
});
