/**
 * The back-channel logout outbox on its own clock: a delivery is queued in the transaction of the
 * revocation (rolled back with it, never twice), retried 2 s, 4 s, 8 s... at most 5 minutes apart
 * (a redirect is a failure), given up on after 72 h with one audit event, dropped when the application
 * removed its URI; a claim lapses after 30 s (a sender that died) and a sender whose claim lapsed
 * settles nothing; delivered rows are swept after 7 days. A database of its own (deliveries are
 * global, and these clocks are pinned years ahead); PGlite, and PostgreSQL when DATABASE_URL is set.
 */
import { eq } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDeps } from '../../src/app.js';
import { deliverDueBackchannelLogouts, retryDelayMs, runBackchannelMaintenance } from '../../src/services/backchannel.js';
import type { ServiceDeps } from '../../src/services/deps.js';
import { startSession } from '../../src/services/sessions.js';
import { GAVE_UP, claimDueBackchannelLogouts, hasDueBackchannelLogouts, markBackchannelDelivered, rememberSessionApplication } from '../../src/store/backchannel.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { auditEvents, backchannelDeliveries, sessions } from '../../src/store/schema.js';
import { revokeSession } from '../../src/store/sessions.js';
import { asOperator, makeApp, setupCompany, testConfig } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { createApplication, startReceiver } from '../support/backchannel.js';
import type { Receiver } from '../support/backchannel.js';
import { openIsolatedTestDatabase } from '../support/db.js';
import { confirmedUser } from '../support/saml.js';

const T0 = new Date('2031-03-01T08:00:00Z');
const HOUR = 3_600_000;
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

let handle: DatabaseHandle;
let app: TestApp;
let deps: ServiceDeps;
let receiver: Receiver;
let appId: string;
let company: TestCompany;
let userId: string;

beforeAll(async () => {
  handle = await openIsolatedTestDatabase();
  app = makeApp(handle, { now: () => T0 });
  deps = serviceDeps(testConfig, handle.db, () => T0);
  receiver = await startReceiver();
  appId = await createApplication(app, 'Dashboard', receiver.url);
  company = await setupCompany(app, 'Outbox Co');
  userId = await confirmedUser(app, company, 'ana@outbox.example');
});
afterAll(async () => {
  await receiver?.stop();
  await handle?.close();
});

/** A session the application received tokens for, started at `now`. */
async function sessionWithTokens(now: Date, application = appId): Promise<string> {
  const { session } = await startSession(handle.db, now, company.id, userId);
  await rememberSessionApplication(handle.db, session.id, application);
  return session.id;
}

