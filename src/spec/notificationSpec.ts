import { z } from 'zod';
import { fixedDurationSchema } from './fixedDuration.js';

/**
 * `notifications`: who hears about a pipeline's runs, and of which events (notify/ sends them).
 * A target never holds a URL, bot token or signing secret, only the NAME of the app setting that
 * does (a Key Vault reference in Azure), and only a name under `SIPHON_NOTIFY_`: a spec can then
 * never make Siphon post another setting (a storage connection string, a source's password) to
 * an address of its choosing.
 */
export const notificationSettingPrefix = 'SIPHON_NOTIFY_';

export const notificationEvents = ['failure', 'success', 'quarantine', 'drift', 'qualityBreach', 'late', 'alert'] as const;
export type NotificationEvent = (typeof notificationEvents)[number];

const notifySettingName = z
  .string()
  .regex(new RegExp(`^${notificationSettingPrefix}[A-Z0-9_]{1,100}$`), `the name of an app setting starting with ${notificationSettingPrefix} (capital letters, digits, underscores), e.g. ${notificationSettingPrefix}TEAMS_OPS; the value itself never goes in a spec`);

const events = z
  .array(z.enum(notificationEvents))
  .min(1)
  .max(notificationEvents.length)
  .refine((list) => new Set(list).size === list.length, 'an event is named twice');

/** Teams: a Workflows (Power Automate) "When a Teams webhook request is received" URL; the card is an Adaptive Card. */
const teams = z.object({ target: z.literal('teams'), urlSetting: notifySettingName }).strict();
/** Slack: an app's incoming webhook URL. */
const slack = z.object({ target: z.literal('slack'), urlSetting: notifySettingName }).strict();
/** Discord: a channel's webhook URL. */
const discord = z.object({ target: z.literal('discord'), urlSetting: notifySettingName }).strict();
/** Telegram: a bot's token (setting) and the chat it posts to: a numeric id (groups are negative) or @channelname. */
const telegram = z
  .object({
    target: z.literal('telegram'),
    botTokenSetting: notifySettingName,
    chatId: z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, 'a numeric chat id (negative for groups) or @channelname'),
  })
  .strict();
/** Any HTTPS endpoint: a JSON body signed with HMAC-SHA256 (notify/signWebhook.ts). */
const webhook = z.object({ target: z.literal('webhook'), urlSetting: notifySettingName, secretSetting: notifySettingName }).strict();

/** Where a message goes (a queue message carries this): setting names, never their values. */
export const notificationTargetSchema = z.discriminatedUnion('target', [teams, slack, discord, telegram, webhook]);
export type NotificationTarget = z.infer<typeof notificationTargetSchema>;

export const subscriptionSchema = z.discriminatedUnion('target', [teams.extend({ events }), slack.extend({ events }), discord.extend({ events }), telegram.extend({ events }), webhook.extend({ events })]);
export type Subscription = z.infer<typeof subscriptionSchema>;

export const notificationsSchema = z.array(subscriptionSchema).min(1).max(20);

/**
 * `alerts`: rules over a pipeline's run history, evaluated by the scheduler tick
 * (notify/alertRules.ts) and sent as event `alert` to the subscriptions that ask for it.
 */
const failureRate = z
  .object({
    kind: z.literal('failureRate'),
    /** The span of ended runs looked at, e.g. P1D; it fires at most once per such span (aligned to UTC midnight for whole days). */
    window: fixedDurationSchema,
    /** Fires when failed / ended runs in the window is above this fraction (0.5: more than half). */
    above: z.number().min(0).max(0.999),
    /** Fewer ended runs than this in the window never fire (default 1). */
    minRuns: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();
const volumeDrop = z
  .object({
    kind: z.literal('volumeDrop'),
    /** The baseline: the mean rows of this many successful runs before the latest. */
    lastRuns: z.number().int().min(1).max(100),
    /** Fires when the latest successful run copied fewer rows than this percent of the baseline. */
    belowPercent: z.number().gt(0).lt(100),
  })
  .strict();
const durationAnomaly = z
  .object({
    kind: z.literal('durationAnomaly'),
    lastRuns: z.number().int().min(1).max(100),
    /** Fires when the latest successful run took longer than this percent of the baseline's mean duration (200: twice as long). */
    abovePercent: z.number().gt(100).max(100_000),
  })
  .strict();

export const alertRuleSchema = z.discriminatedUnion('kind', [failureRate, volumeDrop, durationAnomaly]);
export type AlertRule = z.infer<typeof alertRuleSchema>;
export const alertsSchema = z.array(alertRuleSchema).min(1).max(20);

/** `lateAfter`: how long after a scheduled fire time a successful run must have ended, else event `late`. */
export const lateAfterSchema = fixedDurationSchema;

type NotifyingSpec = { schedule?: unknown; lateAfter?: string; alerts?: AlertRule[]; notifications?: Subscription[] };

/** Rules across fields: a `late` or `alert` that could never fire is a mistake worth saying at once. */
export function checkNotificationFields(spec: NotifyingSpec, ctx: z.RefinementCtx): void {
  const subscribed = new Set((spec.notifications ?? []).flatMap((subscription) => subscription.events));
  if (spec.lateAfter !== undefined && !spec.schedule) ctx.addIssue({ code: 'custom', path: ['lateAfter'], message: 'only a scheduled pipeline can be late; give a schedule or remove lateAfter' });
  if (spec.lateAfter !== undefined && !subscribed.has('late')) ctx.addIssue({ code: 'custom', path: ['lateAfter'], message: 'no notification subscribes to event "late"' });
  if (spec.alerts && !subscribed.has('alert')) ctx.addIssue({ code: 'custom', path: ['alerts'], message: 'no notification subscribes to event "alert"' });
  spec.notifications?.forEach((subscription, index) => {
    if (subscription.events.includes('late') && spec.lateAfter === undefined) ctx.addIssue({ code: 'custom', path: ['notifications', index, 'events'], message: 'event "late" needs lateAfter (and a schedule)' });
    if (subscription.events.includes('alert') && !spec.alerts) ctx.addIssue({ code: 'custom', path: ['notifications', index, 'events'], message: 'event "alert" needs alerts' });
  });
}
