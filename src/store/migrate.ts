/** Applies the generated migrations in `drizzle/` to a database handle (Node only: reads the folder). */
import { fileURLToPath } from 'node:url';
import type { DatabaseHandle } from './db.js';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  await handle.migrate(migrationsFolder);
}
