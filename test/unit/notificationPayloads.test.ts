import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/notify/notification.js';
import { teamsCard } from '../../src/notify/targets/teamsCard.js';
import { slackBlocks } from '../../src/notify/targets/slackBlocks.js';
import { discordEmbed } from '../../src/notify/targets/discordEmbed.js';
import { telegramMessage } from '../../src/notify/targets/telegramMessage.js';
import { addressProblem, targetRequest } from '../../src/notify/targetRequest.js';
import { hide } from '../../src/notify/postToTarget.js';
import { retryDelayInMs, visibilityDelayInSeconds } from '../../src/notify/retryDelay.js';
import { dashboardLink } from '../../src/notify/dashboardLink.js';
import { eventsOfRun, runNotification } from '../../src/notify/runNotifications.js';
import { parseRoute } from '../../src/ui/router.js';
import type { RunRecord } from '../../src/store/runStore.js';

const failed: Notification = {
  event: 'failure',
  pipelineId: 'orders',
  runId: '20261207-180000-abcd',
  status: 'failed',
  title: 'orders failed',
  rows: 1200,
  rowsRejected: 3,
  durationInMs: 65_000,
  error: 'relation "orders" does not exist <b>@everyone</b> ```',
  details: ['added note (string)'],
  link: 'https://siphon.example.com/api/ui/pipelines/orders/runs/20261207-180000-abcd',
  occurredAt: '2026-12-07T18:01:05.000Z',
};

