/**
 * The Node.js entry point: configuration, the database (PGlite or postgres.js), migrations, the server;
 * with WEB_CONCURRENCY > 1, a node:cluster primary that runs the migrations once and forks one worker
 * per process, each serving the same port (src/node/cluster.ts).
 */
import cluster from 'node:cluster';
import { join, resolve } from 'node:path';
import type { EnvConfig } from './config.js';
import { ConfigError, parseEnv } from './config.js';
import { loggableError } from './http/loggable-error.js';
import { isBridgeWorker, superviseWorkers } from './node/cluster.js';
import { appConfig, demoRoutes, log, openDatabase, openWorkerDatabase, serveApp } from './node/serve.js';
import { StartupError } from './node/startup.js';
import { resolveWebConcurrency } from './node/web-concurrency.js';

/** A cluster worker: the primary checked the configuration, migrated the database and passed the secrets. */
async function worker(env: EnvConfig) {
  if (!env.DATABASE_URL) throw new StartupError('A cluster worker needs DATABASE_URL');
  const config = await appConfig(env);
  const database = openWorkerDatabase({ ...env, DATABASE_URL: env.DATABASE_URL });
  serveApp({ env, config, database, extraRoutes: await demoRoutes(env, config, database, false) });
}

async function main() {
  const env = parseEnv(process.env);
  if (isBridgeWorker()) return worker(env);
  const production = env.NODE_ENV === 'production';
  if (production && (!env.OPERATOR_TOKEN || !env.SESSION_SECRET)) {
    throw new ConfigError('Invalid configuration:\n  OPERATOR_TOKEN and SESSION_SECRET are required when NODE_ENV=production');
  }
  // Under another cluster manager's primary (pm2's cluster mode) this process is one of its workers.
  const { processes, note } = cluster.isPrimary
    ? resolveWebConcurrency(env)
    : { processes: 1, note: env.WEB_CONCURRENCY && env.WEB_CONCURRENCY > 1 ? 'WEB_CONCURRENCY ignored: this process is already a worker of another node:cluster primary' : undefined };
  if (note) log(note);
  const config = await appConfig(env);

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
  // The development demo: a demo company and a test IdP page (never in production). In a cluster the
  // primary creates it once, so workers starting together do not each create one.
  const extraRoutes = await demoRoutes(env, config, database, true);
  if (processes === 1) return serveApp({ env, config, database, extraRoutes });

  // The primary serves nothing: its pool would only hold connections the workers need.
  await database.close();
  await superviseWorkers({
    processes,
    workerEnv: { OPERATOR_TOKEN: config.operatorToken, SESSION_SECRET: config.sessionSecret },
    publicUrl: config.publicUrl,
    beforeRollingRestart: async () => {
      const migrated = await openDatabase(env, {});
      await migrated.close();
    },
    log: (level, msg, extra = {}) => {
      const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra });
      if (level === 'info') console.log(line);
      else console.error(line);
    },
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    console.error(error.message);
  } else {
    console.error(JSON.stringify({ level: 'error', msg: 'failed to start', ...loggableError(error) }));
  }
  process.exit(1);
});
