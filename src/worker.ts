/**
 * The Cloudflare Workers entry point: the same createApp() as src/node.ts, Postgres through Hyperdrive.
 * The app (routes and configuration) is built once per isolate; the database client is made per
 * request, because workerd ties sockets to the request that opened them. Nothing that must stay
 * consistent lives in isolate memory: replay cache, sessions and SAML request IDs are in Postgres.
 */
import type { Hono } from 'hono';
import { createApp, serviceDeps } from './app.js';
import type { AppConfig } from './config.js';
import { ConfigError, parseEnv } from './config.js';
import type { AppEnv } from './http/env.js';
import { loggableError } from './http/loggable-error.js';
import { jsonLogSink } from './http/middleware/request.js';
import { runScheduledMaintenance } from './services/scheduled.js';
import type { Db } from './store/db.js';
import { openPostgres } from './store/postgres.js';
import type { PostgresOptions } from './store/postgres.js';

/** The bindings wrangler.toml declares (vars, secrets, Hyperdrive); all optional until checked. */
export interface WorkerEnv {
  HYPERDRIVE?: Hyperdrive;
  /** A direct postgres:// URL, used only when there is no Hyperdrive binding. */
  DATABASE_URL?: string;
  PUBLIC_URL?: string;
  OPERATOR_TOKEN?: string;
  SESSION_SECRET?: string;
  /** Former SESSION_SECRETs during a rotation, comma-separated (npx wrangler secret put SESSION_SECRET_PREVIOUS). */
  SESSION_SECRET_PREVIOUS?: string;
  LOG_LEVEL?: string;
  /** As on Node: how long opening a connection and one statement may take before a 503 (seconds). */
  DATABASE_CONNECT_TIMEOUT_SECONDS?: string;
  DATABASE_STATEMENT_TIMEOUT_SECONDS?: string;
  /** How often IdP metadata configured by URL is fetched again (minutes, default 60). */
  METADATA_REFRESH_MINUTES?: string;
  /** How long events stay in the feed (days, default 30). */
  EVENT_RETENTION_DAYS?: string;
}

/** Variables the Worker cannot run without: no development fallbacks here. */
const REQUIRED = ['PUBLIC_URL', 'OPERATOR_TOKEN', 'SESSION_SECRET'] as const;

export type DatabaseTimeouts = Pick<PostgresOptions, 'connectTimeoutSeconds' | 'statementTimeoutSeconds'>;

export type WorkerSetup =
  | { kind: 'ready'; config: AppConfig; silent: boolean; database: DatabaseTimeouts }
  | { kind: 'invalid'; reason: 'configuration_invalid'; variables: string[]; detail: string };

/** The Postgres connection string for this request: Hyperdrive first, else DATABASE_URL. */
export function connectionStringOf(env: Record<string, unknown>): string | null {
  const hyperdrive = env.HYPERDRIVE as { connectionString?: unknown } | undefined;
  if (hyperdrive && typeof hyperdrive.connectionString === 'string') return hyperdrive.connectionString;
  return typeof env.DATABASE_URL === 'string' && env.DATABASE_URL !== '' ? env.DATABASE_URL : null;
}

/** Checks the Worker's env with src/config.ts's rules, plus what only the Worker requires. */
export function workerSetup(env: Record<string, unknown>): WorkerSetup {
  const strings = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const problems: string[] = [];
  const variables = new Set<string>();
  let parsed: ReturnType<typeof parseEnv> | null = null;
  try {
    // A Worker is always production: its secrets must pass the production entropy rule.
    parsed = parseEnv(strings, { production: true });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.message.split('\n').slice(1)) {
      problems.push(line.trim());
      variables.add(line.trim().split(':')[0]!);
    }
  }
  for (const name of REQUIRED) {
    if (!strings[name]) {
      problems.push(`${name}: is required in the Worker (${name === 'PUBLIC_URL' ? 'wrangler.toml [vars]' : `npx wrangler secret put ${name}`})`);
      variables.add(name);
    }
  }
  if (connectionStringOf(env) === null) {
    problems.push('HYPERDRIVE: no Hyperdrive binding and no DATABASE_URL');
    variables.add('HYPERDRIVE');
  }
  if (parsed === null || problems.length > 0) {
    return { kind: 'invalid', reason: 'configuration_invalid', variables: [...variables], detail: problems.join('; ') };
  }
  return {
    kind: 'ready',
    config: {
      publicUrl: parsed.PUBLIC_URL!,
      operatorToken: parsed.OPERATOR_TOKEN!,
      sessionSecret: parsed.SESSION_SECRET!,
      previousSessionSecrets: parsed.SESSION_SECRET_PREVIOUS ?? [],
      production: true,
      samlLoginRateLimitPerMinute: parsed.SAML_LOGIN_RATE_LIMIT_PER_MINUTE,
      metadataRefreshMinutes: parsed.METADATA_REFRESH_MINUTES,
      eventRetentionDays: parsed.EVENT_RETENTION_DAYS,
    },
    silent: parsed.LOG_LEVEL === 'silent',
    database: {
      connectTimeoutSeconds: parsed.DATABASE_CONNECT_TIMEOUT_SECONDS,
      statementTimeoutSeconds: parsed.DATABASE_STATEMENT_TIMEOUT_SECONDS,
    },
  };
}

