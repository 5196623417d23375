/**
 * Cross-site request forgery against cookie-authenticated writes: an admin's browser sends its
 * session cookie with whatever another site makes it post (an empty text/plain POST needs no JSON),
 * so every such write must come from our own origin, judged by Origin or Sec-Fetch-Site.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany, testConfig } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me, postAcs } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-06-01T09:00:00Z');
let idp: TestIdp;
const OWN_ORIGIN = testConfig.publicUrl;
const FOREIGN_ORIGIN = 'https://evil.example';

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/csrf' });
});
afterAll(async () => {
  await handle?.close();
});

/** A company with SAML, and the session cookie of one of its admins. */
async function adminSession(): Promise<{ company: TestCompany; cookie: string }> {
  const company = await setupCompany(app, 'Forgerysoft');
  await configureSaml(app, company, idp);
  const admins = await call(app, 'POST', `/api/companies/${company.id}/permission-sets`, { token: company.key, body: { name: 'Admins', permissions: ['admin'] } });
  const invited = await call(app, 'POST', `/api/companies/${company.id}/users`, {
    token: company.key,
    body: { email: 'boss@forgerysoft.com', workspaceId: company.workspaceId, permissionSetId: admins.json.id },
  });
  await call(app, 'POST', new URL(invited.json.invitationUrl).pathname);
  const signedIn = await postAcs(app, company.id, idpInitiated(idp, company.id, 'boss@forgerysoft.com', now));
  expect(signedIn.status).toBe(303);
  return { company, cookie: signedIn.cookie! };
}

/** The empty text/plain POST a cross-site form (enctype=text/plain) or a no-cors fetch sends. */
const emptyTextPost = (path: string, headers: Record<string, string>) =>
  app.request(path, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...headers }, body: '' });

const scimTokenCount = async (company: TestCompany) =>
  (await call(app, 'GET', `/api/companies/${company.id}/scim-tokens`, { token: company.key })).json.scimTokens.length as number;

describe('cookie-authenticated writes', () => {
  it('refuses an empty text/plain POST from a foreign Origin: 403 and no SCIM token', async () => {
    const { company, cookie } = await adminSession();
    const res = await emptyTextPost(`/api/companies/${company.id}/scim-tokens`, { Cookie: cookie, Origin: FOREIGN_ORIGIN });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cross_site_request');
    expect(await scimTokenCount(company)).toBe(0);
  });

  it('accepts the same POST from our own origin', async () => {
    const { company, cookie } = await adminSession();
    const res = await emptyTextPost(`/api/companies/${company.id}/scim-tokens`, { Cookie: cookie, Origin: OWN_ORIGIN });
    expect(res.status).toBe(201);
    expect(await scimTokenCount(company)).toBe(1);
    const fetched = await emptyTextPost(`/api/companies/${company.id}/scim-tokens`, { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' });
    expect(fetched.status).toBe(201);
  });

  it('refuses a POST without Origin whose Sec-Fetch-Site is cross-site, and one that says nothing', async () => {
    const { company, cookie } = await adminSession();
    const crossSite = await emptyTextPost(`/api/companies/${company.id}/scim-tokens`, { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const silent = await app.request(`/api/companies/${company.id}/scim-tokens`, { method: 'POST', headers: { Cookie: cookie } });
    expect(silent.status).toBe(403);
    expect(await scimTokenCount(company)).toBe(0);
  });

  it('leaves bearer-token calls alone, whatever their Origin', async () => {
    const { company } = await adminSession();
    const res = await app.request(`/api/companies/${company.id}/scim-tokens`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${company.key}`, Origin: FOREIGN_ORIGIN, 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(res.status).toBe(201);
  });

  it('keeps logout from another site from ending the session', async () => {
    const { cookie } = await adminSession();
    const forged = await app.request('/logout', { method: 'POST', headers: { Cookie: cookie, Origin: FOREIGN_ORIGIN } });
    expect(forged.status).toBe(403);
    expect((await me(app, cookie)).status).toBe(200);
  });

  it('still lets the IdP post cross-site to the ACS, cookie or not', async () => {
    const { company, cookie } = await adminSession();
    await confirmedUser(app, company, 'jon@forgerysoft.com');
    const form = new URLSearchParams({ SAMLResponse: idpInitiated(idp, company.id, 'jon@forgerysoft.com', now) });
    const res = await app.request(`/saml/${company.id}/acs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://idp.test', 'Sec-Fetch-Site': 'cross-site', Cookie: cookie },
      body: form.toString(),
    });
    expect(res.status).toBe(303);
  });

  it('refuses a foreign Origin on every unsafe route that a session cookie could authenticate', async () => {
    const { company, cookie } = await adminSession();
    // Every unsafe route of the router but those that never read the cookie: SCIM (bearer), the ACS and Single Logout (signed
    // messages), and the OAuth token and userinfo endpoints (client secret, access token).
    const unsafe = [...new Set(app.routes.filter((r) => /^(POST|PUT|PATCH|DELETE)$/.test(r.method)).map((r) => `${r.method} ${r.path}`))]
      .filter((route) => !/ \/scim\//.test(route) && !/ \/saml\/:connectionId\/(acs|slo)$/.test(route) && !/ \/oauth\/(token|userinfo)$/.test(route));
    expect(unsafe).toContain('POST /oauth/logout');
    expect(unsafe.length).toBeGreaterThan(15);
    expect(unsafe).toContain('POST /api/companies/:companyId/scim-tokens');
    expect(unsafe).toContain('POST /logout');
    for (const route of unsafe) {
      const [method, pattern] = route.split(' ') as [string, string];
      const path = pattern.replace(/:companyId/g, company.id).replace(/:[A-Za-z]+/g, 'x1');
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null]) {
        const res = await app.request(path, {
          method,
          headers: { Cookie: cookie, Origin: FOREIGN_ORIGIN, ...(type ? { 'Content-Type': type } : {}) },
          ...(type ? { body: '' } : {}),
        });
        expect(res.status, `${route} as ${type}`).toBe(403);
      }
    }
    expect(await scimTokenCount(company)).toBe(0);
    expect((await me(app, cookie)).status).toBe(200);
  });
});
