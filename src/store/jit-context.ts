/**
 * Everything the JIT rules read about one person, in one statement: on every sign-in, inside its
 * transaction, right after the directory lock. It was seven statements sent together; each costs a
 * socket write, a driver round and drizzle's rendering, which on one core weighed more than the
 * whole signature check. The conditions are those of the single-purpose lookups (findJitSettings,
 * findUserByEmail, domainHasConfirmedUser, findDomainException, hasActiveScimToken,
 * findDirectoryUserByEmail, isDeletedFromDirectory), which the other callers keep;
 * test/store/jit-context.test.ts holds the two ways together.
 */
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from './db.js';
import { matchesIdentity } from './directory.js';
import { companies, directoryUserDeletions, directoryUsers, domainExceptions, jitSettings, scimTokens, users } from './schema.js';

export type JitContextRow = Awaited<ReturnType<typeof readJitContextRow>>;

const confirmed = alias(users, 'confirmed');

/** `email`: the normalised address and its domain, and the directory's forms of it (empty: no email). */
export async function readJitContextRow(
  db: Executor,
  companyId: string,
  email: { normalised: string; domain: string } | null,
  directoryForms: string[],
) {
  const noEmail = sql<boolean>`false`;
  const entry = () => db
    .select({ value: sql<string>`json_build_object('id', ${directoryUsers.id}, 'active', ${directoryUsers.active})::text` })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.companyId, companyId), matchesIdentity(directoryUsers, directoryForms)))
    .orderBy(desc(inArray(directoryUsers.userNameLower, directoryForms)), asc(directoryUsers.seq))
    .limit(1);
  const [row] = await db
    .select({
      settings: jitSettings,
      user: users,
      exception: domainExceptions,
      domainHasUser: email
        ? sql<boolean>`exists(${db
            .select({ one: sql`1` })
            .from(confirmed)
            .where(
              and(
                eq(confirmed.companyId, companyId),
                eq(confirmed.emailDomain, email.domain),
                eq(confirmed.status, 'active'),
                sql`${confirmed.confirmedAt} is not null`,
                eq(confirmed.isImpersonation, false),
              ),
            )})`
        : noEmail,
      syncEnabled: sql<boolean>`exists(${db
        .select({ one: sql`1` })
        .from(scimTokens)
        .where(and(eq(scimTokens.companyId, companyId), isNull(scimTokens.revokedAt)))})`,
      entry: directoryForms.length > 0 ? sql<string | null>`(${entry()})` : sql<string | null>`null`,
      deleted:
        directoryForms.length > 0
          ? sql<boolean>`exists(${db
              .select({ one: sql`1` })
              .from(directoryUserDeletions)
              .where(and(eq(directoryUserDeletions.companyId, companyId), matchesIdentity(directoryUserDeletions, directoryForms)))})`
          : noEmail,
    })
    .from(companies)
    .leftJoin(jitSettings, eq(jitSettings.companyId, companies.id))
    .leftJoin(users, email ? and(eq(users.companyId, companies.id), eq(users.emailNormalized, email.normalised)) : noEmail)
    .leftJoin(domainExceptions, email ? and(eq(domainExceptions.companyId, companies.id), eq(domainExceptions.domain, email.domain)) : noEmail)
    .where(eq(companies.id, companyId))
    .limit(1);
  if (!row) return null;
  const parsed = row.entry === null ? null : (JSON.parse(row.entry) as { id: string; active: boolean });
  return { ...row, domainHasUser: toBool(row.domainHasUser), syncEnabled: toBool(row.syncEnabled), deleted: toBool(row.deleted), entry: parsed };
}

/** postgres.js with fetch_types off may hand a boolean back as 't'/'f' text from a raw expression. */
function toBool(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}
