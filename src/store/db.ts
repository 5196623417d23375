/**
 * The database handle every query is written against. PGlite and postgres.js both satisfy it, so the
 * same queries serve the embedded default and a real PostgreSQL server.
 */
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { schema } from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A transaction handle has the same query surface as the database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Either a database or an open transaction: store functions accept both. */
export type Executor = Db | Tx;

export interface DatabaseHandle {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /** Applies the drizzle migrations in `drizzle/` (idempotent, safe with many instances starting at once). */
  migrate(migrationsFolder: string): Promise<void>;
  close(): Promise<void>;
}

/** The cheapest round trip: resolves when the database answers, rejects when it refuses. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
