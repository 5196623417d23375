/**
 * IdP-initiated Single Logout over HTTP: a signed LogoutRequest (HTTP-Redirect or HTTP-POST) ends the
 * sessions of its NameID from that connection and is answered by a LogoutResponse signed with the SP
 * key, checked here with the SP certificate; unsigned, wrongly signed and unknown-session requests are
 * refused. (SP-initiated logout: slo-sp-initiated.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { PUBLIC_URL, configureSaml, confirmedUser, idpInitiated, me, postAcs } from '../support/saml.js';
import { attrOf, logoutRequestXml, otherEncoding, readSpPostPage, readSpRedirect, setSpSigningKey, signPost, signRedirect, statusCodesOf } from '../support/slo.js';
import { createTestIdp, generateKeyPair } from '../support/test-idp.js';
import type { KeyPair, TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-07-01T09:00:00Z');
let idp: TestIdp;
let spKeys: KeyPair;
let attacker: KeyPair;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/slo-okta' });
  spKeys = generateKeyPair('bridge-sp');
  attacker = generateKeyPair('attacker');
});
afterAll(async () => {
  await handle?.close();
});

interface Setup {
  company: TestCompany;
  connectionId: string;
  sloUrl: string;
  cookie: string;
  email: string;
}

/** A company whose connection does SLO on `binding`, and a user signed in through it (SessionIndex _s1). */
async function signedIn(binding: 'redirect' | 'post', options: { signingKey?: boolean } = {}): Promise<Setup> {
  const company = await setupCompany(app, 'Logoutsoft');
  const saml = await configureSaml(app, company, idp, { sloUrl: 'https://idp.test/slo?tenant=7', sloBinding: binding });
  const connectionId = saml.id as string;
  if (options.signingKey !== false) await setSpSigningKey(handle, connectionId, spKeys);
  const email = `ana.${binding}@logoutsoft.com`;
  await confirmedUser(app, company, email);
  const acs = await postAcs(app, company.id, idpInitiated(idp, company.id, email, now, { sessionIndex: '_s1' }));
  expect(acs.status, acs.html).toBe(303);
  expect((await me(app, acs.cookie)).status).toBe(200);
  return { company, connectionId, sloUrl: `${PUBLIC_URL}/saml/${company.id}/slo`, cookie: acs.cookie!, email };
}

