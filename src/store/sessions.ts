/**
 * Server-side sessions: created at sign-in, looked up by token hash, revocable one by one or per user.
 * Every revocation queues, in its own transaction, the back-channel logouts owed to the applications
 * that received tokens for the sessions it ended (src/store/backchannel.ts).
 */
import { and, eq, gt, inArray, isNull } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { queueBackchannelLogouts } from './backchannel.js';
import type { Executor } from './db.js';
import { appendEvents } from './events.js';
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

/** The live session (unexpired, unrevoked) matching `key`, with its user. */
async function findLive(db: Executor, key: SQL, now: Date): Promise<{ session: Session; user: User } | null> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, and(eq(users.companyId, sessions.companyId), eq(users.id, sessions.userId)))
    .where(and(key, isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

/** The live session for a token hash with its user, or null when unknown, expired or revoked. */
export function findLiveSession(db: Executor, tokenHash: string, now: Date): Promise<{ session: Session; user: User } | null> {
  return findLive(db, eq(sessions.tokenHash, tokenHash), now);
}

/** The live session with this id (what a code or an access token names) with its user, or null. */
export function findLiveSessionById(db: Executor, sessionId: string, now: Date): Promise<{ session: Session; user: User } | null> {
  return findLive(db, eq(sessions.id, sessionId), now);
}

/** Runs `work` in the caller's transaction when there is one (no savepoint round trips), else in a new one. */
function inTransaction<T>(db: Executor, work: (tx: Executor) => Promise<T>): Promise<T> {
  return db instanceof PgTransaction ? work(db) : db.transaction(work);
}

/**
 * Revokes the live sessions `where` selects, queues their back-channel logouts and appends their
 * `session.revoked` events, atomically: in the
 * caller's transaction or in one of its own. Returns the ended sessions.
 */
async function revokeWhere(db: Executor, where: SQL | undefined, now: Date): Promise<{ id: string; companyId: string; userId: string }[]> {
  return inTransaction(db, async (tx) => {
    const ended = await tx
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(where, isNull(sessions.revokedAt)))
      .returning({ id: sessions.id, companyId: sessions.companyId, userId: sessions.userId });
    if (ended.length > 0) {
      await queueBackchannelLogouts(tx, ended, now);
      await appendEvents(
        tx,
        ended.map((e) => ({ type: 'session.revoked' as const, companyId: e.companyId, data: { sessionId: e.id, userId: e.userId } })),
      );
    }
    return ended;
  });
}

/** Revokes one session; false when it was already revoked (so a racing second revocation is not audited twice). */
export async function revokeSession(db: Executor, sessionId: string, now: Date): Promise<boolean> {
  return (await revokeWhere(db, eq(sessions.id, sessionId), now)).length > 0;
}

/** Revokes every live session of a user (suspension, deprovisioning); returns how many. */
export async function revokeUserSessions(db: Executor, companyId: string, userId: string, now: Date): Promise<number> {
  return (await revokeWhere(db, and(eq(sessions.companyId, companyId), eq(sessions.userId, userId)), now)).length;
}

/** Revokes every live session a SAML connection signed in (the connection is being removed); returns how many. */
export async function revokeConnectionSessions(db: Executor, companyId: string, connectionId: string, now: Date): Promise<number> {
  return (await revokeWhere(db, and(eq(sessions.companyId, companyId), eq(sessions.connectionId, connectionId)), now)).length;
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
  const ended = await revokeWhere(
    db,
    and(
      eq(sessions.companyId, target.companyId),
      eq(sessions.connectionId, target.connectionId),
      eq(sessions.nameId, target.nameId),
      gt(sessions.expiresAt, now),
      target.sessionIndexes.length > 0 ? inArray(sessions.sessionIndex, [...target.sessionIndexes]) : undefined,
    ),
    now,
  );
  return ended.map(({ id, userId }) => ({ id, userId }));
}
