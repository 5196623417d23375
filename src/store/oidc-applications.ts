/** OIDC applications (clients): looked up by client_id, the default one, and client authentication. */
import { eq } from 'drizzle-orm';
import { secretMatchesHash } from '../crypto.js';
import type { Executor } from './db.js';
import { oidcApplications } from './schema.js';

export type Application = typeof oidcApplications.$inferSelect;

const CLIENT_ID = /^app_[0-9a-z]{16}$/;

export async function findApplication(db: Executor, clientId: string): Promise<Application | null> {
  if (!CLIENT_ID.test(clientId)) return null;
  const [row] = await db.select().from(oidcApplications).where(eq(oidcApplications.id, clientId)).limit(1);
  return row ?? null;
}

/** The application IdP-initiated sign-ins go to, if one is marked default. */
export async function findDefaultApplication(db: Executor): Promise<Application | null> {
  const [row] = await db.select().from(oidcApplications).where(eq(oidcApplications.isDefault, true)).limit(1);
  return row ?? null;
}

/**
 * Client authentication (client_secret_basic / client_secret_post): the application when `secret`
 * matches one of its secrets (two during a rotation), else null. Every stored hash is compared in
 * constant time, and an unknown client costs the same hashing as a wrong secret.
 */
export async function authenticateApplication(db: Executor, clientId: string, secret: string): Promise<Application | null> {
  const app = secret.length <= 200 ? await findApplication(db, clientId) : null;
  const hashes = app?.secrets.map((s) => s.hash) ?? ['0'.repeat(64)];
  let matched = false;
  for (const hash of hashes) matched = secretMatchesHash(secret, hash) || matched;
  return app && matched ? app : null;
}
