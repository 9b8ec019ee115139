// Siphon in one resource group: a Function App on the Flex Consumption plan with a system-assigned
// identity, its host storage, a data lake for the output, a Key Vault for source connection
// strings, Application Insights on a Log Analytics workspace with a workbook, five alert rules, and (optionally) a
// virtual network for sources that are only reachable privately.
//
// No key, password or connection string appears here: storage is reached with the app's identity
// (`<setting>__accountName`), source connection strings live in Key Vault and reach the app as Key
// Vault references, and Application Insights takes Entra ID tokens only. Callers of the API sign in
// with Entra ID too (App Service Authentication, in modules/functionApp.bicep): no function keys.
//
// Deploy with infra/deploy.sh; the parameters are described in infra/README.md.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@description('Short name used in every resource name: lowercase letters, digits and hyphens.')
@minLength(2)
@maxLength(12)
param baseName string = 'siphon'

@description('Region of every resource; it must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Tags applied to every resource.')
param tags object = {
  product: 'siphon'
}

@description('Memory of each Function App instance, in MB (CPU and network scale with it).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// Flex Consumption scales per function group: all HTTP functions together (`http`), all Durable
// Functions together (`durable`: orchestrators, activities, entities), and every other function
// (here the job-queue and poison-queue functions, the timers) on its own. "The maximum instance
// count applies to on-demand instances in each per-function scale group (function group) rather
// than to the app's combined instances. Always ready instances aren't limited by the maximum
// instance count and don't count toward it." (MicrosoftDocs/azure-docs,
// articles/azure-functions/event-driven-scaling.md, "Limit scale-out" and "Per-function scaling".)
// So this is no cap on database sessions: see README, "Deploy to Azure".
@description('Most on-demand instances EACH per-function scale group (http, durable, each queue or timer function) scales out to; always-ready instances come on top. Not a cap on database sessions (README: Deploy to Azure).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

// "Set the always ready instance count for the `durable` group to `1`. This setting ensures you
// always have one instance ready to handle Durable Functions related requests, reducing your
// application's cold start." (MicrosoftDocs/azure-docs, articles/azure-functions/durable/
// durable-functions-azure-storage-provider.md, "Flex Consumption plan".) It is billed while idle.
@description('Always-ready instances of the `durable` scale group (orchestrators and activities), outside maximumInstanceCount and billed while idle; Microsoft recommends 1 for Durable Functions on Flex Consumption. 0 lets an idle Siphon scale to zero (runs then start cold).')
@minValue(0)
@maxValue(20)
param alwaysReadyInstances int = 1

// Node.js 20 reached the end of its support in Azure Functions on 30 April 2026; 22 is the default.
// The code and tests run on both (package.json `engines`).
@description('Node.js version of the Functions runtime: 22 (default); 20 is past its end of support (30 April 2026).')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '22'

@description('Queue of job messages (app setting SIPHON_JOB_QUEUE); its poison queue is <name>-poison.')
@minLength(3)
@maxLength(56)
param jobQueueName string = 'siphon-jobs'

@description('Prefix of the Pipelines, Runs and Chunks tables (app setting SIPHON_TABLE_PREFIX).')
@minLength(1)
@maxLength(41)
param tablePrefix string = 'siphon'

@description('How far back the scheduler looks for a missed fire time, in minutes (SIPHON_SCHEDULER_CATCHUP_MINUTES).')
@minValue(1)
@maxValue(1440)
param schedulerCatchupMinutes int = 10

@description('Every source connection setting starts with this (SIPHON_SOURCE_SETTING_PREFIX); a pipeline may name no other setting.')
param sourceSettingPrefix string = 'SIPHON_SOURCE_'

@description('Minutes after a failed, cancelled or timed-out run ended before the cleanup sweep deletes its files once more (SIPHON_CLEANUP_GRACE_MINUTES).')
@minValue(0)
@maxValue(10080)
param cleanupGraceMinutes int = 15

@description('Chunks per sub-orchestration of a large run; each history holds about two events per chunk of its slice (SIPHON_CHUNKS_PER_ORCHESTRATION).')
@minValue(10)
@maxValue(1000)
param chunksPerOrchestration int = 100

@description('Seconds a slot of a source session semaphore (source.maxSessions) is leased for; renewed by its holder while working, taken over once it runs out (SIPHON_SESSION_LEASE_SECONDS).')
@minValue(1)
@maxValue(3600)
param sessionLeaseSeconds int = 60

@description('Seconds prepare, plan, validate and quality checks wait for a source session slot before giving up (SIPHON_SESSION_WAIT_SECONDS).')
@minValue(0)
@maxValue(3600)
param sessionWaitSeconds int = 300

@description('Blob container query jobs write their results to (SIPHON_QUERY_CONTAINER).')
param queryContainerName string = 'siphon-queries'

@description('Hours the result files and records of a query job are kept after it ended (SIPHON_QUERY_RETENTION_HOURS).')
@minValue(0)
param queryRetentionHours int = 24

@description('Queue of notifications waiting to be posted (SIPHON_NOTIFICATION_QUEUE); its poison queue <name>-poison is created beside it.')
param notificationQueueName string = 'siphon-notifications'

@description('Tries per (run, event, target) before a notification target is reported failing (SIPHON_NOTIFICATION_MAX_ATTEMPTS).')
@minValue(1)
@maxValue(20)
param notificationMaxAttempts int = 6

@description('Milliseconds before the first retry of a notification; each later retry waits twice as long, at most an hour (SIPHON_NOTIFICATION_BACKOFF_MS).')
@minValue(0)
param notificationBackoffMs int = 30000

@description('Milliseconds one post to a notification target may take (SIPHON_NOTIFICATION_TIMEOUT_MS).')
@minValue(100)
param notificationTimeoutMs int = 10000

@description('The Telegram Bot API base URL (SIPHON_TELEGRAM_API_URL).')
param telegramApiUrl string = 'https://api.telegram.org'

@description('Notification target secrets: [{ setting: app setting a pipeline names (SIPHON_NOTIFY_...), secretName: Key Vault secret holding the webhook URL, bot token or signing secret }]. The values are set in Key Vault, never here.')
param notificationSecrets array = []

@description('Container created on the data lake for output; pipelines may name others (created on first use).')
param landingContainerName string = 'landing'

@description('Redundancy of the data lake account that holds the output.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
])
param dataLakeSku string = 'Standard_LRS'

@description('Source connections: [{ setting: app setting a pipeline names in source.connectionSetting, secretName: Key Vault secret holding the connection string }]. The secret values are set in Key Vault, never here.')
param sourceConnections array = []

@description('Email address that receives the alerts (run failed, poison message, failure rate, volume drop, duration anomaly).')
param alertEmail string

@description('Application (client) ID of the Entra ID app registration people and automation sign in to (README: Sign-in and roles); App Service Authentication requires a signed-in caller on every path but /api/health.')
@minLength(36)
@maxLength(36)
param entraClientId string

// Key Vault names are global and a deleted vault keeps its name for softDeleteRetentionInDays (90)
// with purge protection on, so it cannot be purged: a redeploy into a re-created resource group of
// the same name derives the same name and fails until the vault is recovered (infra/README.md,
// "A deleted vault"). This parameter (deploy.sh --key-vault-name) picks another name instead.
@description('Name of the Key Vault (3-24 letters, digits and hyphens, globally unique); empty derives kv<baseName><hash of the resource group>.')
@maxLength(24)
param keyVaultName string = ''

@description('Days the Log Analytics workspace keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Integrate the app with a new virtual network (peer it to the network of private sources) and reach storage and Key Vault through private endpoints only.')
param vnetEnabled bool = false

@description('Address space of the virtual network (vnetEnabled only).')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Subnet the Function App is integrated with (vnetEnabled only).')
param appSubnetPrefix string = '10.40.0.0/24'

@description('Subnet of the private endpoints (vnetEnabled only).')
param privateEndpointSubnetPrefix string = '10.40.1.0/24'

@description('Public network access to the data lake; downstream readers outside the network need Enabled.')
@allowed([
  'Enabled'
  'Disabled'
])
param dataLakePublicNetworkAccess string = 'Enabled'

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var cleanBase = toLower(replace(baseName, '-', ''))
var token = uniqueString(resourceGroup().id, baseName)
var names = {
  hostStorage: 'st${take(cleanBase, 9)}${token}'
  dataLake: 'dl${take(cleanBase, 9)}${token}'
  keyVault: empty(keyVaultName) ? 'kv${take(cleanBase, 9)}${token}' : keyVaultName
  plan: 'plan-${baseName}-${token}'
  functionApp: 'func-${baseName}-${token}'
  logAnalytics: 'log-${baseName}-${token}'
  appInsights: 'appi-${baseName}-${token}'
  actionGroup: 'ag-${baseName}-${token}'
  vnet: 'vnet-${baseName}-${token}'
}

// Flex Consumption keeps the deployed package in a blob container of the host storage account.
var deploymentContainerName = 'app-package'

// The tables src/services.ts opens (tableNames); the Durable extension creates its own task hub.
var siphonTables = [
  '${tablePrefix}Pipelines'
  '${tablePrefix}Runs'
  '${tablePrefix}Chunks'
  '${tablePrefix}Watermarks'
  '${tablePrefix}Leases'
  '${tablePrefix}RunIndex'
  '${tablePrefix}RunEvents'
  '${tablePrefix}Notifications'
  '${tablePrefix}SourceSlots'
  '${tablePrefix}RunTables'
]

// ---------------------------------------------------------------------------------------------
// App settings: every setting src/settings.ts reads, in its identity-based form
// ---------------------------------------------------------------------------------------------

// Each source connection is a Key Vault reference, resolved by the platform with the app's identity.
var sourceConnectionSettings = [for source in sourceConnections: {
  name: source.setting
  value: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=${source.secretName})'
}]

