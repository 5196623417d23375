/**
 * Back-channel logout state: which application received tokens for which session, and the outbox of
 * logout notifications owed (`backchannel_deliveries`). Rows are queued in the transaction that ends
 * the session, claimed by one sender at a time (SKIP LOCKED plus a claim deadline, so two instances
 * never POST one row at once), and settled only by the sender whose claim is still the row's.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or } from 'drizzle-orm';
import { newId } from '../crypto.js';
import type { Executor } from './db.js';
import { backchannelDeliveries, oidcApplications, oidcSessionApplications } from './schema.js';

export type BackchannelDelivery = typeof backchannelDeliveries.$inferSelect;

/** A row's next attempt once its sender gave up: never due again, kept (for the sweep) as a record. */
export const GAVE_UP = new Date('9999-12-31T00:00:00Z');

/** Sessions per statement when queueing: a connection removal may end thousands at once. */
const QUEUE_CHUNK = 500;

/** Records that `applicationId` received tokens for `sessionId` (the token endpoint); idempotent. */
export async function rememberSessionApplication(db: Executor, sessionId: string, applicationId: string): Promise<void> {
  await db.insert(oidcSessionApplications).values({ sessionId, applicationId }).onConflictDoNothing();
}

/**
 * Queues one delivery per (ended session, application with a back-channel URI that received tokens
 * for it). Call it in the transaction that revokes the sessions: the notification then exists exactly
 * when the revocation does. A session already queued for an application is not queued twice.
 */
export async function queueBackchannelLogouts(
  db: Executor,
  ended: readonly { id: string; companyId: string; userId: string }[],
  now: Date,
): Promise<number> {
  let queued = 0;
  for (let start = 0; start < ended.length; start += QUEUE_CHUNK) {
    const chunk = ended.slice(start, start + QUEUE_CHUNK);
    const bySession = new Map(chunk.map((s) => [s.id, s]));
    const pairs = await db
      .select({ sessionId: oidcSessionApplications.sessionId, applicationId: oidcSessionApplications.applicationId })
      .from(oidcSessionApplications)
      .innerJoin(oidcApplications, eq(oidcApplications.id, oidcSessionApplications.applicationId))
      .where(and(inArray(oidcSessionApplications.sessionId, [...bySession.keys()]), isNotNull(oidcApplications.backchannelLogoutUri)));
    if (pairs.length === 0) continue;
    const rows = await db
      .insert(backchannelDeliveries)
      .values(
        pairs.map((p) => {
          const session = bySession.get(p.sessionId)!;
          // Both times from the caller's clock, not the database's: give-up and sweep ages are measured on it.
          return { id: newId('bcl'), applicationId: p.applicationId, sessionId: p.sessionId, companyId: session.companyId, userId: session.userId, nextAttemptAt: now, createdAt: now };
        }),
      )
      .onConflictDoNothing()
      .returning({ id: backchannelDeliveries.id });
    queued += rows.length;
  }
  return queued;
}

const isDue = (now: Date) =>
  and(
    isNull(backchannelDeliveries.deliveredAt),
    lte(backchannelDeliveries.nextAttemptAt, now),
    or(isNull(backchannelDeliveries.claimedUntil), lt(backchannelDeliveries.claimedUntil, now)),
  );

/** Whether any delivery is due now: one indexed probe, cheap enough to run after every write request. */
export async function hasDueBackchannelLogouts(db: Executor, now: Date): Promise<boolean> {
  const [row] = await db.select({ id: backchannelDeliveries.id }).from(backchannelDeliveries).where(isDue(now)).limit(1);
  return row !== undefined;
}

/**
 * Claims up to `limit` due deliveries until `claimUntil`, in one statement (rows another sender is
 * claiming right now are skipped, and a claimed row is not due to anyone else until its claim lapses).
 */
export async function claimDueBackchannelLogouts(db: Executor, now: Date, claimUntil: Date, limit: number): Promise<BackchannelDelivery[]> {
  const due = db
    .select({ id: backchannelDeliveries.id })
    .from(backchannelDeliveries)
    .where(isDue(now))
    .orderBy(asc(backchannelDeliveries.nextAttemptAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return db.update(backchannelDeliveries).set({ claimedUntil: claimUntil }).where(inArray(backchannelDeliveries.id, due)).returning();
}

/** The applications' back-channel logout URIs as they are now (null: the application no longer wants them). */
export async function currentLogoutUris(db: Executor, applicationIds: readonly string[]): Promise<Map<string, string | null>> {
  if (applicationIds.length === 0) return new Map();
  const rows = await db
    .select({ id: oidcApplications.id, uri: oidcApplications.backchannelLogoutUri })
    .from(oidcApplications)
    .where(inArray(oidcApplications.id, [...new Set(applicationIds)]));
  return new Map(rows.map((r) => [r.id, r.uri]));
}

/** The row as long as this sender's claim is still its claim: a sender that overran it settles nothing. */
const stillClaimed = (row: Pick<BackchannelDelivery, 'id' | 'claimedUntil'>) =>
  and(eq(backchannelDeliveries.id, row.id), row.claimedUntil ? eq(backchannelDeliveries.claimedUntil, row.claimedUntil) : isNull(backchannelDeliveries.claimedUntil));

/** Marks a claimed row delivered; false when the claim was lost meanwhile. */
export async function markBackchannelDelivered(db: Executor, row: BackchannelDelivery, now: Date): Promise<boolean> {
  const rows = await db
    .update(backchannelDeliveries)
    .set({ deliveredAt: now, attempts: row.attempts + 1, claimedUntil: null, lastError: null })
    .where(stillClaimed(row))
    .returning({ id: backchannelDeliveries.id });
  return rows.length > 0;
}

/** Records a failed attempt and when to try again (GAVE_UP: never); false when the claim was lost meanwhile. */
export async function markBackchannelFailed(db: Executor, row: BackchannelDelivery, failure: { error: string; nextAttemptAt: Date }): Promise<boolean> {
  const rows = await db
    .update(backchannelDeliveries)
    .set({ attempts: row.attempts + 1, lastError: failure.error, nextAttemptAt: failure.nextAttemptAt, claimedUntil: null })
    .where(stillClaimed(row))
    .returning({ id: backchannelDeliveries.id });
  return rows.length > 0;
}

/** Drops a claimed row nobody wants any more (its application removed its back-channel URI). */
export async function dropBackchannelDelivery(db: Executor, row: BackchannelDelivery): Promise<void> {
  await db.delete(backchannelDeliveries).where(stillClaimed(row));
}

/**
 * Deletes up to `max` settled rows: delivered before `deliveredBefore`, or given up on and created
 * before `gaveUpCreatedBefore`. Pending rows are never deleted, however old.
 */
export async function purgeSettledBackchannelLogouts(db: Executor, deliveredBefore: Date, gaveUpCreatedBefore: Date, max: number): Promise<number> {
  const settled = db
    .select({ id: backchannelDeliveries.id })
    .from(backchannelDeliveries)
    .where(
      or(
        lt(backchannelDeliveries.deliveredAt, deliveredBefore),
        and(isNull(backchannelDeliveries.deliveredAt), eq(backchannelDeliveries.nextAttemptAt, GAVE_UP), lt(backchannelDeliveries.createdAt, gaveUpCreatedBefore)),
      ),
    )
    .limit(max);
  const rows = await db.delete(backchannelDeliveries).where(inArray(backchannelDeliveries.id, settled)).returning({ id: backchannelDeliveries.id });
  return rows.length;
}
