import { fit, notificationFacts, type Notification } from '../notification.js';

const colors = { bad: 0xd13438, good: 0x107c10, warn: 0xffb900 };

/**
 * The body a Discord webhook takes: one embed (title 256, description 4,096, field values
 * 1,024 characters). `allowed_mentions` with no parse types: an error text holding
 * `@everyone` must not ping a whole server.
 */
export function discordEmbed(notification: Notification): Record<string, unknown> {
  const bad = notification.event === 'failure' || notification.event === 'late' || notification.event === 'alert';
  const description = [...notification.details, ...(notification.error ? ['```', notification.error.replace(/```/g, "'''"), '```'] : [])].join('\n');
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: fit(notification.title, 256),
        url: notification.link,
        color: bad ? colors.bad : notification.event === 'success' ? colors.good : colors.warn,
        ...(description ? { description: fit(description, 4_000) } : {}),
        fields: notificationFacts(notification).map((fact) => ({ name: fact.name, value: fit(fact.value, 1_024), inline: true })),
        timestamp: notification.occurredAt,
      },
    ],
  };
}
