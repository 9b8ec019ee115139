// Log alert rules on Application Insights and the action group that emails them. Every query reads
// the customEvents that src/observability/runEvents.ts emits (name = the event, text properties in
// customDimensions, numbers in customMeasurements); test/infra/runEvents.test.ts checks each field
// a query names against the code's list (runEventFields).
// - a run failed (SiphonRunFailed, one alert per failing pipeline) and a job message reached the
//   poison queue (SiphonPoisonMessage): stateless (autoMitigate off), so every failure that lands in
//   an evaluation window is reported, not only the first of a series;
// - a pipeline's failure rate over a window, a volume drop (a run's rows far below the pipeline's
//   recent mean) and a duration anomaly (a run far slower than its recent mean): conditions that
//   last, so these resolve themselves when the condition clears (autoMitigate on).
// The same three rules are evaluated by Siphon's scheduler tick and sent through its notification
// targets; these are the Azure Monitor side, for operators who live in the portal.

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

@description('Failure rate rule: the window whose ended runs are counted per pipeline (a log alert window size).')
@allowed([
  'PT1H'
  'PT2H'
  'PT3H'
  'PT6H'
  'PT12H'
  'P1D'
  'P2D'
])
param failureRateWindow string = 'PT6H'

@description('Failure rate rule: the least number of ended runs in the window before a rate is judged.')
@minValue(1)
param failureRateMinimumRuns int = 3

@description('Failure rate rule: alert when at least this percent of a pipeline\'s runs in the window failed.')
@minValue(1)
@maxValue(100)
param failureRatePercent int = 50

@description('Volume drop and duration anomaly rules: how often they run and the window of recent runs they judge.')
@allowed([
  'PT15M'
  'PT30M'
  'PT1H'
])
param anomalyWindow string = 'PT1H'

@description('Volume drop and duration anomaly rules: how far back the baseline of earlier successful runs reaches.')
@allowed([
  'PT12H'
  'P1D'
  'P2D'
])
param anomalyBaseline string = 'P2D'

@description('Volume drop and duration anomaly rules: the least number of baseline runs before a pipeline is judged.')
@minValue(1)
param anomalyMinimumRuns int = 5

@description('Volume drop rule: alert when a run read this percent fewer rows than the pipeline\'s baseline mean.')
@minValue(1)
@maxValue(100)
param volumeDropPercent int = 50

@description('Duration anomaly rule: alert when a run took more than this percent of the pipeline\'s baseline mean duration.')
@minValue(101)
param durationAnomalyPercent int = 300

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
customEvents
| where name == "SiphonRunFailed"
| project timestamp, pipelineId = tostring(customDimensions.pipelineId), runId = tostring(customDimensions.runId),
    chunk = toint(customMeasurements.chunk), error = tostring(customDimensions.error), operation_Id
'''

var poisonMessageQuery = '''
customEvents
| where name == "SiphonPoisonMessage"
| project timestamp, pipelineId = tostring(customDimensions.pipelineId), runId = tostring(customDimensions.runId),
    dequeueCount = toint(customMeasurements.dequeueCount), operation_Id
'''

// The rule's window is failureRateWindow. {0}: the least number of ended runs in the window for a rate to mean anything; {1}: the percent.
var failureRateQuery = '''
customEvents
| where name in ("SiphonRunCompleted", "SiphonRunFailed")
| summarize runs = count(), failed = countif(name == "SiphonRunFailed") by pipelineId = tostring(customDimensions.pipelineId)
| where runs >= {0}
| extend failurePercent = round(100.0 * failed / runs, 1)
| where failurePercent >= {1}
'''

// The rule looks back over the baseline (overrideQueryTimeRange); runs ended in the last {0}
// (a KQL timespan, the rule's window) are compared with the mean of the pipeline's earlier successful runs ({1}: the least
// number of them, {2}: the percent below the mean that counts as a drop).
var volumeDropQuery = '''
let recent = {0};
let baseline = customEvents
    | where name == "SiphonRunCompleted" and timestamp < ago(recent)
    | summarize meanRows = avg(todouble(customMeasurements.rows)), baselineRuns = count() by pipelineId = tostring(customDimensions.pipelineId);