describe('payload builders', () => {
  it('Teams: a message with one Adaptive Card attachment (Workflows webhooks; no MessageCard)', () => {
    const body = teamsCard(failed) as any;
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const card = body.attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content.type).toBe('AdaptiveCard');
    expect(card.content.version).toBe('1.4');
    expect(card.content.body[0]).toMatchObject({ type: 'TextBlock', text: 'orders failed' });
    expect(card.content.body[1].facts).toContainEqual({ title: 'Rows', value: '1,200' });
    expect(card.content.body[1].facts).toContainEqual({ title: 'Duration', value: '1 min 5 s' });
    expect(card.content.actions[0]).toEqual({ type: 'Action.OpenUrl', title: 'Open the run', url: failed.link });
    expect(JSON.stringify(body)).not.toContain('@type'); // the retired connector's MessageCard
  });

  it('Slack: header, fields, escaped error in a code block, a button to the run', () => {
    const body = slackBlocks(failed) as any;
    expect(body.text).toBe('orders failed');
    expect(body.blocks.map((block: any) => block.type)).toEqual(['header', 'section', 'section', 'section', 'actions']);
    expect(body.blocks[1].fields.length).toBeLessThanOrEqual(10);
    const error = body.blocks[3].text.text as string;
    // Without escaping, <b> would be read as a link or mention by mrkdwn; ``` would end the code block.
    expect(error).toContain('&lt;b&gt;');
    expect(error.match(/```/g)).toHaveLength(2);
    expect(body.blocks[4].elements[0].url).toBe(failed.link);
    expect(slackBlocks({ ...failed, title: 'x'.repeat(400) }).blocks).toSatisfy((blocks: any[]) => blocks[0].text.text.length <= 150);
  });

  it('Discord: one embed linking to the run, mentions disabled', () => {
    const body = discordEmbed(failed) as any;
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]).toMatchObject({ title: 'orders failed', url: failed.link, color: 0xd13438, timestamp: failed.occurredAt });
    expect(body.embeds[0].fields).toContainEqual({ name: 'Rejected', value: '3', inline: true });
    expect(body.embeds[0].description).toContain('relation "orders" does not exist');
  });

  it('Telegram: HTML text to the chat, escaped, within 4,096 characters', () => {
    const body = telegramMessage(failed, '-1001234567890') as any;
    expect(body).toMatchObject({ chat_id: '-1001234567890', parse_mode: 'HTML' });
    expect(body.text).toContain('<b>orders failed</b>');
    expect(body.text).toContain('&lt;b&gt;@everyone&lt;/b&gt;');
    expect(body.text).toContain(`<a href="${failed.link}">`);
    expect(telegramMessage({ ...failed, error: 'e'.repeat(10_000) }, '1').text).toSatisfy((text: string) => text.length <= 4_096);
  });
});

describe('the generic webhook', () => {
  const secret = 'whsec_0123456789abcdef0123';
  const env = { SIPHON_NOTIFY_HOOK: 'https://hooks.example.com/siphon?key=abc123', SIPHON_NOTIFY_HOOK_SECRET: secret };
  const now = new Date('2026-12-07T18:02:00Z');

  it('signs `<t>.<body>` with HMAC-SHA256: a receiver verifies it with node:crypto alone', () => {
    const built = targetRequest({ target: 'webhook', urlSetting: 'SIPHON_NOTIFY_HOOK', secretSetting: 'SIPHON_NOTIFY_HOOK_SECRET' }, failed, { env, telegramApiUrl: 'https://api.telegram.org', deliveryId: 'd1', now });
    if (!built.ok) throw new Error(built.problem);
    const header = built.request.headers['Siphon-Signature']!;
    const parts = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
    expect(parts.t).toBe(String(now.getTime() / 1000));
    const expected = createHmac('sha256', secret).update(`${parts.t}.${built.request.body}`).digest();
    expect(timingSafeEqual(Buffer.from(parts.v1!, 'hex'), expected)).toBe(true);
    // A body changed in transit no longer verifies.
    const tampered = createHmac('sha256', secret).update(`${parts.t}.${built.request.body.replace('1200', '1201')}`).digest();
    expect(timingSafeEqual(Buffer.from(parts.v1!, 'hex'), tampered)).toBe(false);
    expect(JSON.parse(built.request.body)).toMatchObject({ type: 'siphon.notification', version: 1, deliveryId: 'd1', event: 'failure', pipelineId: 'orders' });
    expect(built.request.body).not.toContain(secret);
    expect(built.request.body).not.toContain('abc123');
  });

  it('a missing setting, a short secret or a plain-http address is a problem naming the setting, never a value', () => {
    const request = (environment: Record<string, string>) => targetRequest({ target: 'webhook', urlSetting: 'SIPHON_NOTIFY_HOOK', secretSetting: 'SIPHON_NOTIFY_HOOK_SECRET' }, failed, { env: environment, telegramApiUrl: 'https://api.telegram.org', deliveryId: 'd', now });
    expect(request({})).toEqual({ ok: false, problem: 'app setting SIPHON_NOTIFY_HOOK is not set' });
    expect(request({ SIPHON_NOTIFY_HOOK: env.SIPHON_NOTIFY_HOOK, SIPHON_NOTIFY_HOOK_SECRET: 'short' })).toMatchObject({ ok: false, problem: expect.stringContaining('shorter than 16') });
    const plain = request({ ...env, SIPHON_NOTIFY_HOOK: 'http://hooks.example.com/x' });
    expect(plain).toMatchObject({ ok: false, problem: expect.stringContaining('https') });
    expect(JSON.stringify(plain)).not.toContain('hooks.example.com');
  });
});

describe('addresses and secrets', () => {
  it('https anywhere, http only to loopback', () => {
    expect(addressProblem('https://x.example.com/a', 'S')).toBeUndefined();
    expect(addressProblem('http://127.0.0.1:8080/a', 'S')).toBeUndefined();
    expect(addressProblem('http://localhost/a', 'S')).toBeUndefined();
    expect(addressProblem('http://[::1]:9/a', 'S')).toBeUndefined();
    expect(addressProblem('http://10.0.0.1/a', 'S')).toContain('https');
    expect(addressProblem('ftp://x/a', 'S')).toContain('https');
    expect(addressProblem('not a url', 'S')).toBe('app setting S does not hold a URL');
  });

  it('hide() takes out a URL, its path (a webhook key), a token', () => {
    const url = 'https://outlook.office.com/webhook/SECRETPATH123?sig=abcdefgh';
    expect(hide(`failed to post to ${url}`, [url])).not.toMatch(/SECRETPATH123|abcdefgh/);
    expect(hide('POST /SECRETPATH123 refused', [url])).not.toContain('SECRETPATH123');
    expect(hide('bot 123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAA unauthorized', ['123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAA'])).toBe('bot [hidden] unauthorized');
  });

  it('a Telegram token of the wrong shape is refused without showing it', () => {
    const built = targetRequest({ target: 'telegram', botTokenSetting: 'SIPHON_NOTIFY_TG', chatId: '42' }, failed, { env: { SIPHON_NOTIFY_TG: 'oops' }, telegramApiUrl: 'https://api.telegram.org', deliveryId: 'd', now: new Date() });
    expect(built).toMatchObject({ ok: false });
    expect(JSON.stringify(built)).not.toContain('oops');
    const good = targetRequest({ target: 'telegram', botTokenSetting: 'SIPHON_NOTIFY_TG', chatId: '42' }, failed, { env: { SIPHON_NOTIFY_TG: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ' }, telegramApiUrl: 'http://127.0.0.1:9999/', deliveryId: 'd', now: new Date() });
    expect(good.ok && good.request.url).toBe('http://127.0.0.1:9999/bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ/sendMessage');
    expect(good.ok && good.request.body).not.toContain('ABCDEFGHIJ');
  });
});

describe('retry schedule', () => {
  it('doubles from the first delay, capped at an hour; visibility rounds up to whole seconds', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayInMs(attempt, 30_000))).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
    expect(retryDelayInMs(0, 30_000)).toBe(0);
    expect(retryDelayInMs(20, 30_000)).toBe(3_600_000);
    expect(retryDelayInMs(3, 5)).toBe(20);
    expect(visibilityDelayInSeconds(20)).toBe(1);
    expect(visibilityDelayInSeconds(0)).toBe(0);
    expect(visibilityDelayInSeconds(30_000)).toBe(30);
  });
});

describe('run events and links', () => {
  const run = (fields: Partial<RunRecord>): RunRecord => ({ pipelineId: 'orders', runId: '20261207-180000-abcd', status: 'succeeded', reason: 'manual', requestedAt: '2026-12-07T18:00:00Z', startedAt: '2026-12-07T18:00:00Z', endedAt: '2026-12-07T18:00:30Z', rows: 10, bytes: 1, files: 1, chunksPlanned: 1, attempt: 0, ...fields }) as RunRecord;

  it('raises success/failure, quarantine, drift and qualityBreach from the run record; nothing for cancelled', () => {
    expect(eventsOfRun(run({}))).toEqual(['success']);
    expect(eventsOfRun(run({ status: 'timed_out' }))).toEqual(['failure']);
    expect(eventsOfRun(run({ status: 'failed', rowsRejected: 4 }))).toEqual(['failure', 'quarantine']);
    expect(eventsOfRun(run({ status: 'cancelled', rowsRejected: 4 }))).toEqual([]);
    expect(eventsOfRun(run({ drift: { added: [], removed: [], retyped: [], outcome: 'evolved', discarded: [] } }))).toEqual(['success', 'drift']);
    const quality = { checks: [{ name: 'rows', kind: 'rowCount', severity: 'warn', outcome: 'warn', measured: 3, bound: '>= 10', message: 'too few' }, { name: 'k', outcome: 'pass' }] };
    const withQuality = { ...run({}), quality } as RunRecord;
    expect(eventsOfRun(withQuality)).toEqual(['success', 'qualityBreach']);
    expect(runNotification(withQuality, 'qualityBreach', 'https://s').details).toEqual(['warn: rows: too few (measured 3, bound >= 10)']);
    // A quality field of another shape (or none) is no breach, not a crash.
    expect(eventsOfRun({ ...run({}), quality: 'odd' } as unknown as RunRecord)).toEqual(['success']);
  });

  it('the notification scrubs the error and links to the run view the dashboard routes', () => {
    const notification = runNotification(run({ status: 'failed', error: 'login failed: Server=db;Password=hunter2;' }), 'failure', 'https://siphon.example.com');
    expect(notification.error).not.toContain('hunter2');
    expect(notification.durationInMs).toBe(30_000);
    const link = new URL(notification.link);
    expect(parseRoute(link.pathname)).toEqual({ view: 'run', pipelineId: 'orders', runId: '20261207-180000-abcd' });
    expect(parseRoute(new URL(dashboardLink('http://127.0.0.1:7071', 'orders')).pathname)).toEqual({ view: 'pipeline', pipelineId: 'orders' });
  });
});