// Each notification target's URL, bot token or signing secret: a Key Vault reference, like a source's.
var notificationSecretSettings = [for target in notificationSecrets: {
  name: target.setting
  value: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=${target.secretName})'
}]

var appSettings = concat([
  {
    name: 'AzureWebJobsStorage__accountName'
    value: hostStorage.outputs.name
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'SIPHON_DATA_STORAGE__accountName'
    value: dataLake.outputs.name
  }
  {
    name: 'SIPHON_JOB_QUEUE'
    value: jobQueueName
  }
  {
    name: 'SIPHON_TABLE_PREFIX'
    value: tablePrefix
  }
  {
    name: 'SIPHON_SCHEDULER_CATCHUP_MINUTES'
    value: string(schedulerCatchupMinutes)
  }
  {
    name: 'SIPHON_SOURCE_SETTING_PREFIX'
    value: sourceSettingPrefix
  }
  {
    name: 'SIPHON_CLEANUP_GRACE_MINUTES'
    value: string(cleanupGraceMinutes)
  }
  {
    name: 'SIPHON_CHUNKS_PER_ORCHESTRATION'
    value: string(chunksPerOrchestration)
  }
  {
    name: 'SIPHON_SESSION_LEASE_SECONDS'
    value: string(sessionLeaseSeconds)
  }
  {
    name: 'SIPHON_SESSION_WAIT_SECONDS'
    value: string(sessionWaitSeconds)
  }
  {
    name: 'SIPHON_QUERY_CONTAINER'
    value: queryContainerName
  }
  {
    name: 'SIPHON_QUERY_RETENTION_HOURS'
    value: string(queryRetentionHours)
  }
  {
    name: 'SIPHON_NOTIFICATION_QUEUE'
    value: notificationQueueName
  }
  {
    name: 'SIPHON_NOTIFICATION_MAX_ATTEMPTS'
    value: string(notificationMaxAttempts)
  }
  {
    name: 'SIPHON_NOTIFICATION_BACKOFF_MS'
    value: string(notificationBackoffMs)
  }
  {
    name: 'SIPHON_NOTIFICATION_TIMEOUT_MS'
    value: string(notificationTimeoutMs)
  }
  {
    name: 'SIPHON_TELEGRAM_API_URL'
    value: telegramApiUrl
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: monitoring.outputs.connectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD'
  }
], sourceConnectionSettings, notificationSecretSettings)

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

