/** postgres.js behind drizzle: used on Node when DATABASE_URL is set and by the Worker through Hyperdrive. */
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { DatabaseHandle } from './db.js';
import { DatabaseUnavailableError } from './errors.js';
import { schema } from './schema.js';

// Any constant works; it only has to be the same for every instance of this app.
const MIGRATION_LOCK_KEY = 0x5a4d4c;

export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
export const DEFAULT_STATEMENT_TIMEOUT_SECONDS = 10;
/**
 * How much longer than statement_timeout the client waits: the server's own cancel (57014, which also
 * frees its backend) should win; the client's deadline is for a server that cannot answer at all.
 */
const CLIENT_GRACE_MS = 1000;

export interface PostgresOptions {
  max?: number;
  /** false in Workers: the runtime closes sockets itself and end() leaves a rejected promise behind. */
  closeOnEnd?: boolean;
  /** How long opening a connection (TCP and PostgreSQL start-up) may take; default 5 s. */
  connectTimeoutSeconds?: number;
  /**
   * How long one statement may run: the server cancels it (statement_timeout), and the client gives up
   * on any query, connection wait included, a second later, so a frozen server cannot hang a request.
   */
  statementTimeoutSeconds?: number;
}

type Sql = postgres.Sql;

function timedOut(ms: number): DatabaseUnavailableError {
  return new DatabaseUnavailableError(`The database did not answer within ${ms / 1000} s`);
}

/** `work`, or a DatabaseUnavailableError once `ms` have passed; the timer never outlives the race. */
function withDeadline<T>(work: PromiseLike<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * A postgres.js query whose await is bounded. postgres.js has no client-side query timeout, hence this
 * hand-written wrapper. The query is lazy (it runs when awaited), so the deadline starts with the await;
 * `.values()` (drizzle's array mode) returns the same query, so it returns this wrapper again.
 */
function boundQuery<Q extends PromiseLike<unknown>>(query: Q, ms: number): Q {
  const bounded: Q = new Proxy(query, {
    get(target, property) {
      if (property === 'then' || property === 'catch' || property === 'finally') {
        const settled = withDeadline(target, ms);
        return (settled[property] as (...args: unknown[]) => unknown).bind(settled);
      }
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'values' || property === 'raw') {
        return (...args: unknown[]) => {
          (value as (...a: unknown[]) => unknown).apply(target, args);
          return bounded;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return bounded;
}

/**
 * begin()/savepoint() with the same bound on what the driver sends around the callback: BEGIN (and the
 * wait for a connection) before it, COMMIT or ROLLBACK after it. The callback itself is not bounded (a
 * large group push may run many statements), but each of its queries is. A BEGIN that is answered only
 * after the caller was told the database is unavailable (a frozen server that wakes up) rolls back
 * instead of running the callback: a request answered 503 must not be carried out later.
 */
function boundScope(target: Sql, method: 'begin' | 'savepoint', args: unknown[], ms: number): Promise<unknown> {
  const callback = args.pop() as (inner: Sql) => unknown;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired = false;
  let fail!: (error: Error) => void;
  const deadline = new Promise<never>((_, reject) => (fail = reject));
  const arm = () =>
    (timer = setTimeout(() => {
      expired = true;
      fail(timedOut(ms));
    }, ms));
  const disarm = () => clearTimeout(timer);
  arm();
  // savepoint() exists only on a transaction's client, which the Sql type does not say.
  const start = (target as unknown as Record<typeof method, (...a: unknown[]) => Promise<unknown>>)[method];
  const run = start.call(target, ...args, async (inner: Sql) => {
    if (expired) throw timedOut(ms);
    disarm();
    try {
      return await callback(boundClient(inner, ms));
    } finally {
      arm();
    }
  });
  return Promise.race([run, deadline]).finally(disarm);
}

/** The client drizzle is given: every query and transaction it starts ends within `ms`. */
function boundClient(client: Sql, ms: number): Sql {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'unsafe') {
        return (...args: Parameters<Sql['unsafe']>) => boundQuery(target.unsafe(...args), ms);
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => boundScope(target, property, args, ms);
      }
      return Reflect.get(target, property, target);
    },
  });
}

export function openPostgres(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const connectTimeout = options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS;
  const statementTimeoutMs = (options.statementTimeoutSeconds ?? DEFAULT_STATEMENT_TIMEOUT_SECONDS) * 1000;
  const client = postgres(url, {
    max: options.max ?? 10,
    fetch_types: false,
    onnotice: () => {},
    connect_timeout: connectTimeout,
    // Start-up parameters: the server itself cancels a statement that runs too long (57014).
    connection: { application_name: 'saml-scim-bridge', statement_timeout: statementTimeoutMs },
  });
  const db = drizzle(boundClient(client, statementTimeoutMs + CLIENT_GRACE_MS), { schema });
  return {
    db,
    kind: 'postgres',
    async migrate(migrationsFolder) {
      // drizzle's migrator takes no lock of its own: serialise instances that start together with a
      // session advisory lock, on a one-connection client so the lock and the migration share a session.
      // No statement timeout here: a migration may be long, and the lock waits for another instance.
      const single = postgres(url, { max: 1, fetch_types: false, onnotice: () => {}, connect_timeout: connectTimeout });
      const migrationDb = drizzle(single, { schema });
      try {
        await migrationDb.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
        await migrate(migrationDb, { migrationsFolder });
        await migrationDb.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      } finally {
        await single.end({ timeout: 5 });
      }
    },
    async close() {
      if (options.closeOnEnd !== false) await client.end({ timeout: 5 });
    },
  };
}
