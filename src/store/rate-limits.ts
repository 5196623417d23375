/** Fixed-window counters in `rate_limits`: shared by every instance, never in process memory. */
import { inArray, lte, sql } from 'drizzle-orm';
import type { Executor } from './db.js';
import { rateLimits } from './schema.js';

/**
 * Counts one hit on `key` in one statement: the first hit, or the first after the window ended,
 * starts a new window at `now` with count 1; any other adds 1. Concurrent hits on any instance
 * serialise on the primary key, so the count returned is exact. Returns it and when the window ends.
 */
export async function countHit(db: Executor, key: string, now: Date, windowMs: number): Promise<{ count: number; resetAt: Date }> {
  const ended = sql`${rateLimits.expiresAt} <= excluded.window_start`;
  const [row] = await db
    .insert(rateLimits)
    .values({ key, windowStart: now, count: 1, expiresAt: new Date(now.getTime() + windowMs) })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${ended} then 1 else ${rateLimits.count} + 1 end`,
        windowStart: sql`case when ${ended} then excluded.window_start else ${rateLimits.windowStart} end`,
        expiresAt: sql`case when ${ended} then excluded.expires_at else ${rateLimits.expiresAt} end`,
      },
    })
    .returning({ count: rateLimits.count, resetAt: rateLimits.expiresAt });
  return row!;
}

/** Deletes up to `max` counters whose window has ended (a bounded sweep, cheap enough to run often). */
export async function sweepRateLimits(db: Executor, now: Date, max: number): Promise<number> {
  const expired = db.select({ key: rateLimits.key }).from(rateLimits).where(lte(rateLimits.expiresAt, now)).limit(max);
  const rows = await db.delete(rateLimits).where(inArray(rateLimits.key, expired)).returning({ key: rateLimits.key });
  return rows.length;
}
