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
      // drizzle's migrator takes no lock of its own: serialise instances that start together.
      await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
        await migrate(tx as unknown as typeof db, { migrationsFolder });
      });
    },
    async close() {
      if (options.closeOnEnd !== false) await client.end({ timeout: 5 });
    },
  };
}
