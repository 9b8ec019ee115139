import { parseRunEvent, RunEvent } from '../../src/observability/runEvents.js';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { runPipeline } from '../support/readBack.js';
import { waitFor } from '../support/waitFor.js';
import { freePort } from '../../src/local/freePort.js';
import { getServices } from '../../src/services.js';
import { deliverNotification } from '../../src/notify/deliverNotification.js';
import { encodeNotificationMessage, type NotificationMessage } from '../../src/notify/notificationQueueMessage.js';
import { parseRoute } from '../../src/ui/router.js';
import { watchRunHistory } from '../../src/notify/watchRunHistory.js';
import { newRunId } from '../../src/jobs/runId.js';

/**
 * Notifications end to end (issue 19, point 3): a local HTTP receiver stands for Teams, Slack,
 * Discord, Telegram's Bot API and a generic webhook. Runs through the local runtime queue their
 * notifications; its queue poller runs the sender as the host would.
 */
type Received = { path: string; headers: Record<string, string | string[] | undefined>; body: string; status: number };

let env: TestEnvironment;
let receiver: Server;
let hostFolder: string;
const received: Received[] = [];
const logLines: string[] = [];
/** Status codes a path answers with, in order, before it answers 200. */
const script = new Map<string, number[]>();

const secrets = {
  teamsKey: 'teamsKeyAAAA1111sig',
  slackKey: 'slackKeyBBBB2222zz',
  discordKey: 'discordKeyCCCC3333',
  telegramToken: '123456:tgTokenDDDD4444xxxxxxxxxx',
  hookKey: 'hookKeyEEEE5555yy',
  hmacSecret: 'hmacSecretFFFF6666gggg',
  downToken: '654321:downTokenGGGG7777xxxxxxxx',
};

const all = ['success', 'failure', 'quarantine', 'drift', 'qualityBreach'];
const subscriptions = [
  { target: 'teams', urlSetting: 'SIPHON_NOTIFY_TEAMS', events: all },
  { target: 'slack', urlSetting: 'SIPHON_NOTIFY_SLACK', events: all },
  { target: 'discord', urlSetting: 'SIPHON_NOTIFY_DISCORD', events: all },
  { target: 'telegram', botTokenSetting: 'SIPHON_NOTIFY_TELEGRAM', chatId: '-1001234567890', events: all },
  { target: 'webhook', urlSetting: 'SIPHON_NOTIFY_HOOK', secretSetting: 'SIPHON_NOTIFY_HOOK_SECRET', events: all },
];
/** Every target down: a refused connection, 500s, a setting that is not there. */
const downSubscriptions = [
  { target: 'teams', urlSetting: 'SIPHON_NOTIFY_DEAD', events: ['success'] },
  { target: 'slack', urlSetting: 'SIPHON_NOTIFY_DOWN_SLACK', events: ['success'] },
  { target: 'discord', urlSetting: 'SIPHON_NOTIFY_NOT_SET', events: ['success'] },
  { target: 'telegram', botTokenSetting: 'SIPHON_NOTIFY_DOWN_TELEGRAM', chatId: '42', events: ['success'] },
  { target: 'webhook', urlSetting: 'SIPHON_NOTIFY_DEAD', secretSetting: 'SIPHON_NOTIFY_HOOK_SECRET', events: ['success'] },
];

const pipeline = (id: string, notifications: unknown[], extra: Record<string, unknown> = {}) => ({
  id,
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { schema: 'public', name: 'orders' },
  output: { container: 'notified' },
  notifications,
  ...extra,
});

