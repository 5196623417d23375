/** Runs once before the suite: migrates the shared Postgres database when DATABASE_URL is set. */
export default async function setup(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) return;
  const { openPostgres } = await import('../../src/store/postgres.js');
  const { migrateDatabase } = await import('../../src/store/migrate.js');
  const handle = openPostgres(url, { max: 1 });
  try {
    await migrateDatabase(handle);
  } finally {
    await handle.close();
  }
}
