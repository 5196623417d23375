/** Applies the generated migrations in `drizzle/` to a database handle (Node only: reads the folder). */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DatabaseHandle } from './db.js';

/**
 * `drizzle/` beside the built bundle (`dist/drizzle`, copied by `npm run build`), else the source
 * tree's (`src/store/../../drizzle`), so the server finds it from any working directory.
 */
export const migrationsFolder = [new URL('./drizzle', import.meta.url), new URL('../../drizzle', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(`${dir}/meta/_journal.json`)) ?? fileURLToPath(new URL('../../drizzle', import.meta.url));

export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  await handle.migrate(migrationsFolder);
}