customEvents
| where name == "SiphonRunCompleted" and timestamp >= ago(recent)
| project timestamp, pipelineId = tostring(customDimensions.pipelineId), runId = tostring(customDimensions.runId), rows = todouble(customMeasurements.rows)
| join kind=inner baseline on pipelineId
| where baselineRuns >= {1} and rows < meanRows * (100 - {2}) / 100.0
| project timestamp, pipelineId, runId, rows, meanRows = round(meanRows), baselineRuns
'''

// As the volume drop, on durationInMs: {2} is the percent of the mean a run may take before it is
// an anomaly (300: three times as long).
var durationAnomalyQuery = '''
let recent = {0};
let baseline = customEvents
    | where name == "SiphonRunCompleted" and timestamp < ago(recent)
    | summarize meanDurationInMs = avg(todouble(customMeasurements.durationInMs)), baselineRuns = count() by pipelineId = tostring(customDimensions.pipelineId);
customEvents
| where name == "SiphonRunCompleted" and timestamp >= ago(recent)
| project timestamp, pipelineId = tostring(customDimensions.pipelineId), runId = tostring(customDimensions.runId), durationInMs = todouble(customMeasurements.durationInMs)
| join kind=inner baseline on pipelineId
| where baselineRuns >= {1} and durationInMs > meanDurationInMs * {2} / 100.0
| project timestamp, pipelineId, runId, durationInMs, meanDurationInMs = round(meanDurationInMs), baselineRuns
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

// The three rules on conditions that last: one alert per pipeline (the pipelineId dimension),
// resolved when a later evaluation no longer finds it.
// The KQL timespan of each window the anomaly rules allow.
var kqlTimespan = {
  PT15M: '15m'
  PT30M: '30m'
  PT1H: '1h'
}

var conditionRules = [
  {
    suffix: 'failure-rate'
    displayName: 'Siphon: a pipeline\'s runs keep failing'
    description: 'At least ${failureRatePercent}% of a pipeline\'s runs in the last ${failureRateWindow} failed (with at least ${failureRateMinimumRuns} runs).'
    severity: 2
    query: format(failureRateQuery, failureRateMinimumRuns, failureRatePercent)
    frequency: 'PT15M'
    window: failureRateWindow
    timeRange: ''
  }
  {
    suffix: 'volume-drop'
    displayName: 'Siphon: a run read far fewer rows than usual'
    description: 'A successful run read ${volumeDropPercent}% fewer rows than the mean of its pipeline\'s successful runs before it (over ${anomalyBaseline}, at least ${anomalyMinimumRuns} of them).'
    severity: 3
    query: format(volumeDropQuery, kqlTimespan[anomalyWindow], anomalyMinimumRuns, volumeDropPercent)
    frequency: anomalyWindow
    window: anomalyWindow
    timeRange: anomalyBaseline
  }
  {
    suffix: 'duration-anomaly'
    displayName: 'Siphon: a run took far longer than usual'
    description: 'A successful run took more than ${durationAnomalyPercent}% of the mean duration of its pipeline\'s successful runs before it (over ${anomalyBaseline}, at least ${anomalyMinimumRuns} of them).'
    severity: 3
    query: format(durationAnomalyQuery, kqlTimespan[anomalyWindow], anomalyMinimumRuns, durationAnomalyPercent)
    frequency: anomalyWindow
    window: anomalyWindow
    timeRange: anomalyBaseline
  }
]

resource conditionAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in conditionRules: {
    name: '${ruleNamePrefix}-${rule.suffix}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsightsId
      ]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      overrideQueryTimeRange: empty(rule.timeRange) ? null : rule.timeRange
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: rule.query
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
]

output actionGroupId string = actionGroup.id
output runFailedAlertId string = runFailedAlert.id
output poisonMessageAlertId string = poisonMessageAlert.id
output conditionAlertIds array = [for (rule, i) in conditionRules: conditionAlerts[i].id]
