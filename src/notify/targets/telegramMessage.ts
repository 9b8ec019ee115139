import { fit, notificationFacts, type Notification } from '../notification.js';

/** Telegram's HTML parse mode knows only these three entities. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The body of the Bot API's sendMessage: HTML text (4,096 characters at most) with the facts,
 * the details, the error in <pre>, and the link. The token is in the URL, never in the body.
 */
export function telegramMessage(notification: Notification, chatId: string): Record<string, unknown> {
  const lines = [
    `<b>${escape(fit(notification.title, 300))}</b>`,
    ...notificationFacts(notification).map((fact) => `${fact.name}: ${escape(fact.value)}`),
    ...notification.details.map(escape),
  ];
  const link = `<a href="${escape(notification.link)}">${notification.runId ? 'Open the run' : 'Open the pipeline'}</a>`;
  const room = 4_000 - lines.join('\n').length - link.length;
  const error = notification.error && room > 40 ? [`<pre>${escape(fit(notification.error, Math.floor(room / 2)))}</pre>`] : [];
  return { chat_id: chatId, text: [...lines, ...error, link].join('\n'), parse_mode: 'HTML', link_preview_options: { is_disabled: true } };
}
