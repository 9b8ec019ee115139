// Every role the Function App's identity holds, and nothing more: data-plane roles only, each on
// the one resource that needs it. No control-plane role (Contributor, Owner) is assigned; the app
// never manages resources, and it never needs keys because shared-key access is off everywhere.

@description('Principal id of the Function App\'s system-assigned identity.')
param principalId string

@description('Host storage account (Functions host, Durable Functions, Siphon tables and job queue).')
param hostStorageName string

@description('Data lake account that receives the output.')
param dataLakeName string

@description('Key Vault that holds source connection strings.')
param keyVaultName string

@description('Application Insights component the app sends telemetry to.')
param appInsightsName string

// Built-in role definition ids: the one place they are spelled out.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource dataLake 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataLakeName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Host storage, blobs: the Functions host takes blob leases (timer and singleton locks), Durable
// Functions keeps large messages and partition leases in blobs, and Flex Consumption reads the
// deployed package from a container. Leases need Owner, not Contributor.
resource hostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, principalId, roles.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Siphon host: leases, Durable Functions blobs, deployment package'
  }
}

// Host storage, queues: the job queue and its poison queue (Siphon and the queue trigger), and the
// Durable Functions control and work-item queues.
resource hostQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, principalId, roles.storageQueueDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Siphon: job queue and poison queue; Durable Functions queues'
  }
}

// Host storage, tables: Siphon's Pipelines, Runs and Chunks tables and the Durable Functions
// history and instances tables.
resource hostTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, principalId, roles.storageTableDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Siphon: pipeline, run and chunk tables; Durable Functions tables'
  }
}

// Data lake, blobs: copy activities create containers on first use and write the Parquet, CSV and
// JSON Lines files, manifests and _SUCCESS markers. Contributor is enough: no leases, no ACLs.
resource dataLakeBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataLake.id, principalId, roles.storageBlobDataContributor)
  scope: dataLake
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Siphon: output files, manifests and containers'
  }
}

// Key Vault: the platform resolves the Key Vault references in the app settings (source connection
// strings) with the app's identity. Read secrets only; never list keys or manage the vault.
resource keyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Siphon: Key Vault references to source connection strings'
  }
}

// Application Insights: local authentication is off, so the host sends telemetry with an Entra ID
// token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), which needs this role on the component.
resource appInsightsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Siphon: telemetry with Entra ID authentication'
  }
}
