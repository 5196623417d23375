/**
 * SP-initiated Single Logout over HTTP: /logout ends the bridge session and sends the browser to the
 * IdP with a signed LogoutRequest (checked here with the SP certificate); the IdP's signed
 * LogoutResponse completes it once, and a replay is refused. /api/logout says where to go in its JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { PUBLIC_URL, configureSaml, confirmedUser, idpInitiated, me, postAcs } from '../support/saml.js';
import { EMAIL_FORMAT, attrOf, logoutResponseXml, readSpPostPage, readSpRedirect, setSpSigningKey, signPost, signRedirect } from '../support/slo.js';
import { createTestIdp, generateKeyPair } from '../support/test-idp.js';
import type { KeyPair, TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let now = new Date('2026-07-02T09:00:00Z');
let idp: TestIdp;
let spKeys: KeyPair;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/slo-entra' });
  spKeys = generateKeyPair('bridge-sp');
});
afterAll(async () => {
  await handle?.close();
});

async function signedIn(binding: 'redirect' | 'post', options: { signingKey?: boolean; sloUrl?: boolean } = {}) {
  const company = await setupCompany(app, 'Spoutsoft');
  const extra = options.sloUrl === false ? {} : { sloUrl: 'https://idp.test/slo', sloBinding: binding };
  const saml = await configureSaml(app, company, idp, extra);
  if (options.signingKey !== false) await setSpSigningKey(handle, saml.id, spKeys);
  const email = `bo.${binding}@spoutsoft.com`;
  await confirmedUser(app, company, email);
  const acs = await postAcs(app, company.id, idpInitiated(idp, company.id, email, now, { sessionIndex: '_idx9' }));
  expect(acs.status, acs.html).toBe(303);
  return { company, connectionId: saml.id as string, cookie: acs.cookie!, email, sloUrl: `${PUBLIC_URL}/saml/${company.id}/slo` };
}

async function events(company: TestCompany, action: string) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?limit=20&action=${action}`, { token: company.key });
  return res.json.events as any[];
}

const logout = (cookie: string) => app.request('/logout', { method: 'POST', headers: { Cookie: cookie, Origin: PUBLIC_URL } });

describe('SP-initiated Single Logout', () => {
  it('/logout sends a signed LogoutRequest; the signed LogoutResponse completes it once', async () => {
    const s = await signedIn('redirect');
    const res = await logout(s.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('Set-Cookie')).toMatch(/__Host-bridge_session=;/);
    const sent = readSpRedirect(res.headers.get('Location')!, spKeys.certificatePem);
    expect(sent.endpoint).toBe('https://idp.test/slo');
    expect(sent.field).toBe('SAMLRequest');
    expect(sent.xml).toContain('<samlp:LogoutRequest');
    expect(sent.xml).toContain(`<saml:Issuer>${PUBLIC_URL}/saml/${s.company.id}</saml:Issuer>`);
    expect(sent.xml).toContain(`<saml:NameID Format="${EMAIL_FORMAT}">${s.email}</saml:NameID>`);
    expect(sent.xml).toContain('<samlp:SessionIndex>_idx9</samlp:SessionIndex>');
    expect(attrOf(sent.xml, 'Destination')).toBe('https://idp.test/slo');
    const requestId = attrOf(sent.xml, 'ID')!;
    expect((await me(app, s.cookie)).status).toBe(401);

    const answer = signRedirect('SAMLResponse', logoutResponseXml({ issuer: idp.entityId, destination: s.sloUrl, inResponseTo: requestId, now }), idp);
    const done = await app.request(`/saml/${s.company.id}/slo?${answer}`);
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe('/');
    const replay = await app.request(`/saml/${s.company.id}/slo?${answer}`);
    expect(replay.status).toBe(403);
    expect(await replay.text()).toContain('<code>unknown_request</code>');
    // A fresh response to the same (used) request: refused too.
    const again = signRedirect('SAMLResponse', logoutResponseXml({ issuer: idp.entityId, inResponseTo: requestId, now }), idp);
    expect((await app.request(`/saml/${s.company.id}/slo?${again}`)).status).toBe(403);

    const logged = await events(s.company, 'saml.logout');
    expect(logged.map((e) => e.data.step)).toEqual(['completed', 'request_sent']);
    expect(logged[0].data).toMatchObject({ flow: 'sp_initiated', inResponseTo: requestId, connection: { id: s.connectionId } });
    expect((await events(s.company, 'saml.logout_refused'))[0]).toMatchObject({ reason: 'unknown_request' });
  });

  it('refuses a LogoutResponse that is unsigned, signed by another key, or expired with the request', async () => {
    const s = await signedIn('redirect');
    const requestId = attrOf(readSpRedirect((await logout(s.cookie)).headers.get('Location')!, spKeys.certificatePem).xml, 'ID')!;
    const xml = logoutResponseXml({ issuer: idp.entityId, inResponseTo: requestId, now });
    const unsigned = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLResponse', xml, idp, { sign: false })}`);
    expect(unsigned.status).toBe(403);
    const forged = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLResponse', xml, generateKeyPair('forger'))}`);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<code>signature_invalid</code>');
    const saved = now;
    now = new Date(saved.getTime() + 11 * 60_000);
    try {
      const late = logoutResponseXml({ issuer: idp.entityId, inResponseTo: requestId, now });
      const res = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLResponse', late, idp)}`);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('<code>unknown_request</code>');
    } finally {
      now = saved;
    }
  });

  it('HTTP-POST IdP: /logout answers an auto-posting page, /api/logout a logoutForm; the POSTed answer completes it', async () => {
    const s = await signedIn('post');
    const page = await logout(s.cookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Security-Policy')).toMatch(/script-src 'nonce-/);
    const sent = readSpPostPage(await page.text(), spKeys.certificatePem);
    expect(sent).toMatchObject({ action: 'https://idp.test/slo', field: 'SAMLRequest' });
    const requestId = attrOf(sent.xml, 'ID')!;
    const done = await app.request(`/saml/${s.connectionId}/slo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: signPost(logoutResponseXml({ issuer: idp.entityId, destination: `${PUBLIC_URL}/saml/${s.company.id}/slo`, inResponseTo: requestId, now }), idp) }).toString(),
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe('/');

    const second = await postAcs(app, s.company.id, idpInitiated(idp, s.company.id, s.email, now));
    const api = await call(app, 'POST', '/api/logout', { headers: { Cookie: second.cookie!, Origin: PUBLIC_URL } });
    expect(api.status).toBe(200);
    expect(api.json.logoutForm.action).toBe('https://idp.test/slo');
    expect(Object.keys(api.json.logoutForm.fields)).toEqual(['SAMLRequest']);
    expect((await me(app, second.cookie)).status).toBe(401);
  });

  it('/api/logout answers logoutUrl for an HTTP-Redirect IdP, and 204 as before without Single Logout', async () => {
    const s = await signedIn('redirect');
    const api = await call(app, 'POST', '/api/logout', { headers: { Cookie: s.cookie, Origin: PUBLIC_URL } });
    expect(api.status).toBe(200);
    expect(readSpRedirect(api.json.logoutUrl, spKeys.certificatePem).field).toBe('SAMLRequest');

    for (const options of [{ signingKey: false }, { sloUrl: false }]) {
      const plain = await signedIn('redirect', options);
      const res = await call(app, 'POST', '/api/logout', { headers: { Cookie: plain.cookie, Origin: PUBLIC_URL } });
      expect(res.status).toBe(204);
      expect((await me(app, plain.cookie)).status).toBe(401);
      const form = await signedIn('redirect', options);
      const landing = await logout(form.cookie);
      expect(landing.status).toBe(303);
      expect(landing.headers.get('Location')).toBe('/');
    }
    expect((await call(app, 'POST', '/api/logout')).status).toBe(204);
  });
});
