// Two log alert rules on Application Insights and the action group that emails them:
// - a run failed (event SiphonRunFailed, one alert per failing pipeline), and
// - a job message reached the poison queue (event SiphonPoisonMessage).
// Both read the run-event lines written by src/observability/runEvents.ts: a trace whose message is
// `SiphonEvent <EventName> {json}`. The rules are stateless (autoMitigate off), so every failure
// that lands in an evaluation window is reported, not only the first of a series.

@description('Region of the alert rules (that of the Application Insights component).')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Prefix of the alert rule names.')
param ruleNamePrefix string

@description('Name of the action group.')
param actionGroupName string

@description('Email address that receives the alerts.')
param alertEmail string

@description('Resource id of the Application Insights component the rules query.')
param appInsightsId string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'siphon'
    enabled: true
    emailReceivers: [
      {
        name: 'siphon-operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var runFailedQuery = '''
traces
| where message has "SiphonEvent"
| extend e = parse_json(substring(message, indexof(message, "{")))
| where tostring(e.event) == "SiphonRunFailed"
| project timestamp, pipelineId = tostring(e.pipelineId), runId = tostring(e.runId), chunk = toint(e.chunk), error = tostring(e.error)
'''

var poisonMessageQuery = '''
traces
| where message has "SiphonEvent"
| extend e = parse_json(substring(message, indexof(message, "{")))
| where tostring(e.event) == "SiphonPoisonMessage"
| project timestamp, pipelineId = tostring(e.pipelineId), runId = tostring(e.runId), dequeueCount = toint(e.dequeueCount)
'''

resource runFailedAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${ruleNamePrefix}-run-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Siphon: a run failed'
    description: 'A Siphon run ended failed. The alert names the pipeline; the run id and the error are in the query results.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: runFailedQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'pipelineId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource poisonMessageAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${ruleNamePrefix}-poison-message'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Siphon: a job message was poisoned'
    description: 'A job message failed every delivery and reached the poison queue; its run was marked failed. Something is wrong with the job system itself (storage, settings, the orchestration starter).'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: poisonMessageQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output actionGroupId string = actionGroup.id
output runFailedAlertId string = runFailedAlert.id
output poisonMessageAlertId string = poisonMessageAlert.id
