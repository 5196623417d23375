/**
 * One Node server process: the configuration it runs with, its database, the app on the port, the
 * timers, and its graceful shutdown. Used as is by the single-process server and by each worker of
 * the cluster (src/node/cluster.ts); only the worker skips migrations and answers the primary's drain.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp, serviceDeps } from '../app.js';
import type { AppConfig, EnvConfig } from '../config.js';
import { jsonLogSink } from '../http/middleware/request.js';
import type { DatabaseHandle } from '../store/db.js';
import { migrateDatabase } from '../store/migrate.js';
import { openPostgres } from '../store/postgres.js';
import { nodeApiReferenceScript } from './api-reference-script.js';
import { startBackchannelTimer } from './backchannel-timer.js';
import { DRAIN_MESSAGE, isBridgeWorker } from './cluster.js';
import { loadOrCreateSecret } from './dev-secrets.js';
import { startMaintenanceTimer } from './maintenance-timer.js';
import { closeAfterRefusedBody } from './refused-body.js';
import { resolveHost } from './resolve-host.js';
import { lockDataDir, withDatabaseRetries } from './startup.js';
import { startWebhookDispatcher } from './webhook-dispatcher.js';
import { POOL_PER_WORKER } from './web-concurrency.js';

/**
 * How long a draining worker keeps answering (each response with `Connection: close`) before it stops
 * accepting. Closing keep-alive connections at once would race clients sending on them; after this,
 * every connection in steady use has been told to close, and only long-idle ones are cut.
 */
const DRAIN_GRACE_MS = 1_000;

export function log(msg: string, extra: Record<string, unknown> = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...extra }));
}

