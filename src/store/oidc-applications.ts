/**
 * OIDC applications (clients): looked up by client_id, the default one, client authentication, and the
 * operator's writes (create, change, secrets, delete).
 */
import { and, asc, eq, ne } from 'drizzle-orm';
import { secretMatchesHash } from '../crypto.js';
import type { Executor } from './db.js';
import { oidcApplications } from './schema.js';
import type { ClientSecretEntry } from './schema-oidc.js';

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

export type NewApplication = typeof oidcApplications.$inferInsert;
/** The columns an operator may change (secrets have their own functions). */
export type ApplicationChanges = Partial<
  Pick<Application, 'name' | 'redirectUris' | 'postLogoutRedirectUris' | 'initiateLoginUri' | 'backchannelLogoutUri' | 'isDefault'>
>;

export async function insertApplication(db: Executor, row: NewApplication): Promise<Application> {
  const [inserted] = await db.insert(oidcApplications).values(row).returning();
  return inserted!;
}

/** Every application, oldest first (there are a handful: one per SaaS product). */
export async function listApplications(db: Executor): Promise<Application[]> {
  return db.select().from(oidcApplications).orderBy(asc(oidcApplications.createdAt), asc(oidcApplications.id));
}

/**
 * The application, its row locked until the transaction ends: concurrent secret changes on one
 * application then run one after the other instead of overwriting each other's secrets list.
 */
export async function lockApplication(tx: Executor, id: string): Promise<Application | null> {
  if (!CLIENT_ID.test(id)) return null;
  const [row] = await tx.select().from(oidcApplications).where(eq(oidcApplications.id, id)).for('update');
  return row ?? null;
}

/** Applies `changes` (and `updatedAt`); null when there is no such application. */
export async function updateApplication(db: Executor, id: string, changes: ApplicationChanges & { secrets?: ClientSecretEntry[] }, at: Date) {
  if (!CLIENT_ID.test(id)) return null;
  const [row] = await db
    .update(oidcApplications)
    .set({ ...changes, updatedAt: at })
    .where(eq(oidcApplications.id, id))
    .returning();
  return row ?? null;
}

/** Takes the default mark off every application but `keepId`: the ids it was taken from. */
export async function clearDefaultExcept(db: Executor, keepId: string, at: Date): Promise<string[]> {
  const rows = await db
    .update(oidcApplications)
    .set({ isDefault: false, updatedAt: at })
    .where(and(eq(oidcApplications.isDefault, true), ne(oidcApplications.id, keepId)))
    .returning({ id: oidcApplications.id });
  return rows.map((r) => r.id);
}

/** Deletes the application (its codes, tokens and pending deliveries cascade); null when there was none. */
export async function deleteApplication(db: Executor, id: string): Promise<Application | null> {
  if (!CLIENT_ID.test(id)) return null;
  const [row] = await db.delete(oidcApplications).where(eq(oidcApplications.id, id)).returning();
  return row ?? null;
}