/** One postgres.js client per request; never end()ed: workerd closes the socket with the request. */
function requestDatabase(env: Record<string, unknown>, timeouts: DatabaseTimeouts): Db {
  const url = connectionStringOf(env);
  if (url === null) throw new Error('No database: neither a HYPERDRIVE binding nor DATABASE_URL');
  return openPostgres(url, { max: 1, closeOnEnd: false, ...timeouts }).db;
}

type Prepared = { kind: 'app'; app: Hono<AppEnv>; setup: Extract<WorkerSetup, { kind: 'ready' }> } | Extract<WorkerSetup, { kind: 'invalid' }>;

// Keyed by the env object, which workerd keeps for the isolate's life: a cache of derived, immutable
// values only (a new env, e.g. after a secret changes, gets its own app).
const prepared = new WeakMap<object, Prepared>();

function prepare(env: WorkerEnv): Prepared {
  const cached = prepared.get(env);
  if (cached) return cached;
  const setup = workerSetup(env as Record<string, unknown>);
  const result: Prepared =
    setup.kind === 'invalid'
      ? setup
      : {
          kind: 'app',
          setup,
          app: createApp({
            config: setup.config,
            database: { kind: 'postgres', db: (requestEnv) => requestDatabase(requestEnv, setup.database) },
            log: setup.silent ? null : jsonLogSink,
          }),
        };
  prepared.set(env, result);
  return result;
}

function misconfigured(setup: Extract<WorkerSetup, { kind: 'invalid' }>): Response {
  // Logged on every request, so `wrangler tail` shows it whenever it is started.
  console.error(JSON.stringify({ level: 'error', msg: 'invalid Worker configuration', problems: setup.detail }));
  const body = {
    error: {
      code: setup.reason,
      message: `The Worker is not configured: check ${setup.variables.join(', ')} (details in the Worker logs).`,
    },
  };
  return new Response(JSON.stringify(body), { status: 500, headers: { 'Content-Type': 'application/json' } });
}

/**
 * The Cron Trigger (wrangler.toml [triggers]): the scheduled maintenance, as the Node server's timer
 * runs it, back-channel logouts included (requests send theirs through ctx.waitUntil; the cron drains
 * the retries and whatever a request could not finish). Every task claims its work in Postgres, so
 * overlapping invocations do not double it. There
 * is no resolver here (Workers have no DNS API): metadata URLs are checked by their IP-literal hosts,
 * and Workers' fetch cannot reach private networks anyway.
 */
export async function scheduledMaintenance(env: WorkerEnv, scheduledTime: number) {
  const ready = prepare(env);
  if (ready.kind !== 'app') {
    console.error(JSON.stringify({ level: 'error', msg: 'invalid Worker configuration', problems: ready.detail }));
    return null;
  }
  const deps = serviceDeps(ready.setup.config, requestDatabase(env as Record<string, unknown>, ready.setup.database), () => new Date());
  const report = await runScheduledMaintenance(deps, new Date(scheduledTime));
  for (const [task, outcome] of Object.entries(report)) {
    if (outcome.ok) {
      if (!ready.setup.silent) console.log(JSON.stringify({ level: 'info', msg: 'scheduled task', task, ...outcome.result }));
    } else {
      console.error(JSON.stringify({ level: 'error', msg: 'scheduled task failed', task, ...loggableError(outcome.error) }));
    }
  }
  return report;
}

export default {
  fetch(request, env, ctx) {
    const ready = prepare(env);
    if (ready.kind !== 'app') return misconfigured(ready);
    return ready.app.fetch(request, env as Record<string, unknown>, ctx);
  },
  scheduled(controller, env, ctx) {
    ctx.waitUntil(scheduledMaintenance(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<WorkerEnv>;