/** The app's settings; outside production, missing secrets are generated once and kept in DATA_DIR. */
export async function appConfig(env: EnvConfig): Promise<AppConfig> {
  const production = env.NODE_ENV === 'production';
  const operatorToken =
    env.OPERATOR_TOKEN ??
    (await loadOrCreateSecret(env.DATA_DIR, 'operator-token', (value, path) => {
      console.log(`\nGenerated a development OPERATOR_TOKEN (kept in ${path}):\n\n  ${value}\n`);
    }));
  const sessionSecret = env.SESSION_SECRET ?? (await loadOrCreateSecret(env.DATA_DIR, 'session-secret', () => {}));
  return {
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${env.PORT}`,
    operatorToken,
    sessionSecret,
    previousSessionSecrets: env.SESSION_SECRET_PREVIOUS ?? [],
    production,
    samlLoginRateLimitPerMinute: env.SAML_LOGIN_RATE_LIMIT_PER_MINUTE,
    metadataRefreshMinutes: env.METADATA_REFRESH_MINUTES,
    eventRetentionDays: env.EVENT_RETENTION_DAYS,
    metadataAllowLoopbackUrls: env.METADATA_ALLOW_LOOPBACK_URLS === 'on',
  };
}

/** Opens and migrates the database: postgres.js (retried while it comes up) or PGlite behind a DATA_DIR lock. */
export async function openDatabase(
  env: EnvConfig,
  timings: { openMs?: number; migrateMs?: number },
): Promise<DatabaseHandle> {
  const { DATABASE_URL: databaseUrl, DATA_DIR: dataDir } = env;
  if (databaseUrl) {
    const handle = openPostgres(databaseUrl, {
      connectTimeoutSeconds: env.DATABASE_CONNECT_TIMEOUT_SECONDS,
      statementTimeoutSeconds: env.DATABASE_STATEMENT_TIMEOUT_SECONDS,
    });
    try {
      await withDatabaseRetries(databaseUrl, env.DATABASE_RETRY_SECONDS, () => migrateDatabase(handle), (line) =>
        console.error(JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: line })),
      );
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    return handle;
  }
  const dir = resolve(dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  // Before PGlite touches the folder: a second process on it would lose acknowledged writes.
  const release = await lockDataDir(resolve(dataDir));
  try {
    // Imported only here, so nothing else ever loads PGlite.
    const opening = performance.now();
    const { openPglite } = await import('../store/pglite.js');
    const handle = await openPglite(dir);
    const migrating = performance.now();
    timings.openMs = Math.round(migrating - opening);
    await migrateDatabase(handle);
    timings.migrateMs = Math.round(performance.now() - migrating);
    return { ...handle, close: () => handle.close().finally(release) };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * A cluster worker's database: its own postgres.js pool, without migrations (the primary ran them
 * before forking, so workers never race each other on them) and without start-up retries (the
 * primary has just reached the server).
 */
export function openWorkerDatabase(env: EnvConfig & { DATABASE_URL: string }): DatabaseHandle {
  return openPostgres(env.DATABASE_URL, {
    max: POOL_PER_WORKER,
    connectTimeoutSeconds: env.DATABASE_CONNECT_TIMEOUT_SECONDS,
    statementTimeoutSeconds: env.DATABASE_STATEMENT_TIMEOUT_SECONDS,
  });
}

/**
 * The development demo's routes (never in production), or undefined. `announce`: log and print where
 * it is; the cluster's primary does that once, and its workers only pick up the state it created.
 */
export async function demoRoutes(env: EnvConfig, config: AppConfig, database: DatabaseHandle, announce: boolean) {
  if (config.production || env.DEMO !== 'on') return undefined;
  const { ensureDemo } = await import('../dev/demo.js');
  const { devIdpRoutes } = await import('../dev/idp-routes.js');
  const { demoAppRoutes } = await import('../dev/demo-app.js');
  const deps = { db: database.db, publicUrl: config.publicUrl, now: () => new Date(), sessionSecret: config.sessionSecret, previousSessionSecrets: config.previousSessionSecrets ?? [] };
  const demo = await ensureDemo(deps, env.DATA_DIR, announce ? (msg) => log(msg) : () => {});
  if (!demo) return undefined;
  if (announce) {
    log('demo ready', { testIdp: `${config.publicUrl}/dev/idp`, companyId: demo.companyId });
    console.log(
      `\nDemo: sign in through the test IdP at ${config.publicUrl}/dev/idp (admin page: ${config.publicUrl}/admin; example application: ${config.publicUrl}/dev/app)\n`,
    );
  }
  return devIdpRoutes(demo).route('/', demoAppRoutes(config.publicUrl, demo.app, demo.webhook));
}

export interface ServeOptions {
  env: EnvConfig;
  config: AppConfig;
  database: DatabaseHandle;
  extraRoutes: Awaited<ReturnType<typeof demoRoutes>>;
}

/** Serves the app on PORT until SIGINT or SIGTERM (or, in a cluster worker, the primary's drain). */
export function serveApp({ env, config, database, extraRoutes }: ServeOptions): void {
  const worker = isBridgeWorker();
  const app = createApp({
    config,
    database: { kind: database.kind, db: database.db },
    log: env.LOG_LEVEL === 'silent' ? null : jsonLogSink,
    ...(extraRoutes ? { extraRoutes } : {}),
    apiReferenceScript: nodeApiReferenceScript,
    resolveHost,
    deferWebhooks: false,
  });
  const fetch = closeAfterRefusedBody((request, env) => app.fetch(request, env));
  const server = serve({ fetch, port: env.PORT, hostname: process.env.HOST ?? '0.0.0.0' }, (info) => {
    // A worker's line is not the start-up line: the primary says "listening" once all are up.
    if (worker) log('worker listening', { port: info.port, pid: process.pid });
    else log('listening', { port: info.port, publicUrl: config.publicUrl, processes: 1 });
  });
  const timerDeps = serviceDeps(config, database.db, () => new Date(), { resolveHost });
  const logLine = (line: Record<string, unknown>) => console.log(JSON.stringify({ time: new Date().toISOString(), ...line }));
  // In a cluster every worker runs all three timers, as separate instances always could: they share
  // nothing in memory and coordinate through PostgreSQL alone. The maintenance tasks claim their work
  // in the database (src/services/scheduled.ts), back-channel logouts claim each row before its POST,
  // and the webhook dispatcher claims queue heads with FOR UPDATE SKIP LOCKED and a claim deadline
  // (src/store/webhooks.ts), so N workers deliver each thing once, just with N pollers.
  const maintenance = startMaintenanceTimer(timerDeps, logLine);
  // Back-channel logouts every 2 s: retries, and what a previous process left, go out without waiting for maintenance.
  const backchannel = startBackchannelTimer(timerDeps, logLine);
  // Webhooks: queued and sent continuously, one stream per endpoint and company.
  const webhooks = startWebhookDispatcher(timerDeps, logLine);
  server.on('error', (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? `port ${env.PORT} is already in use (set PORT to another one)` : error.message;
    console.error(`Cannot listen: ${why}`);
    database.close().finally(() => process.exit(1));
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log('shutting down', worker ? { signal, pid: process.pid } : { signal });
    server.close(() => {
      Promise.allSettled([maintenance.stop(), backchannel.stop(), webhooks.stop()])
        .finally(() => database.close())
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  if (!worker) return;

  // Rolling restart: the primary has a replacement listening. Keep answering for a moment, telling
  // each keep-alive client to reconnect (new connections go to the other workers once this one has
  // closed), then the same shutdown as on SIGTERM.
  let draining = false;
  server.prependListener('request', (_request, response) => {
    if (draining) response.setHeader('Connection', 'close');
  });
  process.on('message', (message: unknown) => {
    if ((message as { cmd?: unknown } | null)?.cmd !== DRAIN_MESSAGE || draining || closing) return;
    draining = true;
    setTimeout(() => shutdown('drain'), DRAIN_GRACE_MS);
  });
  // A terminal hang-up reaches the whole process group: the primary turns it into a rolling restart.
  process.on('SIGHUP', () => {});
}
