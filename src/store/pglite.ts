/** The embedded default: PGlite in DATA_DIR (or in memory for tests). Node only: never imported by the Worker. */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { DatabaseHandle } from './db.js';
import { schema } from './schema.js';

/** Opens PGlite at `dataDir` (created when missing), or in memory when `dataDir` is undefined. */
export async function openPglite(dataDir?: string, options: { loadDataDir?: Blob } = {}): Promise<DatabaseHandle> {
  const client = await PGlite.create(dataDir, options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
  const db = drizzle(client, { schema });
  return {
    db,
    kind: 'pglite',
    async migrate(migrationsFolder) {
      // One process owns a PGlite directory, so no cross-instance lock is needed here.
      await migrate(db, { migrationsFolder });
    },
    async close() {
      await client.close();
    },
  };
}
