import { fit, notificationFacts, type Notification } from '../notification.js';

/** Slack's mrkdwn gives &, < and > meaning; text from a run (an error) must not. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The body a Slack incoming webhook takes: Block Kit blocks, and `text` as the fallback that
 * notifications and screen readers show. Within Slack's limits: a header of 150 characters, at
 * most 10 fields of 2,000, a section of 3,000.
 */
export function slackBlocks(notification: Notification): Record<string, unknown> {
  const fields = notificationFacts(notification).slice(0, 10).map((fact) => ({ type: 'mrkdwn', text: fit(`*${fact.name}*\n${escape(fact.value)}`, 2_000) }));
  const details = notification.details.map(escape).join('\n');
  return {
    text: fit(notification.title, 3_000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: fit(notification.title, 150), emoji: false } },
      { type: 'section', fields },
      ...(details ? [{ type: 'section', text: { type: 'mrkdwn', text: fit(details, 3_000) } }] : []),
      // A code block shows an error as written; ``` inside it would end the block early.
      ...(notification.error ? [{ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${fit(escape(notification.error).replace(/```/g, "'''"), 2_900)}\`\`\`` } }] : []),
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: notification.runId ? 'Open the run' : 'Open the pipeline' }, url: notification.link }] },
    ],
  };
}