async function rowOf(sessionId: string) {
  const rows = await handle.db.select().from(backchannelDeliveries).where(eq(backchannelDeliveries.sessionId, sessionId));
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

const postsFor = (sessionId: string) => receiver.received.filter((r) => decodeJwt(r.token).sid === sessionId);

describe('the back-channel logout outbox', () => {
  it('waits 2 s after the first failure, doubling, at most 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 500].map((n) => retryDelayMs(n) / 1000)).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
  });

  it('is queued in the revoking transaction: rolled back with it, and never twice', async () => {
    const sid = await sessionWithTokens(T0);
    await rememberSessionApplication(handle.db, sid, appId); // the token endpoint again: no second row anywhere
    await expect(
      handle.db.transaction(async (tx) => {
        expect(await revokeSession(tx, sid, T0)).toBe(true);
        // Inside the transaction it is there (PGlite has one connection: nothing outside could look now).
        expect(await tx.select().from(backchannelDeliveries).where(eq(backchannelDeliveries.sessionId, sid))).toHaveLength(1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await rowOf(sid)).toBeUndefined();
    const [session] = await handle.db.select().from(sessions).where(eq(sessions.id, sid));
    expect(session!.revokedAt).toBeNull();

    expect(await revokeSession(handle.db, sid, T0)).toBe(true);
    expect(await revokeSession(handle.db, sid, T0)).toBe(false);
    expect(await rowOf(sid)).toMatchObject({ applicationId: appId, companyId: company.id, userId, attempts: 0, nextAttemptAt: T0, deliveredAt: null });
    expect(await deliverDueBackchannelLogouts(deps, T0)).toMatchObject({ delivered: 1 });
  });

  it('retries a redirect and a 503, gives up after 72 h with one audit event, and then sends nothing', async () => {
    const start = at(T0, 10 * HOUR);
    const sid = await sessionWithTokens(start);
    await revokeSession(handle.db, sid, start);
    receiver.status = 302;
    await deliverDueBackchannelLogouts(deps, start);
    expect(await rowOf(sid)).toMatchObject({ attempts: 1, lastError: 'http_302', nextAttemptAt: at(start, 2_000), deliveredAt: null });
    expect(await hasDueBackchannelLogouts(handle.db, at(start, 1_999))).toBe(false);

    receiver.status = 503;
    const late = at(start, 72 * HOUR - 1_000);
    await deliverDueBackchannelLogouts(deps, late);
    expect(await rowOf(sid)).toMatchObject({ attempts: 2, lastError: 'http_503', nextAttemptAt: at(late, 4_000) });

    const tooLate = at(start, 72 * HOUR + 60_000);
    expect(await deliverDueBackchannelLogouts(deps, tooLate)).toMatchObject({ gaveUp: 1, failed: 0 });
    expect(await rowOf(sid)).toMatchObject({ attempts: 3, lastError: 'gave_up: http_503', nextAttemptAt: GAVE_UP, deliveredAt: null });
    const posts = postsFor(sid).length;
    expect(posts).toBe(3);

    receiver.status = 200;
    expect(await hasDueBackchannelLogouts(handle.db, at(start, 1000 * HOUR))).toBe(false);
    expect(await deliverDueBackchannelLogouts(deps, at(start, 1000 * HOUR))).toEqual({ delivered: 0, failed: 0, gaveUp: 0, dropped: 0 });
    expect(postsFor(sid)).toHaveLength(posts);
    const failed = await handle.db.select().from(auditEvents).where(eq(auditEvents.action, 'oidc.backchannel_logout_failed'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ companyId: company.id, targetId: userId, reason: 'http_503', data: { applicationId: appId, sessionId: sid, attempts: 3 } });
  });

  it('drops the row when the application no longer has a back-channel logout URI, and posts nothing', async () => {
    const leaving = await createApplication(app, 'Leaving', receiver.url);
    const start = at(T0, 200 * HOUR);
    const sid = await sessionWithTokens(start, leaving);
    await revokeSession(handle.db, sid, start);
    expect(await rowOf(sid)).toBeDefined();
    const patched = await asOperator(app, 'PATCH', `/api/operator/applications/${leaving}`, { body: { backchannelLogoutUri: null } });
    expect(patched.status, patched.text).toBe(200);
    expect(await deliverDueBackchannelLogouts(deps, start)).toMatchObject({ dropped: 1, delivered: 0 });
    expect(await rowOf(sid)).toBeUndefined();
    expect(postsFor(sid)).toEqual([]);
  });

  it("a claim lapses after 30 s (its sender died), and a sender whose claim lapsed settles nothing", async () => {
    const start = at(T0, 300 * HOUR);
    const sid = await sessionWithTokens(start);
    await revokeSession(handle.db, sid, start);
    const [first] = await claimDueBackchannelLogouts(handle.db, start, at(start, 30_000), 10);
    expect(first!.sessionId).toBe(sid);
    expect(await hasDueBackchannelLogouts(handle.db, at(start, 29_000))).toBe(false);
    expect(await claimDueBackchannelLogouts(handle.db, at(start, 29_000), at(start, 59_000), 10)).toEqual([]);

    const later = at(start, 31_000);
    expect(await hasDueBackchannelLogouts(handle.db, later)).toBe(true);
    const [second] = await claimDueBackchannelLogouts(handle.db, later, at(later, 30_000), 10);
    expect(second!.id).toBe(first!.id);
    expect(await markBackchannelDelivered(handle.db, first!, later)).toBe(false);
    expect(await markBackchannelDelivered(handle.db, second!, later)).toBe(true);
    expect(await rowOf(sid)).toMatchObject({ deliveredAt: later, attempts: 1, claimedUntil: null });
  });

  it('the scheduled task sends what is due and sweeps rows delivered over 7 days ago, never a pending one', async () => {
    const start = at(T0, 400 * HOUR);
    const delivered = await sessionWithTokens(start);
    await revokeSession(handle.db, delivered, start);
    expect(await runBackchannelMaintenance(deps, start)).toMatchObject({ delivered: 1 });

    const week = at(start, 7 * 24 * HOUR + 60_000);
    const pending = await sessionWithTokens(week);
    await revokeSession(handle.db, pending, week);
    receiver.status = 503;
    const report = await runBackchannelMaintenance(deps, week);
    receiver.status = 200;
    expect(report).toMatchObject({ failed: 1 });
    expect(report.swept).toBeGreaterThanOrEqual(1);
    expect(await rowOf(delivered)).toBeUndefined();
    expect(await rowOf(pending)).toMatchObject({ attempts: 1, deliveredAt: null });
  });
});
