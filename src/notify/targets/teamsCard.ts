import { fit, notificationFacts, type Notification } from '../notification.js';

/**
 * The body a Teams Workflows webhook ("When a Teams webhook request is received", Power
 * Automate) takes: a message whose attachment is an Adaptive Card. The retired Office 365
 * connector's MessageCard format is not used. Version 1.4 is what Teams renders everywhere.
 */
export function teamsCard(notification: Notification): Record<string, unknown> {
  const failure = notification.event === 'failure' || notification.event === 'late' || notification.event === 'alert';
  const body: Array<Record<string, unknown>> = [
    { type: 'TextBlock', text: fit(notification.title, 300), weight: 'Bolder', size: 'Medium', wrap: true, color: failure ? 'Attention' : notification.event === 'success' ? 'Good' : 'Warning' },
    { type: 'FactSet', facts: notificationFacts(notification).map((fact) => ({ title: fact.name, value: fact.value })) },
    ...notification.details.map((line) => ({ type: 'TextBlock', text: fit(line, 500), wrap: true, spacing: 'None' })),
    ...(notification.error ? [{ type: 'TextBlock', text: fit(notification.error, 2_000), wrap: true, fontType: 'Monospace', color: 'Attention' }] : []),
  ];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions: [{ type: 'Action.OpenUrl', title: notification.runId ? 'Open the run' : 'Open the pipeline', url: notification.link }],
        },
      },
    ],
  };
}