const ok = (path: string) => received.filter((request) => request.path.startsWith(path) && request.status === 200);

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      const queued = [...script.entries()].find(([prefix]) => path.startsWith(prefix))?.[1];
      const status = path.includes('down') ? 500 : (queued?.shift() ?? 200);
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      response.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"ok":true}' : '{"ok":false}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const dead = `http://127.0.0.1:${await freePort()}`;
  Object.assign(process.env, {
    SIPHON_NOTIFY_TEAMS: `${base}/teams/workflows/${secrets.teamsKey}`,
    SIPHON_NOTIFY_SLACK: `${base}/slack/services/T0/B0/${secrets.slackKey}`,
    SIPHON_NOTIFY_DISCORD: `${base}/discord/api/webhooks/1/${secrets.discordKey}`,
    SIPHON_NOTIFY_TELEGRAM: secrets.telegramToken,
    SIPHON_TELEGRAM_API_URL: `${base}/telegram`,
    SIPHON_NOTIFY_HOOK: `${base}/hook/${secrets.hookKey}`,
    SIPHON_NOTIFY_HOOK_SECRET: secrets.hmacSecret,
    SIPHON_NOTIFY_DEAD: `${dead}/refused`,
    SIPHON_NOTIFY_DOWN_SLACK: `${base}/slack-down/${secrets.slackKey}`,
    SIPHON_NOTIFY_DOWN_TELEGRAM: secrets.downToken,
    SIPHON_NOTIFICATION_BACKOFF_MS: '1',
    SIPHON_NOTIFICATION_MAX_ATTEMPTS: '3',
    SIPHON_NOTIFICATION_TIMEOUT_MS: '3000',
    SIPHON_PUBLIC_URL: 'https://siphon.example.com',
  });
  // Slack answers 500 twice, then 200.
  script.set('/slack/', [500, 500]);
  const host = JSON.parse(readFileSync(join(process.cwd(), 'host.json'), 'utf8'));
  host.extensions.queues = { ...host.extensions.queues, maxPollingInterval: '00:00:01' };
  hostFolder = mkdtempSync(join(tmpdir(), 'siphon-host-'));
  writeFileSync(join(hostFolder, 'host.json'), JSON.stringify(host));
  env = await startTestEnvironment(
    'notify',
    async (db) => {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY, note text)`);
      await db.query(`INSERT INTO orders SELECT g, 'n' || g FROM generate_series(1, 200) g`);
    },
    { hostJsonPath: join(hostFolder, 'host.json'), log: (level, ...args) => logLines.push(`${level} ${args.map(String).join(' ')}`) },
  );
});

afterAll(async () => {
  await env?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  if (hostFolder) rmSync(hostFolder, { recursive: true, force: true });
});

describe('notifications', () => {
  let okRun: Record<string, any>;
  let failedRun: Record<string, any>;

  it('a run notifies all five targets in their own shapes; a 500 twice then 200 is delivered once', async () => {
    okRun = (await runPipeline(env, pipeline('notify-ok', subscriptions))).run;
    // A run that fails at prepare (no such table) notifies its failure through failRun.
    const created = await env.api.post('/api/pipelines', { ...pipeline('notify-fail', [subscriptions[4]]), table: { schema: 'public', name: 'missing' } });
    expect(created.status).toBe(201);
    const triggered = await env.api.post('/api/pipelines/notify-fail/runs');
    failedRun = await env.api.waitForRun(triggered.headers.get('location')!);
    expect(failedRun.status).toBe('failed');

    await waitFor(async () => ['/teams/', '/slack/', '/discord/', '/telegram/', '/hook/'].map((path) => ok(path).length), (counts) => counts.every((count, i) => count >= (i === 4 ? 2 : 1)), 'every target to take its notification', 30_000);

    const [teams] = ok('/teams/').map((request) => JSON.parse(request.body));
    expect(teams.type).toBe('message');
    expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(teams.attachments[0].content.body[0].text).toBe('notify-ok succeeded');
    expect(teams.attachments[0].content.body[1].facts).toContainEqual({ title: 'Rows', value: '200' });

    const slackRequests = received.filter((request) => request.path.startsWith('/slack/'));
    // Retried after each 500 (with the backoff's delay), then delivered, and never again.
    expect(slackRequests.map((request) => request.status)).toEqual([500, 500, 200]);
    const slack = JSON.parse(slackRequests[2]!.body);
    expect(slack.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'notify-ok succeeded', emoji: false } });
    expect(slackRequests.every((request) => request.body === slackRequests[0]!.body)).toBe(true);

    const discord = JSON.parse(ok('/discord/')[0]!.body);
    expect(discord.embeds[0]).toMatchObject({ title: 'notify-ok succeeded', color: 0x107c10 });

    const telegram = ok('/telegram/')[0]!;
    expect(telegram.path).toBe(`/telegram/bot${secrets.telegramToken}/sendMessage`);
    expect(JSON.parse(telegram.body)).toMatchObject({ chat_id: '-1001234567890', parse_mode: 'HTML', text: expect.stringContaining('<b>notify-ok succeeded</b>') });

    const hooks = ok('/hook/');
    expect(hooks).toHaveLength(2);
    for (const hook of hooks) {
      // Verified as a receiver would: HMAC-SHA256 of `<t>.<raw body>` with the shared secret.
      const { t, v1 } = Object.fromEntries(String(hook.headers['siphon-signature']).split(',').map((part) => part.split('='))) as { t: string; v1: string };
      const expected = createHmac('sha256', secrets.hmacSecret).update(`${t}.${hook.body}`).digest();
      expect(timingSafeEqual(Buffer.from(v1, 'hex'), expected)).toBe(true);
      expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(120);
    }
    const bodies = hooks.map((hook) => JSON.parse(hook.body));
    const success = bodies.find((body) => body.event === 'success');
    expect(success).toMatchObject({ type: 'siphon.notification', pipelineId: 'notify-ok', runId: okRun.runId, status: 'succeeded', rows: 200 });
    expect(parseRoute(new URL(success.link).pathname)).toEqual({ view: 'run', pipelineId: 'notify-ok', runId: okRun.runId });
    expect(new URL(success.link).origin).toBe('https://siphon.example.com');
    const failure = bodies.find((body) => body.event === 'failure');
    expect(failure).toMatchObject({ pipelineId: 'notify-fail', runId: failedRun.runId, status: 'failed', error: expect.stringContaining('missing') });
  });

  it('a redelivered queue message sends nothing twice', async () => {
    const services = await getServices();
    const before = received.length;
    const message: NotificationMessage = {
      version: 1,
      pipelineId: 'notify-ok',
      subject: `run:${okRun.runId}:0`,
      event: 'success',
      target: { target: 'teams', urlSetting: 'SIPHON_NOTIFY_TEAMS' },
      notification: JSON.parse(ok('/hook/').map((hook) => hook.body).find((body) => body.includes('"success"'))!) as NotificationMessage['notification'],
      attempt: 0,
    };
    const warnings: string[] = [];
    expect(await deliverNotification(services, message, { warn: (line) => warnings.push(line) })).toBe('duplicate');
    // A retry of Slack's delivered notification, and the first try again: both stale.
    const slack = { ...message, target: { target: 'slack' as const, urlSetting: 'SIPHON_NOTIFY_SLACK' } };
    expect(await deliverNotification(services, { ...slack, attempt: 2 }, { warn: (line) => warnings.push(line) })).toBe('duplicate');
    // Through the queue as well: the poller takes them and the receiver sees nothing.
    await services.notificationQueue.sendMessage(encodeNotificationMessage(message));
    await services.notificationQueue.sendMessage(encodeNotificationMessage({ ...slack, attempt: 1 }));
    await waitFor(async () => (await services.notificationQueue.getProperties()).approximateMessagesCount ?? 0, (count) => count === 0, 'the queue to be drained', 15_000);
    await waitFor(async () => logLines.filter((line) => line.includes(': duplicate')).length, (count) => count >= 2, 'the sender to take both messages', 15_000);
    expect(received.length).toBe(before);
    expect(warnings).toEqual([]);
  });

  it('a sender that stopped between recording a retry and queueing it: the redelivered message queues it again, and it is sent once', async () => {
    const services = await getServices();
    const message: NotificationMessage = {
      version: 1,
      pipelineId: 'notify-ok',
      subject: 'run:crashed-sender:0',
      event: 'success',
      target: { target: 'webhook', urlSetting: 'SIPHON_NOTIFY_HOOK', secretSetting: 'SIPHON_NOTIFY_HOOK_SECRET' },
      notification: { event: 'success', pipelineId: 'notify-ok', title: 'crashed sender', details: [], link: 'https://siphon.example.com/api/ui/pipelines/notify-ok', occurredAt: new Date().toISOString() },
      attempt: 0,
    };
    // Try 0 claimed and recorded as failed with try 1 due, but try 1 never queued (the sender died).
    const key = { pipelineId: 'notify-ok', subject: message.subject, event: 'success', targetId: 'webhook:SIPHON_NOTIFY_HOOK' };
    const claim = await services.notifications.claimDelivery(key, 0, new Date(), 60_000);
    expect(claim.claimed).toBe(true);
    await services.notifications.settleDelivery(key, claim.claimed ? claim.etag : '', { state: 'retrying', attempt: 1, at: new Date(), error: 'HTTP 500' });
    // The queue brings try 0 back: it sends nothing itself, and queues try 1.
    expect(await deliverNotification(services, message, { warn: () => undefined })).toBe('duplicate');
    const posts = await waitFor(async () => ok('/hook/').filter((hook) => hook.body.includes('crashed sender')), (list) => list.length === 1, 'try 1 to be posted', 15_000);
    expect(JSON.parse(posts[0]!.body).deliveryId).toBe('notify-ok|run:crashed-sender:0|success|webhook:SIPHON_NOTIFY_HOOK');
    expect(await services.notifications.getDelivery(key)).toMatchObject({ state: 'sent', attempt: 1 });
  });

  it('a run succeeds while every target is down; the targets are reported failing, on the run and the targets list', async () => {
    const { run } = await runPipeline(env, pipeline('notify-down', downSubscriptions));
    expect(run.status).toBe('succeeded');
    const failedEvents = await waitFor(
      async () => ((await env.api.get(`/api/pipelines/notify-down/runs/${run.runId}/events`)).body!.events as Array<Record<string, any>>).filter((event) => event.type === 'notificationFailed'),
      (events) => events.length === 5,
      'a notificationFailed event per target',
      30_000,
    );
    const downTargets = ['discord:SIPHON_NOTIFY_NOT_SET', 'slack:SIPHON_NOTIFY_DOWN_SLACK', 'teams:SIPHON_NOTIFY_DEAD', 'telegram:SIPHON_NOTIFY_DOWN_TELEGRAM:42', 'webhook:SIPHON_NOTIFY_DEAD'];
    expect(failedEvents.map((event) => event.target).sort()).toEqual(downTargets);
    expect(failedEvents.find((event) => event.target.startsWith('discord'))).toMatchObject({ attempts: 3, error: 'app setting SIPHON_NOTIFY_NOT_SET is not set' });
    expect(failedEvents.find((event) => event.target.startsWith('slack'))?.error).toMatch(/^HTTP 500/);
    // Two subscriptions on one setting (teams and webhook on SIPHON_NOTIFY_DEAD) are two targets.
    const targets = await waitFor(async () => (await env.api.get('/api/notifications/targets')).body!.targets as Array<Record<string, any>>, (list) => list.filter((target) => target.state === 'failing').length === 5, 'five failing targets', 30_000);
    expect(targets.filter((target) => target.state === 'failing').map((target) => target.targetId).sort()).toEqual(downTargets);
    expect(targets.filter((target) => target.state === 'ok').map((target) => target.kind).sort()).toEqual(['discord', 'slack', 'teams', 'telegram', 'webhook']);
    expect(targets.find((target) => target.targetId === 'teams:SIPHON_NOTIFY_DEAD')?.lastError).toContain('ECONNREFUSED');
    // The down Slack answered 500 on each of its three tries.
    expect(received.filter((request) => request.path.startsWith('/slack-down/')).map((request) => request.status)).toEqual([500, 500, 500]);
    // Telemetry: a SiphonNotificationFailed event per target given up on, and SiphonNotificationSent for the delivered ones (the notify-ok run's).
    const telemetry = logLines.map(parseRunEvent).filter((event) => event !== undefined);
    const failedTelemetry = telemetry.filter((event) => event!.event === RunEvent.notificationFailed && event!.runId === run.runId);
    expect(failedTelemetry.map((event) => event!.target).sort()).toEqual(downTargets);
    expect(failedTelemetry.find((event) => event!.targetType === 'slack')).toMatchObject({ pipelineId: 'notify-down', notification: 'success', attempt: 3, error: expect.stringMatching(/^HTTP 500/) });
    const sentTelemetry = telemetry.filter((event) => event!.event === RunEvent.notificationSent && event!.runId === okRun.runId);
    expect(sentTelemetry.map((event) => event!.targetType).sort()).toEqual(['discord', 'slack', 'teams', 'telegram', 'webhook']);
    expect(sentTelemetry.every((event) => event!.pipelineId === 'notify-ok' && event!.notification === 'success' && typeof event!.target === 'string')).toBe(true);
  });

  it('the scheduler tick\'s history watch raises a late fire time and a fired alert rule once each, through the same targets', async () => {
    const hookSubscription = { ...subscriptions[4], events: ['late', 'alert'] };
    const created = await env.api.post('/api/pipelines', pipeline('notify-watch', [hookSubscription], {
      schedule: { cron: '0 */5 * * * *', timeZone: 'UTC' },
      lateAfter: 'PT2M',
      alerts: [{ kind: 'volumeDrop', lastRuns: 3, belowPercent: 50 }],
    }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const services = await getServices();
    const stored = (await services.pipelines.get('notify-watch'))!;
    // History written as the run store holds it: three runs of ~100 rows, then one of 10.
    const start = Date.parse(stored.scheduleChangedAt);
    for (const [index, rows] of [100, 90, 110, 10].entries()) {
      const at = new Date(start + (index + 1) * 1_000);
      await services.runs.create({ pipelineId: 'notify-watch', pipelineGeneration: stored.generation, runId: newRunId(at), status: 'succeeded', reason: 'manual', requestedAt: at.toISOString(), startedAt: at.toISOString(), endedAt: new Date(at.getTime() + 500).toISOString(), rows, bytes: 1, files: 1, chunksPlanned: 1, attempt: 0 });
    }
    // Twenty minutes on: the fire times since are more than lateAfter past, and no run succeeded after them.
    const later = new Date(start + 20 * 60_000);
    const first = await watchRunHistory(services, [stored], later);
    expect(first.errors).toEqual([]);
    expect(first.raised.map((raised) => raised.event).sort()).toEqual(['alert', 'late']);
    expect((await watchRunHistory(services, [stored], later)).raised).toEqual([]);
    const bodies = await waitFor(async () => ok('/hook/').map((hook) => JSON.parse(hook.body)).filter((body) => body.pipelineId === 'notify-watch'), (list) => list.length === 2, 'the late and alert notifications', 15_000);
    expect(bodies.find((body) => body.event === 'late')).toMatchObject({ title: 'notify-watch is late', details: [expect.stringContaining('has not succeeded within PT2M'), expect.any(String)] });
    expect(bodies.find((body) => body.event === 'alert')).toMatchObject({ title: expect.stringContaining('volume drop: 10 rows') });
  });

  it('the API refuses a spec naming a setting outside SIPHON_NOTIFY_ or a URL in its place, naming the field, and stores nothing', async () => {
    for (const urlSetting of ['AzureWebJobsStorage', 'https://hooks.slack.com/services/T0/B0/abcdefgh']) {
      const refused = await env.api.post('/api/pipelines', pipeline('notify-refused', [{ target: 'slack', urlSetting, events: ['failure'] }]));
      expect(refused.status).toBe(400);
      expect(refused.body!.errors).toContainEqual({ path: 'notifications.0.urlSetting', message: expect.stringContaining('SIPHON_NOTIFY_') });
    }
    expect((await env.api.get('/api/pipelines/notify-refused')).status).toBe(404);
  });

  it('no setting value appears in any payload, run record, run event, target status or log line', async () => {
    const texts = [
      ...received.map((request) => request.body),
      ...received.filter((request) => !request.path.startsWith('/telegram/')).map((request) => JSON.stringify(request.headers)),
      ...logLines,
      JSON.stringify((await env.api.get('/api/notifications/targets')).body),
    ];
    for (const id of ['notify-ok', 'notify-fail', 'notify-down']) {
      const runs = (await env.api.get(`/api/pipelines/${id}/runs`)).body!.runs as Array<Record<string, any>>;
      for (const run of runs) {
        texts.push(JSON.stringify((await env.api.get(`/api/pipelines/${id}/runs/${run.runId}`)).body));
        texts.push(JSON.stringify((await env.api.get(`/api/pipelines/${id}/runs/${run.runId}/events`)).body));
      }
    }
    expect(logLines.some((line) => line.includes('try 1 of 3 failed'))).toBe(true);
    for (const [name, value] of Object.entries(secrets)) {
      for (const text of texts) expect(text.includes(value), `${name} in ${text.slice(0, 200)}`).toBe(false);
    }
  });
});
