/**
 * Issue 9 point 8: anyone can start an SP-initiated sign-in, so each company stores only
 * SAML_LOGIN_RATE_LIMIT_PER_MINUTE AuthnRequests a minute, counted in the database (two app instances
 * share one count); over it GET /saml/:id/login answers 429 with Retry-After and stores nothing.
 * Expired AuthnRequests and counters are swept in bounded batches as sign-ins start.
 */
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { rateLimits, samlRequests } from '../../src/store/schema.js';
import { makeApp, setupCompany, testConfig } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { defaultBackend, openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs, startSpLogin } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

const CAP = 5;
let first: DatabaseHandle;
let second: DatabaseHandle;
let now = new Date('2026-08-03T08:00:00Z');
let idp: TestIdp;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  first = await openTestDatabase();
  // Two connections to one PostgreSQL database; PGlite is in memory, so its two instances share the handle.
  second = defaultBackend === 'postgres' ? await openTestDatabase() : first;
  const config = { samlLoginRateLimitPerMinute: CAP };
  a = makeApp(first, { now: () => now, config });
  b = makeApp(second, { now: () => now, config });
  idp = createTestIdp({ entityId: 'https://idp.test/bounds' });
});
afterAll(async () => {
  if (second !== first) await second?.close();
  await first?.close();
});

async function companyWithSaml(app: TestApp): Promise<TestCompany> {
  const company = await setupCompany(app, 'Bounded');
  await configureSaml(app, company, idp);
  return company;
}

async function storedRequests(companyId: string): Promise<number> {
  return (await first.db.select({ id: samlRequests.id }).from(samlRequests).where(eq(samlRequests.companyId, companyId))).length;
}

describe('the cap on SP-initiated sign-in starts', () => {
  it(`two instances alternately: exactly ${CAP} redirects, then 429 with Retry-After, and ${CAP} stored requests`, async () => {
    const company = await companyWithSaml(a);
    const statuses: number[] = [];
    const saved = now;
    try {
      for (let i = 0; i < 12; i++) {
        now = new Date(saved.getTime() + i * 1000);
        const res = await (i % 2 === 0 ? a : b).request(`/saml/${company.id}/login`);
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.headers.get('Retry-After')).toBe(String(60 - i));
          expect(res.headers.get('Set-Cookie')).toBeNull();
          expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
          const html = await res.text();
          expect(html).toContain('rate_limited');
          expect(html).toContain('Too many sign-ins right now');
        }
      }
      expect(statuses).toEqual([...Array(CAP).fill(302), ...Array(12 - CAP).fill(429)]);
      expect(await storedRequests(company.id)).toBe(CAP);

      // Another company has its own count.
      const other = await companyWithSaml(a);
      expect((await b.request(`/saml/${other.id}/login`)).status).toBe(302);

      // The next window starts afresh.
      now = new Date(saved.getTime() + 60_000);
      expect((await b.request(`/saml/${company.id}/login`)).status).toBe(302);
      expect(await storedRequests(company.id)).toBe(CAP + 1);
    } finally {
      now = saved;
    }
  });

  it(`20 concurrent starts on two instances: ${CAP} win`, async () => {
    const company = await companyWithSaml(a);
    const statuses = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await (i % 2 ? a : b).request(`/saml/${company.id}/login`)).status));
    expect(statuses.filter((s) => s === 302)).toHaveLength(CAP);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - CAP);
    expect(await storedRequests(company.id)).toBe(CAP);
  });

  it('does not limit IdP-initiated sign-in, nor answers to requests already stored', async () => {
    const company = await companyWithSaml(a);
    await confirmedUser(a, company, 'jon@bounded.test');
    const started = await startSpLogin(a, company.id);
    for (let i = 1; i < CAP; i++) await startSpLogin(b, company.id);
    expect((await a.request(`/saml/${company.id}/login`)).status).toBe(429);
    const answer = idpInitiated(idp, company.id, 'jon@bounded.test', now, { inResponseTo: started.requestId });
    expect((await postAcs(b, company.id, answer, undefined, started.cookie)).status).toBe(303);
    expect((await postAcs(a, company.id, idpInitiated(idp, company.id, 'jon@bounded.test', now))).status).toBe(303);
  });

  it('an unknown company or one without SAML gets its 404 and no counter', async () => {
    const bare = await setupCompany(a, 'No SAML');
    for (const id of ['cmp_doesnotexist000', bare.id]) {
      expect((await a.request(`/saml/${id}/login`)).status).toBe(404);
      expect(await first.db.select().from(rateLimits).where(eq(rateLimits.key, `saml_login:${id}`))).toEqual([]);
    }
  });
});

describe('sweeping', () => {
  it('starting a sign-in deletes expired AuthnRequests and ended counters, of any company', async () => {
    // A clock of its own (2003): no other test's rows look expired to it.
    let clock = new Date('2003-03-01T10:00:00Z');
    const sweeping = createApp({
      config: { ...testConfig, samlLoginRateLimitPerMinute: CAP },
      database: { kind: first.kind, db: first.db },
      now: () => clock,
      log: null,
      purgeEvery: 1,
    });
    const stale = await companyWithSaml(a);
    const active = await companyWithSaml(a);
    for (let i = 0; i < 3; i++) expect((await sweeping.request(`/saml/${stale.id}/login`)).status).toBe(302);
    expect(await storedRequests(stale.id)).toBe(3);
    expect(await first.db.select({ key: rateLimits.key }).from(rateLimits).where(eq(rateLimits.key, `saml_login:${stale.id}`))).toHaveLength(1);

    // Eleven minutes later the requests have expired and the stale company's counter window has ended.
    clock = new Date('2003-03-01T10:11:00Z');
    expect((await sweeping.request(`/saml/${active.id}/login`)).status).toBe(302);
    expect(await storedRequests(stale.id)).toBe(0);
    expect(await storedRequests(active.id)).toBe(1);
    const keys = await first.db
      .select({ key: rateLimits.key })
      .from(rateLimits)
      .where(inArray(rateLimits.key, [`saml_login:${stale.id}`, `saml_login:${active.id}`]));
    expect(keys).toEqual([{ key: `saml_login:${active.id}` }]);
  });
});
