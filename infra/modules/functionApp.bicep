// The Flex Consumption plan and the Function App, with a system-assigned managed identity. The
// identity deploys the package (deployment storage), reaches storage (AzureWebJobsStorage__*,
// SIPHON_DATA_STORAGE__accountName), resolves Key Vault references, sends telemetry and, for SQL
// Server sources with `authentication: 'entraId'`, signs in to the database.

@description('Region of the plan and the app.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the Function App (also its host name).')
param appName string

@description('Host storage account; also holds the deployment container.')
param hostStorageName string

@description('Blob container in the host storage account that holds the deployed package.')
param deploymentContainerName string

@description('App settings, as [{ name, value }] (built in main.bicep).')
param appSettings array

@description('Node.js version of the Functions runtime.')
param nodeVersion string

@description('Memory of each instance, in MB.')
param instanceMemoryMB int

@description('Most instances the app scales out to.')
param maximumInstanceCount int

@description('Always-ready instances of the Durable Functions group; 0 for none.')
param alwaysReadyInstances int

@description('Subnet for virtual network integration; empty for none.')
param appSubnetId string

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

// Always-ready is off unless asked for: an idle Siphon then costs nothing. The `durable` group
// keeps orchestrator and activity instances warm; the queue and timer functions scale on their own.
var alwaysReady = alwaysReadyInstances > 0 ? [
  {
    name: 'durable'
    instanceCount: alwaysReadyInstances
  }
] : []

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(appSubnetId) ? null : appSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

output name string = app.name
output principalId string = app.identity.principalId
output defaultHostName string = app.properties.defaultHostName
