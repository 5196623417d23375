/** SAML connections, the AuthnRequests we issued, and the replay cache of accepted assertions. */
import { and, eq, gt, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { AnyColumn } from 'drizzle-orm';
import type { Executor } from './db.js';
import { samlConnections, samlReplayCache, samlRequests, sessions } from './schema.js';

export type SamlConnection = typeof samlConnections.$inferSelect;
export type SamlConnectionInput = Omit<typeof samlConnections.$inferInsert, 'updatedAt'>;

export async function findSamlConnection(db: Executor, companyId: string): Promise<SamlConnection | null> {
  const [row] = await db.select().from(samlConnections).where(eq(samlConnections.companyId, companyId)).limit(1);
  return row ?? null;
}

export async function upsertSamlConnection(db: Executor, input: SamlConnectionInput, at: Date): Promise<SamlConnection> {
  const { companyId, ...rest } = input;
  const [row] = await db
    .insert(samlConnections)
    .values({ ...input, updatedAt: at })
    .onConflictDoUpdate({ target: samlConnections.companyId, set: { ...rest, updatedAt: at } })
    .returning();
  return row!;
}

/** Every connection with a sealed SP encryption key: what a re-seal after a SESSION_SECRET rotation walks. */
export async function listSealedSpKeys(db: Executor): Promise<{ companyId: string; sealed: string }[]> {
  const rows = await db
    .select({ companyId: samlConnections.companyId, sealed: samlConnections.spEncryptionKeySealed })
    .from(samlConnections)
    .where(isNotNull(samlConnections.spEncryptionKeySealed))
    .orderBy(samlConnections.companyId);
  return rows.map((row) => ({ companyId: row.companyId, sealed: row.sealed! }));
}

/** Replaces a sealed key only if it is still the one read (a concurrent PUT of a new key wins). */
export async function replaceSealedSpKey(db: Executor, companyId: string, expected: string, sealed: string): Promise<boolean> {
  const rows = await db
    .update(samlConnections)
    .set({ spEncryptionKeySealed: sealed })
    .where(and(eq(samlConnections.companyId, companyId), eq(samlConnections.spEncryptionKeySealed, expected)))
    .returning({ companyId: samlConnections.companyId });
  return rows.length === 1;
}

export async function insertSamlRequest(
  db: Executor,
  request: { id: string; companyId: string; relayState: string | null; browserBinding: string; expiresAt: Date },
): Promise<void> {
  await db.insert(samlRequests).values(request);
}

/**
 * Consumes the AuthnRequest a response claims to answer: it must be ours, for this company, unused
 * and unexpired. One statement, so two responses racing for the same request cannot both win.
 */
export async function consumeSamlRequest(
  db: Executor,
  companyId: string,
  requestId: string,
  now: Date,
): Promise<{ relayState: string | null; browserBinding: string | null } | null> {
  const [row] = await db
    .update(samlRequests)
    .set({ usedAt: now })
    .where(
      and(
        eq(samlRequests.id, requestId),
        eq(samlRequests.companyId, companyId),
        isNull(samlRequests.usedAt),
        gt(samlRequests.expiresAt, now),
      ),
    )
    .returning({ relayState: samlRequests.relayState, browserBinding: samlRequests.browserBinding });
  return row ?? null;
}

/** Deletes up to `max` AuthnRequests past their lifetime, of any company (a bounded sweep, cheap enough to run often). */
export async function sweepSamlRequests(db: Executor, now: Date, max: number): Promise<number> {
  const expired = db
    .select({ companyId: samlRequests.companyId, id: samlRequests.id })
    .from(samlRequests)
    .where(lt(samlRequests.expiresAt, now))
    .limit(max);
  const rows = await db
    .delete(samlRequests)
    .where(inArray(sql`(${samlRequests.companyId}, ${samlRequests.id})`, expired))
    .returning({ id: samlRequests.id });
  return rows.length;
}

/**
 * Records an accepted assertion ID; false when it was seen before (a replay), on any instance:
 * the primary key decides, not process memory.
 */
export async function rememberAssertion(
  db: Executor,
  entry: { companyId: string; assertionId: string; expiresAt: Date },
): Promise<boolean> {
  const rows = await db
    .insert(samlReplayCache)
    .values(entry)
    .onConflictDoNothing()
    .returning({ id: samlReplayCache.assertionId });
  return rows.length === 1;
}

/**
 * Deletes replay-cache entries, AuthnRequests and sessions that can no longer matter; all companies,
 * or one when `companyId` is given.
 */
export async function purgeExpiredSamlState(
  db: Executor,
  now: Date,
  companyId?: string,
): Promise<{ assertions: number; requests: number; sessions: number }> {
  const scoped = <T extends { companyId: AnyColumn; expiresAt: AnyColumn }>(table: T) =>
    companyId === undefined ? lt(table.expiresAt, now) : and(lt(table.expiresAt, now), eq(table.companyId, companyId));
  const assertions = await db.delete(samlReplayCache).where(scoped(samlReplayCache)).returning({ id: samlReplayCache.assertionId });
  const requests = await db.delete(samlRequests).where(scoped(samlRequests)).returning({ id: samlRequests.id });
  const ended = await db.delete(sessions).where(scoped(sessions)).returning({ id: sessions.id });
  return { assertions: assertions.length, requests: requests.length, sessions: ended.length };
}
