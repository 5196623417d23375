/**
 * The provider's short-lived state: authorization requests waiting for a SAML sign-in, codes and
 * access tokens. Codes and tokens are stored as SHA-256 only; every "use once" is one conditional
 * UPDATE, so two instances racing on the same code cannot both win.
 */
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from './db.js';
import { domainExceptions, oidcAccessTokens, oidcAuthorizations, oidcCodes, users } from './schema.js';

export type Authorization = typeof oidcAuthorizations.$inferSelect;
export type Code = typeof oidcCodes.$inferSelect;
export type AccessToken = typeof oidcAccessTokens.$inferSelect;

export async function insertAuthorization(db: Executor, row: Omit<typeof oidcAuthorizations.$inferInsert, 'createdAt' | 'usedAt'>): Promise<Authorization> {
  const [inserted] = await db.insert(oidcAuthorizations).values(row).returning();
  return inserted!;
}

/** A pending (unused, unexpired) authorization by id. */
export async function findPendingAuthorization(db: Executor, id: string, now: Date): Promise<Authorization | null> {
  if (!/^az_[0-9a-z]{16}$/.test(id)) return null;
  const [row] = await db
    .select()
    .from(oidcAuthorizations)
    .where(and(eq(oidcAuthorizations.id, id), isNull(oidcAuthorizations.usedAt), gt(oidcAuthorizations.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

/** The newest pending authorization of this browser (binding hash) for a company, if any. */
export async function findPendingAuthorizationFor(db: Executor, companyId: string, browserBindingHash: string, now: Date): Promise<Authorization | null> {
  const [row] = await db
    .select()
    .from(oidcAuthorizations)
    .where(
      and(
        eq(oidcAuthorizations.companyId, companyId),
        eq(oidcAuthorizations.browserBinding, browserBindingHash),
        isNull(oidcAuthorizations.usedAt),
        gt(oidcAuthorizations.expiresAt, now),
      ),
    )
    .orderBy(desc(oidcAuthorizations.createdAt))
    .limit(1);
  return row ?? null;
}

/** Marks an authorization used; false when another request used it first. */
export async function useAuthorization(db: Executor, id: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(oidcAuthorizations)
    .set({ usedAt: now })
    .where(and(eq(oidcAuthorizations.id, id), isNull(oidcAuthorizations.usedAt)))
    .returning({ id: oidcAuthorizations.id });
  return rows.length > 0;
}

export async function insertCode(db: Executor, row: Omit<typeof oidcCodes.$inferInsert, 'createdAt' | 'usedAt'>): Promise<void> {
  await db.insert(oidcCodes).values(row);
}

/**
 * Redeems a code: the row when this call is the first to use it; `{reused}` when it was used before
 * (the caller revokes what that first use issued); null when no such code exists.
 */
export async function redeemCode(db: Executor, codeHash: string, now: Date): Promise<{ code: Code } | { reused: Code } | null> {
  const [claimed] = await db
    .update(oidcCodes)
    .set({ usedAt: now })
    .where(and(eq(oidcCodes.codeHash, codeHash), isNull(oidcCodes.usedAt)))
    .returning();
  if (claimed) return { code: claimed };
  const [existing] = await db.select().from(oidcCodes).where(eq(oidcCodes.codeHash, codeHash)).limit(1);
  return existing ? { reused: existing } : null;
}

export async function insertAccessToken(db: Executor, row: Omit<typeof oidcAccessTokens.$inferInsert, 'createdAt' | 'revokedAt'>): Promise<void> {
  await db.insert(oidcAccessTokens).values(row);
}

/** Revokes every access token issued for a code (its reuse); returns how many were live. */
export async function revokeTokensOfCode(db: Executor, codeHash: string, now: Date): Promise<number> {
  const rows = await db
    .update(oidcAccessTokens)
    .set({ revokedAt: now })
    .where(and(eq(oidcAccessTokens.codeHash, codeHash), isNull(oidcAccessTokens.revokedAt)))
    .returning({ h: oidcAccessTokens.tokenHash });
  return rows.length;
}

/** A live (unrevoked, unexpired) access token by hash. */
export async function findLiveAccessToken(db: Executor, tokenHash: string, now: Date): Promise<AccessToken | null> {
  const [row] = await db
    .select()
    .from(oidcAccessTokens)
    .where(and(eq(oidcAccessTokens.tokenHash, tokenHash), isNull(oidcAccessTokens.revokedAt), gt(oidcAccessTokens.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

/**
 * The companies an email may belong to, by the facts the JIT rules read: a company where the address
 * is already a user, where its domain has a confirmed, active, non-impersonation user, or where support
 * granted the domain an exception. Distinct company ids, at most `limit`.
 */
export async function companiesForEmail(db: Executor, emailNormalized: string, domain: string, limit = 5): Promise<string[]> {
  const byUser = db
    .selectDistinct({ companyId: users.companyId })
    .from(users)
    .where(
      or(
        eq(users.emailNormalized, emailNormalized),
        and(eq(users.emailDomain, domain), eq(users.status, 'active'), sql`${users.confirmedAt} is not null`, eq(users.isImpersonation, false)),
      ),
    );
  const byException = db.selectDistinct({ companyId: domainExceptions.companyId }).from(domainExceptions).where(eq(domainExceptions.domain, domain));
  const rows = await byUser.union(byException).limit(limit);
  return rows.map((r) => r.companyId);
}

/** Deletes a bounded batch of expired authorizations, codes and access tokens; how many of each. */
export async function purgeExpiredOidcState(db: Executor, now: Date, batch = 500): Promise<{ authorizations: number; codes: number; accessTokens: number }> {
  const authorizations = await db
    .delete(oidcAuthorizations)
    .where(sql`${oidcAuthorizations.id} in (${db.select({ k: oidcAuthorizations.id }).from(oidcAuthorizations).where(lt(oidcAuthorizations.expiresAt, now)).limit(batch)})`)
    .returning({ k: oidcAuthorizations.id });
  const codes = await db
    .delete(oidcCodes)
    .where(sql`${oidcCodes.codeHash} in (${db.select({ k: oidcCodes.codeHash }).from(oidcCodes).where(lt(oidcCodes.expiresAt, now)).limit(batch)})`)
    .returning({ k: oidcCodes.codeHash });
  const accessTokens = await db
    .delete(oidcAccessTokens)
    .where(
      sql`${oidcAccessTokens.tokenHash} in (${db.select({ k: oidcAccessTokens.tokenHash }).from(oidcAccessTokens).where(lt(oidcAccessTokens.expiresAt, now)).limit(batch)})`,
    )
    .returning({ k: oidcAccessTokens.tokenHash });
  return { authorizations: authorizations.length, codes: codes.length, accessTokens: accessTokens.length };
}