async function lastEvent(company: TestCompany) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?limit=1`, { token: company.key });
  return res.json.events[0];
}

const postSlo = (path: string, fields: Record<string, string>) =>
  app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

describe('IdP-initiated Single Logout', () => {
  it('HTTP-Redirect: ends the session and answers a LogoutResponse signed in the query', async () => {
    const s = await signedIn('redirect');
    const request = logoutRequestXml({ issuer: idp.entityId, destination: s.sloUrl, nameId: s.email, sessionIndexes: ['_s1'], now, id: '_lr1' });
    const res = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLRequest', request, idp, { relayState: 'back to portal' })}`);
    expect(res.status, await res.clone().text()).toBe(302);
    const answer = readSpRedirect(res.headers.get('Location')!, spKeys.certificatePem);
    expect(answer.endpoint).toBe('https://idp.test/slo');
    expect(answer.field).toBe('SAMLResponse');
    expect(answer.relayState).toBe('back to portal');
    expect(answer.xml).toContain('<samlp:LogoutResponse');
    expect(attrOf(answer.xml, 'InResponseTo')).toBe('_lr1');
    expect(attrOf(answer.xml, 'Destination')).toBe('https://idp.test/slo?tenant=7');
    expect(answer.xml).toContain(`<saml:Issuer>${PUBLIC_URL}/saml/${s.company.id}</saml:Issuer>`);
    expect(statusCodesOf(answer.xml)).toEqual(['urn:oasis:names:tc:SAML:2.0:status:Success']);
    expect((await me(app, s.cookie)).status).toBe(401);
    const event = await lastEvent(s.company);
    expect(event.action).toBe('saml.logout');
    expect(event.target).toEqual({ type: 'saml_connection', id: s.connectionId });
    expect(event.data).toMatchObject({ flow: 'idp_initiated', requestId: '_lr1', binding: 'redirect', connection: { id: s.connectionId } });
    expect(event.data.sessionsEnded).toHaveLength(1);
  });

  it('HTTP-POST: ends the session and answers an auto-posting page with an enveloped-signed LogoutResponse', async () => {
    const s = await signedIn('post');
    const request = logoutRequestXml({ issuer: idp.entityId, destination: s.sloUrl, nameId: s.email, now, id: '_lr2' });
    // By connection id too: the key of every /saml/... route.
    const res = await postSlo(`/saml/${s.connectionId}/slo`, { SAMLRequest: signPost(request, idp), RelayState: 'rs-2' });
    const html = await res.text();
    expect(res.status, html).toBe(200);
    const csp = res.headers.get('Content-Security-Policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`<script nonce="${nonce}"`);
    const answer = readSpPostPage(html, spKeys.certificatePem);
    expect(answer.action).toBe('https://idp.test/slo?tenant=7');
    expect(answer.field).toBe('SAMLResponse');
    expect(html).toContain('name="RelayState" value="rs-2"');
    expect(attrOf(answer.xml, 'InResponseTo')).toBe('_lr2');
    expect(statusCodesOf(answer.xml)).toEqual(['urn:oasis:names:tc:SAML:2.0:status:Success']);
    expect((await me(app, s.cookie)).status).toBe(401);
  });

  it('refuses an unsigned request on both bindings, and the session lives on', async () => {
    const s = await signedIn('redirect');
    const request = logoutRequestXml({ issuer: idp.entityId, nameId: s.email, now });
    const get = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLRequest', request, idp, { sign: false })}`);
    expect(get.status).toBe(403);
    expect(await get.text()).toContain('<code>signature_missing</code>');
    const post = await postSlo(`/saml/${s.company.id}/slo`, { SAMLRequest: Buffer.from(request).toString('base64') });
    expect(post.status).toBe(403);
    expect(await post.text()).toContain('<code>signature_missing</code>');
    expect((await me(app, s.cookie)).status).toBe(200);
    const event = await lastEvent(s.company);
    expect(event).toMatchObject({ action: 'saml.logout_refused', reason: 'signature_missing' });
  });

  it('refuses a request signed by another key, on both bindings', async () => {
    const s = await signedIn('post');
    const request = logoutRequestXml({ issuer: idp.entityId, nameId: s.email, now });
    const get = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLRequest', request, attacker)}`);
    expect(get.status).toBe(403);
    expect(await get.text()).toContain('<code>signature_invalid</code>');
    const post = await postSlo(`/saml/${s.company.id}/slo`, { SAMLRequest: signPost(request, attacker) });
    expect(post.status).toBe(403);
    expect(await post.text()).toContain('<code>signature_invalid</code>');
    // Signed by the IdP, but naming another issuer.
    const foreign = logoutRequestXml({ issuer: 'https://evil.test/idp', nameId: s.email, now });
    const wrongIssuer = await postSlo(`/saml/${s.company.id}/slo`, { SAMLRequest: signPost(foreign, idp) });
    expect(wrongIssuer.status).toBe(403);
    expect(await wrongIssuer.text()).toContain('<code>issuer_mismatch</code>');
    expect((await me(app, s.cookie)).status).toBe(200);
  });

  it('answers Requester/UnknownPrincipal, signed, for a request naming no live session', async () => {
    const s = await signedIn('redirect');
    const other = logoutRequestXml({ issuer: idp.entityId, nameId: 'nobody@logoutsoft.com', now, id: '_lr3' });
    const res = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLRequest', other, idp)}`);
    expect(res.status).toBe(302);
    const answer = readSpRedirect(res.headers.get('Location')!, spKeys.certificatePem);
    expect(statusCodesOf(answer.xml)).toEqual(['urn:oasis:names:tc:SAML:2.0:status:Requester', 'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal']);
    // Another SessionIndex than the session's: not that session either.
    const index = logoutRequestXml({ issuer: idp.entityId, nameId: s.email, sessionIndexes: ['_other'], now });
    const byIndex = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLRequest', index, idp)}`);
    expect(statusCodesOf(readSpRedirect(byIndex.headers.get('Location')!, spKeys.certificatePem).xml)[1]).toBe('urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal');
    expect((await me(app, s.cookie)).status).toBe(200);
    expect(await lastEvent(s.company)).toMatchObject({ action: 'saml.logout_refused', reason: 'unknown_session' });
  });

  it('verifies the query octets as received (§3.4.4.1), not as re-encoded', async () => {
    const s = await signedIn('redirect');
    const request = logoutRequestXml({ issuer: idp.entityId, nameId: s.email, now });
    // Signed over lower-case escapes: re-encoding would give other octets and fail; the raw ones verify.
    const query = signRedirect('SAMLRequest', request, idp, { relayState: 'a/b*c', encode: otherEncoding });
    expect(query).toMatch(/%[0-9a-f]{2}/);
    // The same values, re-encoded after signing: the signature no longer covers what was sent.
    const reencoded = query.replace(/%[0-9a-f]{2}/g, (m) => m.toUpperCase());
    const tampered = await app.request(`/saml/${s.company.id}/slo?${reencoded}`);
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<code>signature_invalid</code>');
    expect((await me(app, s.cookie)).status).toBe(200);
    const res = await app.request(`/saml/${s.company.id}/slo?${query}`);
    expect(res.status).toBe(302);
    expect(readSpRedirect(res.headers.get('Location')!, spKeys.certificatePem).relayState).toBe('a/b*c');
    expect((await me(app, s.cookie)).status).toBe(401);
  });

  it('without an SP signing key ends the sessions but refuses to answer, naming why', async () => {
    const s = await signedIn('redirect', { signingKey: false });
    const request = logoutRequestXml({ issuer: idp.entityId, nameId: s.email, now });
    const res = await app.request(`/saml/${s.company.id}/slo?${signRedirect('SAMLRequest', request, idp)}`);
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('<code>sp_signing_key_missing</code>');
    expect((await me(app, s.cookie)).status).toBe(401);
    expect(await lastEvent(s.company)).toMatchObject({ action: 'saml.logout_refused', reason: 'sp_signing_key_missing' });
  });

  it('refuses garbage clearly, never a 500', async () => {
    const s = await signedIn('redirect');
    for (const query of ['', 'SAMLRequest=%%%', 'SAMLRequest=abc&SigAlg=x&Signature=y', 'SAMLRequest=a&SAMLRequest=b']) {
      const res = await app.request(`/saml/${s.company.id}/slo?${query}`);
      expect([400, 403]).toContain(res.status);
    }
    const none = await postSlo(`/saml/${s.company.id}/slo`, {});
    expect(none.status).toBe(400);
    const notXml = await postSlo(`/saml/${s.company.id}/slo`, { SAMLRequest: Buffer.from('hello').toString('base64') });
    expect(notXml.status).toBe(400);
    expect((await app.request('/saml/nosuchcompany/slo?SAMLRequest=x')).status).toBe(404);
  });
});

describe('SP metadata', () => {
  it('lists our SingleLogoutService on both bindings and the signing certificates (current and previous)', async () => {
    const s = await signedIn('redirect');
    const previous = generateKeyPair('bridge-sp-old');
    await setSpSigningKey(handle, s.connectionId, spKeys, previous);
    const xml = await (await app.request(`/saml/${s.company.id}/metadata`)).text();
    expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${s.sloUrl}"`);
    expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${s.sloUrl}"`);
    const body = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    expect(xml.match(/use="signing"/g)).toHaveLength(2);
    expect(xml.replace(/\s+/g, '')).toContain(body(spKeys.certificatePem));
    expect(xml.replace(/\s+/g, '')).toContain(body(previous.certificatePem));
  });
});
