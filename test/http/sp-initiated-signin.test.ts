/**
 * SP-initiated sign-in over HTTP: the AuthnRequest is stored, single use, short-lived, answerable only
 * from the browser that started it (the __Host-bridge_authn cookie) and only for its company;
 * IdP-initiated sign-in needs none of that. (The HTTP-POST binding: sp-initiated-post.test.ts; the
 * start cap: sp-login-bounds.test.ts.)
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { samlRequests } from '../../src/store/schema.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { authnRequestIdFrom, configureSaml, confirmedUser, idpInitiated, postAcs, startSpLogin } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let now = new Date('2026-06-01T09:00:00Z');
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/okta' });
});
afterAll(async () => {
  await handle?.close();
});

async function companyWithSaml(): Promise<TestCompany> {
  const company = await setupCompany(app, 'Decorumsoft');
  await configureSaml(app, company, idp);
  return company;
}

async function lastLoginEvent(company: TestCompany) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?limit=1`, { token: company.key });
  return res.json.events[0];
}

describe('SP-initiated sign-in', () => {
  it('issues an AuthnRequest bound to the browser, accepts its answer once from that browser, and refuses an expired one', async () => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const start = await app.request(`/saml/${company.id}/login?RelayState=${encodeURIComponent('/reports?id=7')}`);
    expect(start.status).toBe(302);
    const location = start.headers.get('Location')!;
    expect(location.startsWith('https://idp.test/sso?')).toBe(true);
    const requestId = authnRequestIdFrom(location);
    const setCookie = start.headers.get('Set-Cookie')!;
    expect(setCookie).toMatch(/^__Host-bridge_authn=[A-Za-z0-9_-]{43};/);
    for (const attribute of [/HttpOnly/, /Secure/, /SameSite=None/, /Path=\//, /Max-Age=600\b/]) expect(setCookie).toMatch(attribute);
    const cookie = setCookie.split(';')[0]!;

    // Only the SHA-256 of the cookie value is stored.
    const value = cookie.slice(cookie.indexOf('=') + 1);
    const [stored] = await handle.db.select({ binding: samlRequests.browserBinding }).from(samlRequests).where(eq(samlRequests.id, requestId));
    expect(stored!.binding).toBe(createHash('sha256').update(value).digest('hex'));

    const answer = idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, { inResponseTo: requestId });
    const ok = await postAcs(app, company.id, answer, undefined, cookie);
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/reports?id=7');
    const again = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, { inResponseTo: requestId }), undefined, cookie);
    expect(again.status).toBe(403);
    expect(again.html).toContain('unknown_request');

    const late = await startSpLogin(app, company.id, { cookie });
    const saved = now;
    now = new Date(saved.getTime() + 11 * 60_000);
    try {
      const expired = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, { inResponseTo: late.requestId }), undefined, late.cookie);
      expect(expired.status).toBe(403);
      expect(expired.html).toContain('unknown_request');
    } finally {
      now = saved;
    }
  });

  it("refuses a request ID issued for another company", async () => {
    const a = await companyWithSaml();
    const b = await companyWithSaml();
    await confirmedUser(app, b, 'jon@decorumsoft.com');
    const { requestId, cookie } = await startSpLogin(app, a.id);
    const res = await postAcs(app, b.id, idpInitiated(idp, b.id, 'jon@decorumsoft.com', now, { inResponseTo: requestId }), undefined, cookie);
    expect(res.status).toBe(403);
    expect(res.html).toContain('unknown_request');
  });

  it.each([
    ['another browser’s binding cookie', async (companyId: string) => (await startSpLogin(app, companyId)).cookie],
    ['no binding cookie', async () => null],
    ['a cookie value we never issued', async () => `__Host-bridge_authn=${'A'.repeat(43)}`],
    ['a malformed cookie', async () => '__Host-bridge_authn=x'],
  ])('refuses the answer to a request when it comes with %s: request_other_browser, audited, no session', async (_label, otherCookie) => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const { requestId } = await startSpLogin(app, company.id);
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, { inResponseTo: requestId }), undefined, await otherCookie(company.id));
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeNull();
    expect(res.html).toContain('request_other_browser');
    expect(res.html).toContain('This sign-in was started in another browser');
    expect(await lastLoginEvent(company)).toMatchObject({
      action: 'saml.login_refused',
      reason: 'request_other_browser',
      count: 1,
      data: { flow: 'sp_initiated', email: 'jon@decorumsoft.com' },
    });
  });

  it('one browser cookie serves several pending sign-ins (two tabs); a malformed one is replaced', async () => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const first = await startSpLogin(app, company.id);
    const second = await startSpLogin(app, company.id, { cookie: first.cookie });
    expect(second.cookie).toBe(first.cookie);
    expect(second.requestId).not.toBe(first.requestId);
    for (const { requestId } of [second, first]) {
      const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, { inResponseTo: requestId }), undefined, first.cookie);
      expect(res.status).toBe(303);
    }
    const replaced = await startSpLogin(app, company.id, { cookie: '__Host-bridge_authn=not-ours' });
    expect(replaced.cookie).toMatch(/^__Host-bridge_authn=[A-Za-z0-9_-]{43}$/);
  });

  it('leaves IdP-initiated sign-in alone: no binding cookie needed, a stray one ignored', async () => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now))).status).toBe(303);
    const stray = (await startSpLogin(app, company.id)).cookie;
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now), undefined, stray)).status).toBe(303);
  });
});
