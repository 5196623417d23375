/** postgres.js behind drizzle: used on Node when DATABASE_URL is set and by the Worker through Hyperdrive. */
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { DatabaseHandle } from './db.js';
import { schema } from './schema.js';

// Any constant works; it only has to be the same for every instance of this app.
const MIGRATION_LOCK_KEY = 0x5a4d4c;

export interface PostgresOptions {
  max?: number;
  /** false in Workers: the runtime closes sockets itself and end() leaves a rejected promise behind. */
  closeOnEnd?: boolean;
}

export function openPostgres(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const client = postgres(url, {
    max: options.max ?? 10,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: 'saml-scim-bridge' },
  });
  const db = drizzle(client, { schema });
  return {
    db,
    kind: 'postgres',
    async migrate(migrationsFolder) {
      // drizzle's migrator takes no lock of its own: serialise instances that start together with a
      // session advisory lock, on a one-connection client so the lock and the migration share a session.
      const single = postgres(url, { max: 1, fetch_types: false, onnotice: () => {} });
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
