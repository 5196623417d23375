/** Company API keys and support domain exceptions. */
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Executor } from './db.js';
import { apiKeys, domainExceptions } from './schema.js';

export type ApiKey = typeof apiKeys.$inferSelect;
export type DomainException = typeof domainExceptions.$inferSelect;

export async function insertApiKey(
  db: Executor,
  key: { id: string; companyId: string; secretHash: string; label: string | null },
): Promise<ApiKey> {
  const [row] = await db.insert(apiKeys).values(key).returning();
  return row!;
}

/** An unrevoked key by id; the caller compares the secret hash in constant time. */
export async function findActiveApiKey(db: Executor, keyId: string): Promise<ApiKey | null> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row ?? null;
}

export async function listApiKeys(db: Executor, companyId: string): Promise<ApiKey[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.companyId, companyId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

export async function revokeApiKey(db: Executor, companyId: string, keyId: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.companyId, companyId), eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length === 1;
}

export async function insertDomainException(
  db: Executor,
  exception: { id: string; companyId: string; domain: string; reason: string; grantedBy: string },
): Promise<DomainException> {
  const [row] = await db.insert(domainExceptions).values(exception).returning();
  return row!;
}

export async function findDomainException(
  db: Executor,
  companyId: string,
  domain: string,
): Promise<DomainException | null> {
  const [row] = await db
    .select()
    .from(domainExceptions)
    .where(and(eq(domainExceptions.companyId, companyId), eq(domainExceptions.domain, domain)))
    .limit(1);
  return row ?? null;
}

export async function listDomainExceptions(db: Executor, companyId: string): Promise<DomainException[]> {
  return db
    .select()
    .from(domainExceptions)
    .where(eq(domainExceptions.companyId, companyId))
    .orderBy(asc(domainExceptions.domain));
}

/** Deletes and returns the exception, or null when there was none. */
export async function deleteDomainException(
  db: Executor,
  companyId: string,
  domain: string,
): Promise<DomainException | null> {
  const [row] = await db
    .delete(domainExceptions)
    .where(and(eq(domainExceptions.companyId, companyId), eq(domainExceptions.domain, domain)))
    .returning();
  return row ?? null;
}
