// Application Insights on a Log Analytics workspace, plus a workspace function `SiphonEvents` that
// turns Siphon's run-event log lines (src/observability/runEvents.ts) into columns.

@description('Region of the workspace and the Application Insights component.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Days the workspace keeps logs.')
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

// Local (instrumentation key) authentication is off: the app sends telemetry with its identity
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), which holds Monitoring Metrics Publisher here.
resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

// In the workspace, Application Insights traces are the AppTraces table. Each run event is a trace
// whose message is `SiphonEvent <EventName> {json}`; this function parses the JSON into columns.
var siphonEventsQuery = '''
AppTraces
| where Message has "SiphonEvent"
| extend e = parse_json(substring(Message, indexof(Message, "{")))
| where isnotempty(tostring(e.event))
| project TimeGenerated,
    Event = tostring(e.event),
    PipelineId = tostring(e.pipelineId),
    RunId = tostring(e.runId),
    Chunk = toint(e.chunk),
    Rows = tolong(e.rows),
    Bytes = tolong(e.bytes),
    Files = toint(e.files),
    DurationInMs = tolong(e.durationInMs),
    RowsPerSecond = todouble(e.rowsPerSecond),
    Status = tostring(e.status),
    Error = tostring(e.error),
    DequeueCount = toint(e.dequeueCount),
    OperationId,
    AppRoleName
'''

resource siphonEvents 'Microsoft.OperationalInsights/workspaces/savedSearches@2020-08-01' = {
  parent: workspace
  name: 'SiphonEvents'
  properties: {
    category: 'Siphon'
    displayName: 'Siphon run events'
    functionAlias: 'SiphonEvents'
    query: siphonEventsQuery
    version: 2
  }
}

output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
output connectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
output eventsFunctionName string = siphonEvents.properties.functionAlias