module monitoring './modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    retentionInDays: logRetentionInDays
  }
}

module hostStorage './modules/hostStorage.bicep' = {
  name: 'hostStorage'
  params: {
    location: location
    tags: tags
    name: names.hostStorage
    deploymentContainerName: deploymentContainerName
    jobQueueName: jobQueueName
    notificationQueueName: notificationQueueName
    tableNames: siphonTables
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
  }
}

module dataLake './modules/dataLake.bicep' = {
  name: 'dataLake'
  params: {
    location: location
    tags: tags
    name: names.dataLake
    sku: dataLakeSku
    containerNames: [
      landingContainerName
    ]
    publicNetworkAccess: dataLakePublicNetworkAccess
  }
}

module keyVault './modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    location: location
    tags: tags
    name: names.keyVault
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
  }
}

module network './modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  params: {
    location: location
    tags: tags
    vnetName: names.vnet
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    hostStorageId: hostStorage.outputs.id
    dataLakeId: dataLake.outputs.id
    keyVaultId: keyVault.outputs.id
  }
}

module functionApp './modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    location: location
    tags: tags
    planName: names.plan
    appName: names.functionApp
    hostStorageName: hostStorage.outputs.name
    deploymentContainerName: deploymentContainerName
    appSettings: appSettings
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyInstances: alwaysReadyInstances
    appSubnetId: vnetEnabled ? network.outputs.appSubnetId : ''
    entraClientId: entraClientId
  }
}

module roleAssignments './modules/roleAssignments.bicep' = {
  name: 'roleAssignments'
  params: {
    principalId: functionApp.outputs.principalId
    hostStorageName: hostStorage.outputs.name
    dataLakeName: dataLake.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module alerts './modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    ruleNamePrefix: baseName
    actionGroupName: names.actionGroup
    alertEmail: alertEmail
    appInsightsId: monitoring.outputs.appInsightsId
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs (read by infra/deploy.sh)
// ---------------------------------------------------------------------------------------------

output functionAppName string = functionApp.outputs.name
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'
output hostStorageName string = hostStorage.outputs.name
output dataLakeName string = dataLake.outputs.name
output keyVaultName string = keyVault.outputs.name
output appInsightsName string = monitoring.outputs.appInsightsName
