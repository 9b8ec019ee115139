import type { NotificationTarget, Subscription } from '../spec/notificationSpec.js';

/**
 * A target's identity: its kind and the settings (and chat) it names, so every pipeline that
 * posts to one webhook shares its status, and a delivery is deduplicated per target.
 */
export function targetId(target: NotificationTarget | Subscription): string {
  switch (target.target) {
    case 'telegram':
      return `telegram:${target.botTokenSetting}:${target.chatId}`;
    case 'webhook':
      return `webhook:${target.urlSetting}`;
    default:
      return `${target.target}:${target.urlSetting}`;
  }
}

/** The subscription without its events: what a queue message carries. */
export function targetOf(subscription: Subscription): NotificationTarget {
  const { events: _events, ...target } = subscription;
  return target;
}
