// Application Insights on a Log Analytics workspace, a workspace function `SiphonEvents` that lays
// Siphon's run events (customEvents from src/observability/runEvents.ts) out as columns, and the
// "Siphon runs" workbook (workbook.json beside this file).

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

// In the workspace, Application Insights customEvents are the AppEvents table: the event's name in
// Name, its text properties in Properties and its numbers in Measurements. This function gives
// each field Siphon emits a column, for people who query the workspace rather than the component.
var siphonEventsQuery = '''
AppEvents
| where Name startswith "Siphon"
| project TimeGenerated,
    Event = Name,
    PipelineId = tostring(Properties.pipelineId),
    RunId = tostring(Properties.runId),
    Status = tostring(Properties.status),
    Error = tostring(Properties.error),
    Check = tostring(Properties.check),
    Column = tostring(Properties.column),
    Severity = tostring(Properties.severity),
    Outcome = tostring(Properties.outcome),
    Target = tostring(Properties.target),
    TargetType = tostring(Properties.targetType),
    Notification = tostring(Properties.notification),
    Changes = tostring(Properties.changes),
    Reconciliation = tostring(Properties.reconciliation),
    Chunk = toint(Measurements.chunk),
    Rows = tolong(Measurements.rows),
    Bytes = tolong(Measurements.bytes),
    Files = toint(Measurements.files),
    DurationInMs = tolong(Measurements.durationInMs),
    RowsPerSecond = todouble(Measurements.rowsPerSecond),
    DequeueCount = toint(Measurements.dequeueCount),
    Measured = todouble(Measurements.measured),
    LowerBound = todouble(Measurements.lowerBound),
    UpperBound = todouble(Measurements.upperBound),
    Attempt = toint(Measurements.attempt),
    RowsRejected = tolong(Measurements.rowsRejected),
    ColumnsAdded = toint(Measurements.columnsAdded),
    ColumnsRemoved = toint(Measurements.columnsRemoved),
    ColumnsRetyped = toint(Measurements.columnsRetyped),
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

// The workbook: runs, throughput, failures, slowest chunks and quality results per pipeline, over
// the component's customEvents. Its items are workbook.json (the Azure portal's Advanced Editor
// format); the component is where its queries run unless the reader picks another.
resource runsWorkbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsights.id, 'siphon-runs-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Siphon runs'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(union(loadJsonContent('workbook.json'), {
      fallbackResourceIds: [
        appInsights.id
      ]
    }))
  }
}

output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
output connectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
output eventsFunctionName string = siphonEvents.properties.functionAlias
output workbookId string = runsWorkbook.id
