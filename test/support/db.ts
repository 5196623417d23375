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
