/**
 * Issue 9 point 8: refusals of what anyone can post to the ACS (not signed by the company's IdP) are
 * counted on one audit row per company, reason and hour, visible with their count through the admin
 * audit API; a signed attempt that is refused still gets a row of its own.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAML_RESPONSE_MAX_BASE64_LENGTH } from '../../src/saml/index.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { auditEvents } from '../../src/store/schema.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs } from '../support/saml.js';
import { createTestIdp, generateKeyPair, toBase64 } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let now = new Date('2026-07-14T10:05:00Z');
let idp: TestIdp;
const attacker = generateKeyPair('attacker');

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/garbage' });
});
afterAll(async () => {
  await handle?.close();
});

async function refusedEvents(company: TestCompany) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=saml.login_refused&limit=100`, { token: company.key });
  expect(res.status).toBe(200);
  return res.json.events as { reason: string; count: number; createdAt: string; lastAt: string; data: Record<string, unknown> }[];
}

describe('garbage posted to the ACS', () => {
  it('1,000 unauthenticated posts in three kinds, 20 at a time, leave one row per kind whose counts sum to 1,000', async () => {
    const company = await setupCompany(app, 'Garbage Inc');
    await configureSaml(app, company, idp);
    await confirmedUser(app, company, 'jon@garbage.test');
    const kinds: [string, string, number][] = [
      ['malformed', toBase64('hello, not XML'), 400],
      ['signature_invalid', idpInitiated(idp, company.id, 'jon@garbage.test', now, { signingKey: attacker }), 403],
      ['signature_missing', idpInitiated(idp, company.id, 'jon@garbage.test', now, { sign: 'none' }), 403],
    ];
    const statuses: number[] = [];
    for (let batch = 0; batch < 50; batch++) {
      const posts = Array.from({ length: 20 }, (_, i) => {
        const [, body, status] = kinds[(batch * 20 + i) % kinds.length]!;
        return postAcs(app, company.id, body).then((res) => {
          statuses.push(res.status === status ? 0 : res.status);
        });
      });
      await Promise.all(posts);
    }
    expect(statuses.filter((s) => s !== 0)).toEqual([]);

    const events = await refusedEvents(company);
    expect(events.map((e) => e.reason).sort()).toEqual(['malformed', 'signature_invalid', 'signature_missing']);
    expect(events.reduce((sum, e) => sum + e.count, 0)).toBe(1000);
    const counts = Object.fromEntries(events.map((e) => [e.reason, e.count]));
    expect(counts).toEqual({ malformed: 334, signature_invalid: 333, signature_missing: 333 });
    for (const e of events) {
      expect(e.createdAt).toBe(now.toISOString());
      expect(e.lastAt).toBe(now.toISOString());
      expect(typeof e.data.detail).toBe('string');
    }
    const keys = await handle.db
      .select({ key: auditEvents.aggregateKey })
      .from(auditEvents)
      .where(and(eq(auditEvents.companyId, company.id), eq(auditEvents.reason, 'signature_invalid')));
    expect(keys).toEqual([{ key: 'saml.login_refused:signature_invalid:2026-07-14T10' }]);

    // The next hour opens a new row; the old one keeps its count.
    const saved = now;
    now = new Date('2026-07-14T11:00:30Z');
    try {
      await postAcs(app, company.id, kinds[0]![1]);
      await postAcs(app, company.id, kinds[0]![1]);
    } finally {
      now = saved;
    }
    const later = (await refusedEvents(company)).filter((e) => e.reason === 'malformed');
    expect(later.map((e) => [e.count, e.createdAt, e.lastAt])).toEqual([
      [2, '2026-07-14T11:00:30.000Z', '2026-07-14T11:00:30.000Z'],
      [334, saved.toISOString(), saved.toISOString()],
    ]);
  }, 120_000);

  it('an aggregated row grows its lastAt while createdAt stays at the first attempt', async () => {
    const company = await setupCompany(app, 'Garbage Later');
    await configureSaml(app, company, idp);
    const saved = now;
    try {
      now = new Date('2026-07-14T12:01:00Z');
      await postAcs(app, company.id, toBase64('<nope'));
      now = new Date('2026-07-14T12:59:00Z');
      await postAcs(app, company.id, toBase64('<nope'));
    } finally {
      now = saved;
    }
    expect((await refusedEvents(company)).map((e) => [e.reason, e.count, e.createdAt, e.lastAt])).toEqual([
      ['malformed', 2, '2026-07-14T12:01:00.000Z', '2026-07-14T12:59:00.000Z'],
    ]);
  });

  it('every signed attempt that is refused keeps a row of its own, with count 1 and lastAt = createdAt', async () => {
    const company = await setupCompany(app, 'Signed Refusals');
    await configureSaml(app, company, idp);
    await confirmedUser(app, company, 'jon@garbage.test');
    for (let i = 0; i < 3; i++) {
      const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@garbage.test', now, { audience: 'https://other-sp.example' }));
      expect(res.status).toBe(403);
    }
    const replayed = idpInitiated(idp, company.id, 'jon@garbage.test', now);
    expect((await postAcs(app, company.id, replayed)).status).toBe(303);
    expect((await postAcs(app, company.id, replayed)).status).toBe(403);
    // Unknown to the JIT rules (no account, JIT off): refused after the signature verified.
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'someone@garbage.test', now))).status).toBe(403);

    const events = await refusedEvents(company);
    expect(events.map((e) => e.reason)).toEqual(['jit_disabled', 'replayed', 'audience_mismatch', 'audience_mismatch', 'audience_mismatch']);
    for (const e of events) {
      expect(e.count).toBe(1);
      expect(e.lastAt).toBe(e.createdAt);
    }
  });

  it('a company without a SAML connection counts its refusals on one row too', async () => {
    const company = await setupCompany(app, 'No SAML');
    for (let i = 0; i < 5; i++) expect((await postAcs(app, company.id, toBase64('<x/>'))).status).toBe(403);
    expect((await refusedEvents(company)).map((e) => [e.reason, e.count])).toEqual([['saml_not_configured', 5]]);
  });

  it("the route's own refusals (a form without SAMLResponse, a body over the limit) are counted too, on the company posted to", async () => {
    const company = await setupCompany(app, 'Unread Posts');
    await configureSaml(app, company, idp);
    const post = (body: string) =>
      app.request(`/saml/${company.id}/acs`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    for (const body of ['', 'RelayState=%2F', 'SAMLResponse=']) {
      const res = await post(body);
      expect(res.status).toBe(400);
    }
    const huge = await post(`SAMLResponse=${'A'.repeat(SAML_RESPONSE_MAX_BASE64_LENGTH * 2 + 10)}`);
    expect(huge.status).toBe(413);
    expect((await refusedEvents(company)).map((e) => [e.reason, e.count]).sort()).toEqual([
      ['malformed', 3],
      ['too_large', 1],
    ]);
    // An unknown company gets its page and no row anywhere (there is no company to file it under).
    expect((await app.request('/saml/co_unknown/acs', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(400);
  });
});
