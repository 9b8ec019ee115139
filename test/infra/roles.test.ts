import { describe, expect, it } from 'vitest';
import { bicepFiles, checkRoleAssignmentsInOneFile, checkRoles, readRepoFile, requiredRoles, roleAssignments } from './infraChecks.js';

const roleText = readRepoFile('infra/modules/roleAssignments.bicep');
const main = readRepoFile('infra/main.bicep');
const storageClientFactories = [...readRepoFile('src/storageClients.ts').matchAll(/export function (create\w+Client)\b/g)].map((m) => m[1]!);

describe("the app identity's roles", () => {
  it('are exactly the data-plane roles the app needs, on the right resources', () => {
    expect(checkRoles(roleText, main, storageClientFactories)).toEqual([]);
    expect(roleAssignments(roleText).assignments.map((a) => `${a.role} on ${a.scope}`).sort()).toEqual(
      requiredRoles.map((r) => `${r.role} on ${r.scope}`).sort(),
    );
  });

  it('cover every kind of storage client the code creates', () => {
    expect(storageClientFactories.sort()).toEqual(['createBlobServiceClient', 'createQueueServiceClient', 'createTableClient']);
  });

  it('are all assigned in roleAssignments.bicep', () => {
    expect(checkRoleAssignmentsInOneFile(bicepFiles())).toEqual([]);
  });

  it('notices a missing assignment', () => {
    const withoutTables = roleText.replace(/resource hostTableContributor[\s\S]*?\n}\n/, '');
    expect(checkRoles(withoutTables, main, storageClientFactories)).toEqual(['missing role assignment: Storage Table Data Contributor on hostStorageName']);
  });

  it('notices a role nobody needs', () => {
    const withOwner = roleText
      .replace("  monitoringMetricsPublisher: '3913510d", "  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635' // Owner\n  monitoringMetricsPublisher: '3913510d")
      .replace('roles.keyVaultSecretsUser)\n    principalId', 'roles.owner)\n    principalId');
    expect(checkRoles(withOwner, main, storageClientFactories)).toEqual([
      'missing role assignment: Key Vault Secrets User on keyVaultName',
      'role assignment that nothing needs: Owner on keyVaultName',
    ]);
  });

  it('notices a GUID that is not the role its comment names', () => {
    const typo = roleText.replace("'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor", "'974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Table Data Contributor");
    expect(checkRoles(typo, main, storageClientFactories)).toContain(
      'roles.storageTableDataContributor is 974c5e8b-45b9-4653-ba55-5f855dd0fb88, which is Storage Queue Data Contributor, not Storage Table Data Contributor',
    );
  });

  it('notices a storage client no role covers', () => {
    expect(checkRoles(roleText, main, [...storageClientFactories, 'createShareServiceClient'])).toEqual([
      'src/storageClients.ts has createShareServiceClient, and no role is known to cover it',
    ]);
  });
});
