import type { NotificationTarget } from '../spec/notificationSpec.js';
import { notificationSettingPrefix } from '../spec/notificationSpec.js';
import type { Notification } from './notification.js';
import { teamsCard } from './targets/teamsCard.js';
import { slackBlocks } from './targets/slackBlocks.js';
import { discordEmbed } from './targets/discordEmbed.js';
import { telegramMessage } from './targets/telegramMessage.js';
import { webhookBody } from './targets/webhookBody.js';
import { signatureHeader, signWebhook } from './signWebhook.js';

/** One HTTP POST to a target, and the setting values in it that must never be shown. */
export type TargetRequest = { url: string; headers: Record<string, string>; body: string; secrets: string[] };

export type RequestContext = {
  env: NodeJS.ProcessEnv;
  telegramApiUrl: string;
  /** The same on every try of one (run, event, target). */
  deliveryId: string;
  now: Date;
};

/**
 * Builds the request to one target, reading the settings it names at send time (a setting
 * changed or added later is picked up by the next try). A missing setting, an address that is
 * not https (or http to this machine), or a token of the wrong shape is a problem, which the
 * sender reports as the target failing. Problems name the setting, never its value.
 */
export function targetRequest(target: NotificationTarget, notification: Notification, context: RequestContext): { ok: true; request: TargetRequest } | { ok: false; problem: string } {
  const json = (url: string, body: unknown, secrets: string[], headers: Record<string, string> = {}) =>
    ({ ok: true as const, request: { url, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers }, secrets } });
  switch (target.target) {
    case 'teams':
    case 'slack':
    case 'discord': {
      const url = settingUrl(target.urlSetting, context.env);
      if (!url.ok) return url;
      const body = target.target === 'teams' ? teamsCard(notification) : target.target === 'slack' ? slackBlocks(notification) : discordEmbed(notification);
      return json(url.value, body, [url.value]);
    }
    case 'telegram': {
      const token = setting(target.botTokenSetting, context.env);
      if (!token.ok) return token;
      if (!/^\d{1,20}:[A-Za-z0-9_-]{20,200}$/.test(token.value)) return { ok: false, problem: `app setting ${target.botTokenSetting} does not hold a Telegram bot token (<digits>:<letters>, as BotFather gives it)` };
      const url = `${context.telegramApiUrl.replace(/\/+$/, '')}/bot${token.value}/sendMessage`;
      const problem = addressProblem(url, 'SIPHON_TELEGRAM_API_URL');
      if (problem) return { ok: false, problem };
      return json(url, telegramMessage(notification, target.chatId), [token.value, url]);
    }
    case 'webhook': {
      const url = settingUrl(target.urlSetting, context.env);
      if (!url.ok) return url;
      const secret = setting(target.secretSetting, context.env);
      if (!secret.ok) return secret;
      if (secret.value.length < 16) return { ok: false, problem: `app setting ${target.secretSetting} holds a signing secret shorter than 16 characters` };
      const body = JSON.stringify(webhookBody(notification, context.deliveryId));
      const signature = signWebhook(secret.value, body, Math.floor(context.now.getTime() / 1_000));
      return {
        ok: true,
        request: {
          url: url.value,
          body,
          headers: { 'content-type': 'application/json', [signatureHeader]: signature, 'Siphon-Event': notification.event, 'Siphon-Delivery': context.deliveryId },
          secrets: [url.value, secret.value],
        },
      };
    }
  }
}

function setting(name: string, env: NodeJS.ProcessEnv): { ok: true; value: string } | { ok: false; problem: string } {
  // The spec schema refuses other names; this also holds for a message queued before a rule changed.
  if (!name.startsWith(notificationSettingPrefix)) return { ok: false, problem: `${name} is not a notification setting (${notificationSettingPrefix}...)` };
  const value = env[name]?.trim();
  return value ? { ok: true, value } : { ok: false, problem: `app setting ${name} is not set` };
}

function settingUrl(name: string, env: NodeJS.ProcessEnv): { ok: true; value: string } | { ok: false; problem: string } {
  const value = setting(name, env);
  if (!value.ok) return value;
  const problem = addressProblem(value.value, name);
  return problem ? { ok: false, problem } : value;
}

/**
 * Targets are reached over https only; http is allowed to this machine alone (127.0.0.0/8,
 * ::1, localhost), where nothing crosses a network: the tests' receivers and a local relay.
 */
export function addressProblem(text: string, settingName: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `app setting ${settingName} does not hold a URL`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return undefined;
  return `app setting ${settingName} holds a ${url.protocol.replace(':', '')} URL; targets are reached over https (http only to this machine's loopback address)`;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
