// The Flex Consumption plan and the Function App, with a system-assigned managed identity. The
// identity deploys the package (deployment storage), reaches storage (AzureWebJobsStorage__*,
// SIPHON_DATA_STORAGE__accountName), resolves Key Vault references, sends telemetry and, for SQL
// Server sources with `authentication: 'entraId'`, signs in to the database. App Service
// Authentication (Entra ID) signs every caller in before a function runs (authSettings below).

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

@description('Most on-demand instances each per-function scale group scales out to (always-ready ones not counted).')
param maximumInstanceCount int

@description('Always-ready instances of the `durable` scale group; 0 for none.')
param alwaysReadyInstances int

@description('Subnet for virtual network integration; empty for none.')
param appSubnetId string

@description('Application (client) ID of the Entra ID app registration callers sign in to.')
param entraClientId string

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

// Always-ready instances for the `durable` group (main.bicep's alwaysReadyInstances, 1 by default
// as Microsoft recommends for Durable Functions on Flex): orchestrator and activity work starts on a
// warm instance. The shape is functionAppConfig.scaleAndConcurrency.alwaysReady: [{ name, instanceCount }],
// name a function group (`http`, `blob`, `durable`) or `function:<name>` (FunctionsAlwaysReadyConfig,
// learn.microsoft.com/javascript/api/@azure/arm-appservice/functionsalwaysreadyconfig). 0 leaves
// the list empty, so an idle app costs nothing; the queue and timer functions scale on their own.
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

// App Service Authentication ("Easy Auth") in front of every function. The HTTP functions are
// `anonymous` at the host (functions/index.ts): this is what signs callers in, and the app checks
// their app roles (Siphon.Reader, Siphon.Operator) from the X-MS-CLIENT-PRINCIPAL header Easy Auth
// sets (src/api/auth/). Field names from the authsettingsV2 schema
// (learn.microsoft.com/azure/templates/microsoft.web/sites/config-authsettingsv2, and the same
// shape in MicrosoftDocs/azure-docs articles/app-service/configure-authentication-file-based.md).
//
// - requireAuthentication with RedirectToLoginPage: "a browser client is redirected to
//   /.auth/login/<provider> ... If the anonymous request comes from a native mobile app, the
//   returned response is an HTTP 401 Unauthorized" (articles/app-service/
//   overview-authentication-authorization.md). Easy Auth tells the two apart by the client (its
//   User-Agent: microsoft/azure-container-apps#1193), not by a header such as X-Requested-With, so
//   the page gets the sign-in redirect, the CLI and automation (bearer tokens, no browser) get 401,
//   and the dashboard's own fetches notice the redirect (src/ui/api.ts). Return401 would answer
//   401 to the page too, and nobody could sign in.
// - excludedPaths: /api/health only, for probes; the dashboard (/api/ui/) and the whole API need
//   a signed-in caller. The app refuses a request without a principal in any case: only the
//   local runtime lets one through, by a setting no file here may name (test/infra checks).
// - No client secret: "When the client secret is not set, implicit flow is used and only an ID
//   token is returned" (articles/app-service/configure-authentication-provider-aad.md), which is
//   all sign-in needs here (Siphon calls no API on the user's behalf); the app registration
//   enables ID tokens for it. The token store is off: nothing reads stored tokens.
// - allowedAudiences: the client id is always allowed (same article); api://<client id> is the
//   audience of tokens automation requests with client credentials for api://<client id>/.default.
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      excludedPaths: [
        '/api/health'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: entraClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${entraClientId}'
            entraClientId
          ]
        }
      }
    }
  }
}

output name string = app.name
output principalId string = app.identity.principalId
output defaultHostName string = app.properties.defaultHostName
