/** Server-side sessions: created at sign-in, looked up by token hash, revocable one by one or per user. */
import { and, eq, gt, inArray, isNull } from 'drizzle-orm';
import type { Executor } from './db.js';
import { sessions, users } from './schema.js';
import type { User } from './users.js';

export type Session = typeof sessions.$inferSelect;

export async function insertSession(
  db: Executor,
  session: Omit<typeof sessions.$inferInsert, 'createdAt' | 'revokedAt'>,
): Promise<Session> {
  const [row] = await db.insert(sessions).values(session).returning();
  return row!;
}

/** The live session for a token hash with its user, or null when unknown, expired or revoked. */
export async function findLiveSession(
  db: Executor,
  tokenHash: string,
  now: Date,
): Promise<{ session: Session; user: User } | null> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, and(eq(users.companyId, sessions.companyId), eq(users.id, sessions.userId)))
    .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

/** Revokes one session; false when it was already revoked (so a racing second revocation is not audited twice). */
export async function revokeSession(db: Executor, sessionId: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/** Revokes every live session of a user (suspension, deprovisioning); returns how many. */
export async function revokeUserSessions(db: Executor, companyId: string, userId: string, now: Date): Promise<number> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.companyId, companyId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length;
}

/** Revokes every live session a SAML connection signed in (the connection is being removed); returns how many. */
export async function revokeConnectionSessions(db: Executor, companyId: string, connectionId: string, now: Date): Promise<number> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.companyId, companyId), eq(sessions.connectionId, connectionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length;
}

/**
 * Single Logout: revokes the live sessions a connection signed in for this NameID, only those of the
 * named SessionIndexes when the IdP names any; returns the revoked sessions (id and user).
 */
export async function revokeSamlSessions(
  db: Executor,
  target: { companyId: string; connectionId: string; nameId: string; sessionIndexes: readonly string[] },
  now: Date,
): Promise<{ id: string; userId: string }[]> {
  return db
    .update(sessions)
    .set({ revokedAt: now })
    .where(
      and(
        eq(sessions.companyId, target.companyId),
        eq(sessions.connectionId, target.connectionId),
        eq(sessions.nameId, target.nameId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        target.sessionIndexes.length > 0 ? inArray(sessions.sessionIndex, [...target.sessionIndexes]) : undefined,
      ),
    )
    .returning({ id: sessions.id, userId: sessions.userId });
}
