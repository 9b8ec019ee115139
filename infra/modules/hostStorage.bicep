// The Functions host's storage account: Durable Functions history, the job queue and its poison
// queue, Siphon's tables, and the container Flex Consumption deploys the package to. Shared keys are
// off: the app reaches it with its managed identity only.

@description('Region of the account.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Blob container that holds the deployed package.')
param deploymentContainerName string

@description('Queue of job messages; the poison queue <name>-poison is created beside it.')
param jobQueueName string

@description('Queue of notifications waiting to be posted; its poison queue <name>-poison is created beside it.')
param notificationQueueName string

@description('Tables Siphon keeps pipelines and runs in.')
param tableNames array

@description('Enabled, or Disabled when the account is reached through private endpoints only.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

// The host moves a message here after maxDequeueCount failed deliveries (host.json); the
// failPoisonedRun function reads it and marks the run failed.
var queueNames = [
  jobQueueName
  '${jobQueueName}-poison'
  notificationQueueName
  '${notificationQueueName}-poison'
]

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queueName in queueNames: {
  parent: queueService
  name: queueName
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for tableName in tableNames: {
  parent: tableService
  name: tableName
}]

output name string = account.name
output id string = account.id
output deploymentContainerName string = deploymentContainer.name
