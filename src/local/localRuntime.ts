import type { Server } from 'node:http';
import { resolve } from 'node:path';
import type { LogHandler } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';
import { functionRegistry, type HttpFunction, type QueueFunction, type TimerFunction } from '../registry.js';
import { getServices, resetServices } from '../services.js';
import { appRoot } from '../appRoot.js';
import { hostStorage, readSettings } from '../settings.js';
import { createQueueServiceClient, createTableClient } from '../storageClients.js';
import { readHostJson } from './hostSettings.js';
import { startHttpServer } from './httpServer.js';
import { QueuePoller } from './queuePoller.js';
import { TimerRunner } from './timerRunner.js';
import { LocalDurableEngine, type ActivityHandler } from './durable/localDurableEngine.js';
import { InstanceStore } from './durable/instanceStore.js';

export type LocalRuntimeOptions = {
  /** Port for the HTTP routes; 7071 like `func start`, 0 for any free port. */
  port?: number;
  hostJsonPath?: string;
  /** Run timer functions on their schedules (off in tests, which fire them on demand). */
  timers?: boolean;
  log?: LogHandler;
};

export type LocalRuntime = {
  url: string;
  engine: LocalDurableEngine;
  fireTimer: (name: string) => Promise<void>;
  stop: () => Promise<void>;
};

export const consoleLog: LogHandler = (level, ...args) => {
  if (level === 'trace' || level === 'debug') return;
  const line = args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
  (level === 'error' || level === 'warning' ? console.error : console.log)(`[${level}] ${line}`);
};

/**
 * Runs the function registry in this process against the storage in the app settings
 * (process.env), the way the Functions host with the Durable Task extension would: HTTP routes,
 * queue triggers with poison handling, timers, and orchestrations that resume after a restart.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const log = options.log ?? consoleLog;
  // This runtime answers loopback hosts only (loopbackOnly.ts) and has no sign-in: a request
  // without a principal is the developer. Set unless the environment says otherwise (`false`
  // makes it refuse such requests, as Azure does).
  process.env.SIPHON_LOCAL_NO_SIGN_IN ??= 'true';
  const host = readHostJson(options.hostJsonPath ?? resolve(appRoot(), 'host.json'));
  resetServices();
  const settings = readSettings();
  await getServices();

  const storage = hostStorage(settings);
  const hub = host.extensions.durableTask.hubName;
  const store = new InstanceStore(createTableClient(storage, `${hub}Instances`), createTableClient(storage, `${hub}History`));
  await store.ensureTables();

  const orchestrations = new Map<string, OrchestrationHandler>();
  const activities = new Map<string, ActivityHandler>();
  for (const fn of functionRegistry) {
    if (fn.kind === 'orchestration') orchestrations.set(fn.name, fn.handler);
    if (fn.kind === 'activity') activities.set(fn.name, fn.handler);
  }
  const engine = new LocalDurableEngine({ store, orchestrations, activities, maxConcurrentActivities: host.extensions.durableTask.maxConcurrentActivityFunctions, log });
  const resumed = await engine.resumeAll();
  if (resumed) log('information', `Resumed ${resumed} unfinished orchestration(s)`);

  const queues = createQueueServiceClient(storage);
  const pollers = functionRegistry
    .filter((fn): fn is QueueFunction => fn.kind === 'queue')
    .map((fn) => {
      const queueName = `${settings[fn.queueSetting]}${fn.suffix}`;
      const poison = fn.suffix === '-poison' ? undefined : queues.getQueueClient(`${queueName}-poison`);
      return new QueuePoller(fn.name, queues.getQueueClient(queueName), poison, (message, context) => fn.handler(message, context, engine), host.extensions.queues, log);
    });
  for (const poller of pollers) poller.start();

  const timers = new Map(functionRegistry.filter((fn): fn is TimerFunction => fn.kind === 'timer').map((fn) => [fn.name, new TimerRunner(fn, log)]));
  if (options.timers ?? true) for (const timer of timers.values()) timer.start();

  const server: Server = await startHttpServer(functionRegistry.filter((fn): fn is HttpFunction => fn.kind === 'http'), options.port ?? 7071, log, engine);
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : options.port}`;

  return {
    url,
    engine,
    fireTimer: async (name) => {
      const timer = timers.get(name);
      if (!timer) throw new Error(`No timer function named ${name}`);
      await timer.fire();
    },
    stop: async () => {
      for (const timer of timers.values()) timer.stop();
      await Promise.all(pollers.map((poller) => poller.stop()));
      await engine.stop();
      // Open connections are cut first: server.close waits for every one of them, and an event
      // stream (or a keep-alive fetch) would hold it for minutes.
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeAllConnections();
      await closed;
    },
  };
}
