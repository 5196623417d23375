/** The Node.js entry point: configuration, the database (PGlite or postgres.js), migrations, the server. */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp, serviceDeps } from './app.js';
import { nodeApiReferenceScript } from './node/api-reference-script.js';
import type { AppConfig, EnvConfig } from './config.js';
import { ConfigError, parseEnv } from './config.js';
import { loggableError } from './http/loggable-error.js';
import { jsonLogSink } from './http/middleware/request.js';
import { loadOrCreateSecret } from './node/dev-secrets.js';
import { startBackchannelTimer } from './node/backchannel-timer.js';
import { startWebhookDispatcher } from './node/webhook-dispatcher.js';
import { startMaintenanceTimer } from './node/maintenance-timer.js';
import { resolveHost } from './node/resolve-host.js';
import { closeAfterRefusedBody } from './node/refused-body.js';
import { lockDataDir, StartupError, withDatabaseRetries } from './node/startup.js';
import type { DatabaseHandle } from './store/db.js';
import { migrateDatabase } from './store/migrate.js';
import { openPostgres } from './store/postgres.js';

function log(msg: string, extra: Record<string, unknown> = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...extra }));
}

/** Opens and migrates the database: postgres.js (retried while it comes up) or PGlite behind a DATA_DIR lock. */
async function openDatabase(
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
    const { openPglite } = await import('./store/pglite.js');
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

async function main() {
  const env = parseEnv(process.env);
  const production = env.NODE_ENV === 'production';
  if (production && (!env.OPERATOR_TOKEN || !env.SESSION_SECRET)) {
    throw new ConfigError('Invalid configuration:\n  OPERATOR_TOKEN and SESSION_SECRET are required when NODE_ENV=production');
  }
  const operatorToken =
    env.OPERATOR_TOKEN ??
    (await loadOrCreateSecret(env.DATA_DIR, 'operator-token', (value, path) => {
      console.log(`\nGenerated a development OPERATOR_TOKEN (kept in ${path}):\n\n  ${value}\n`);
    }));
  const sessionSecret = env.SESSION_SECRET ?? (await loadOrCreateSecret(env.DATA_DIR, 'session-secret', () => {}));
  const config: AppConfig = {
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

  const started = performance.now();
  // Where a start's time goes, for the operator: opening the embedded database (on an empty
  // DATA_DIR that is PGlite's initdb, most of a first start) and applying migrations.
  const timings: { openMs?: number; migrateMs?: number } = {};
  const database = await openDatabase(env, timings);
  log('database ready', {
    database: database.kind,
    location: database.kind === 'pglite' ? join(resolve(env.DATA_DIR), 'pglite') : 'DATABASE_URL',
    ms: Math.round(performance.now() - started),
    ...timings,
  });

  // The development demo: a demo company and a test IdP page (never in production).
  let extraRoutes;
  if (!production && env.DEMO === 'on') {
    const { ensureDemo } = await import('./dev/demo.js');
    const { devIdpRoutes } = await import('./dev/idp-routes.js');
    const { demoAppRoutes } = await import('./dev/demo-app.js');
    const deps = { db: database.db, publicUrl: config.publicUrl, now: () => new Date(), sessionSecret: config.sessionSecret, previousSessionSecrets: config.previousSessionSecrets ?? [] };
    const demo = await ensureDemo(deps, env.DATA_DIR, (msg) => log(msg));
    if (demo) {
      extraRoutes = devIdpRoutes(demo).route('/', demoAppRoutes(config.publicUrl, demo.app, demo.webhook));
      log('demo ready', { testIdp: `${config.publicUrl}/dev/idp`, companyId: demo.companyId });
      console.log(
        `\nDemo: sign in through the test IdP at ${config.publicUrl}/dev/idp (admin page: ${config.publicUrl}/admin; example application: ${config.publicUrl}/dev/app)\n`,
      );
    }
  }

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
    log('listening', { port: info.port, publicUrl: config.publicUrl });
  });
  const timerDeps = serviceDeps(config, database.db, () => new Date(), { resolveHost });
  const logLine = (line: Record<string, unknown>) => console.log(JSON.stringify({ time: new Date().toISOString(), ...line }));
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
    log('shutting down', { signal });
    server.close(() => {
      Promise.allSettled([maintenance.stop(), backchannel.stop(), webhooks.stop()])
        .finally(() => database.close())
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    console.error(error.message);
  } else {
    console.error(JSON.stringify({ level: 'error', msg: 'failed to start', ...loggableError(error) }));
  }
  process.exit(1);
});
