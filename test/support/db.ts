/**
 * Databases for tests. HTTP and service tests use Postgres when DATABASE_URL is set (migrated once by
 * the global setup) and an in-memory PGlite otherwise; the store contract suite asks for each by name.
 * Tests never share a company, so they need no cleanup and can run in parallel on one database.
 */
import type { DatabaseHandle } from '../../src/store/db.js';
import { migrateDatabase } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres.js';

export type Backend = 'pglite' | 'postgres';

/** The backends available in this run: PGlite always, Postgres when DATABASE_URL is set. */
export const availableBackends: Backend[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** The backend HTTP tests run on. */
export const defaultBackend: Backend = process.env.DATABASE_URL ? 'postgres' : 'pglite';

export async function openTestDatabase(backend: Backend = defaultBackend): Promise<DatabaseHandle> {
  if (backend === 'postgres') {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set');
    return openPostgres(url, { max: 4 });
  }
  const { openPglite } = await import('../../src/store/pglite.js');
  const handle = await openPglite();
  await migrateDatabase(handle);
  return handle;
}

/**
 * A database of its own, for a test file that changes what is global to every company (the default
 * OIDC application decides where every IdP-initiated sign-in goes): a fresh in-memory PGlite, or on
 * Postgres a new database beside DATABASE_URL's, migrated, and dropped at close.
 */
export async function openIsolatedTestDatabase(backend: Backend = defaultBackend): Promise<DatabaseHandle> {
  if (backend === 'pglite') return openTestDatabase('pglite');
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const own = await databaseBeside(url, 'iso');
  const handle = openPostgres(own.url, { max: 4 });
  try {
    await migrateDatabase(handle);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return {
    ...handle,
    db: handle.db,
    kind: handle.kind,
    migrate: (folder) => handle.migrate(folder),
    async close() {
      await handle.close();
      await own.drop();
    },
  };
}

/**
 * A new, empty PostgreSQL database beside `url`'s (same server), named after `tag` and unique to this
 * run: for a test whose endpoints or global settings must not meet other files'. `drop` removes it,
 * whatever is still connected to it.
 */
export async function databaseBeside(url: string, tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: postgres } = await import('postgres');
  const name = `${new URL(url).pathname.slice(1) || 'bridge'}_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    url: own.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
