/**
 * Several SAML connections in one company, each with its own IdP and SP identity: a response signs
 * people in only at the ACS of the connection it is for, a response posted to the wrong connection is
 * named `wrong_connection`, an assertion ID is burned for every connection of the company, an
 * AuthnRequest is answerable only at the connection that sent it, and the company-level URLs are the
 * first connection's. Sign-ins and refusals name the connection, in the audit log and on the page.
 * (The admin API: saml-connections-admin.test.ts; options: saml-connection-options.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { PUBLIC_URL, configureConnection, confirmedUser, me, postAcs, startSpLogin } from '../support/saml.js';
import { createTestIdp, generateKeyPair, newSamlId } from '../support/test-idp.js';
import type { SignResponseOptions, TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-07-01T09:00:00Z');
let idpA: TestIdp;
let idpB: TestIdp;
const attacker = generateKeyPair('attacker');

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idpA = createTestIdp({ entityId: 'https://idp-a.test/app' });
  idpB = createTestIdp({ entityId: 'https://idp-b.test/app' });
});
afterAll(async () => {
  await handle?.close();
});

interface Connection {
  id: string;
  name: string;
  spEntityId: string;
  acsUrl: string;
}

/** A response from `idp` for `connection`'s SP identity, IdP-initiated unless `extra` says otherwise. */
function responseFor(idp: TestIdp, connection: Connection, email: string, extra: Partial<SignResponseOptions> = {}): string {
  return idp.signResponse({ sp: { entityId: connection.spEntityId, acsUrl: connection.acsUrl }, now, nameId: email, ...extra });
}

/** A company with connections A (its first: the company-level URLs) and B (its own URLs), and a confirmed user. */
async function twoConnections(first = idpA, second = idpB): Promise<{ company: TestCompany; a: Connection; b: Connection; email: string }> {
  const company = await setupCompany(app, 'Twofold');
  const a: Connection = await configureConnection(app, company, first, { name: 'Okta' });
  const b: Connection = await configureConnection(app, company, second, { name: 'Entra' });
  const email = 'pat@twofold.test';
  await confirmedUser(app, company, email);
  return { company, a, b, email };
}

async function auditEvents(company: TestCompany, action: string) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=${action}&limit=20`, { token: company.key });
  expect(res.status, res.text).toBe(200);
  return res.json.events as { action: string; reason: string | null; data: Record<string, any> }[];
}

describe('each connection at its own URLs', () => {
  it('gives the first connection the company-level URLs and the next one its own', async () => {
    const { company, a, b } = await twoConnections();
    expect(a).toMatchObject({ companyUrls: true, spEntityId: `${PUBLIC_URL}/saml/${company.id}`, acsUrl: `${PUBLIC_URL}/saml/${company.id}/acs` });
    expect(b.id).toMatch(/^saml_[a-z0-9]{16}$/);
    expect(b).toMatchObject({ companyUrls: false, spEntityId: `${PUBLIC_URL}/saml/${b.id}`, acsUrl: `${PUBLIC_URL}/saml/${b.id}/acs` });
  });

  it('signs people in at each connection, and the audit event names the connection', async () => {
    const { company, a, b, email } = await twoConnections();
    const viaA = await postAcs(app, company.id, responseFor(idpA, a, email));
    expect(viaA.status, viaA.html).toBe(303);
    expect((await me(app, viaA.cookie)).status).toBe(200);
    // The first connection answers at its own id too: the key names the same connection.
    expect((await postAcs(app, a.id, responseFor(idpA, a, email))).status).toBe(303);
    const viaB = await postAcs(app, b.id, responseFor(idpB, b, email));
    expect(viaB.status, viaB.html).toBe(303);
    expect((await me(app, viaB.cookie)).status).toBe(200);

    const logins = await auditEvents(company, 'saml.login');
    expect(logins.map((e) => e.data.connection)).toEqual([
      { id: b.id, name: 'Entra' },
      { id: a.id, name: 'Okta' },
      { id: a.id, name: 'Okta' },
    ]);
  });

  it('refuses a response for A posted to B as wrong_connection, on the page and in the audit log, and the other way round', async () => {
    const { company, a, b, email } = await twoConnections();
    const toB = await postAcs(app, b.id, responseFor(idpA, a, email));
    expect(toB.status).toBe(403);
    expect(toB.setCookie).toBeNull();
    expect(toB.html).toContain('<code>wrong_connection</code>');
    expect(toB.html).toContain('Single sign-on connection: <strong>Entra</strong>');
    const toA = await postAcs(app, company.id, responseFor(idpB, b, email));
    expect(toA.status).toBe(403);
    expect(toA.html).toContain('<code>wrong_connection</code>');
    expect(toA.html).toContain('Single sign-on connection: <strong>Okta</strong>');

    const refusals = await auditEvents(company, 'saml.login_refused');
    expect(refusals.map((e) => [e.reason, e.data.connection])).toEqual([
      ['wrong_connection', { id: a.id, name: 'Okta' }],
      ['wrong_connection', { id: b.id, name: 'Entra' }],
    ]);
    expect(refusals[1]!.data.detail).toContain(`"Okta" (${a.id})`);
    // Refused, not burned: the response still signs in where it belongs.
    expect((await postAcs(app, company.id, responseFor(idpA, a, email, { assertionId: '_wrong_then_right' }))).status).toBe(303);
  });

  it('never says wrong_connection for what no IdP of the company signed: a forged response for A posted to B stays signature_invalid', async () => {
    const { b, a, email } = await twoConnections();
    const forged = await postAcs(app, b.id, responseFor(idpA, a, email, { signingKey: attacker }));
    expect(forged.status).toBe(403);
    expect(forged.html).toContain('<code>signature_invalid</code>');
  });

  it('burns an assertion ID for every connection of the company: the same ID in a response that verifies at the other connection is replayed', async () => {
    // One IdP (one signing key) with two apps, one per connection: each response verifies at its own connection.
    const keys = generateKeyPair('shared-idp');
    const one = createTestIdp({ entityId: 'https://idp-shared.test/one', keys });
    const two = createTestIdp({ entityId: 'https://idp-shared.test/two', keys });
    const { company, a, b, email } = await twoConnections(one, two);
    const assertionId = newSamlId();
    expect((await postAcs(app, company.id, responseFor(one, a, email, { assertionId }))).status).toBe(303);

    const replayed = await postAcs(app, b.id, responseFor(two, b, email, { assertionId }));
    expect(replayed.status).toBe(403);
    expect(replayed.html).toContain('<code>replayed</code>');
    expect(replayed.html).toContain('Single sign-on connection: <strong>Entra</strong>');
    // The same response with a fresh ID is accepted there: only the ID's earlier use refused it.
    expect((await postAcs(app, b.id, responseFor(two, b, email))).status).toBe(303);
    // And A's own response, whose signature B trusts, posted to B is the wrong connection (not a sign-in).
    const crossed = await postAcs(app, b.id, responseFor(one, a, email));
    expect(crossed.html).toContain('<code>wrong_connection</code>');
  });

  it("refuses an AuthnRequest started at A's /login and answered at B's ACS; A may still answer it", async () => {
    const { company, a, b, email } = await twoConnections();
    const started = await startSpLogin(app, a.id);
    const atB = await postAcs(app, b.id, responseFor(idpB, b, email, { inResponseTo: started.requestId }), undefined, started.cookie);
    expect(atB.status).toBe(403);
    expect(atB.html).toContain('<code>unknown_request</code>');
    const [refusal] = await auditEvents(company, 'saml.login_refused');
    expect(refusal).toMatchObject({ reason: 'unknown_request', data: { connection: { id: b.id, name: 'Entra' } } });

    const atA = await postAcs(app, company.id, responseFor(idpA, a, email, { inResponseTo: started.requestId }), undefined, started.cookie);
    expect(atA.status, atA.html).toBe(303);
  });

  it("answers the company-level URLs and PUT|GET …/saml for the first connection", async () => {
    const { company, a, b, email } = await twoConnections();
    const byCompany = await app.request(`/saml/${company.id}/metadata`);
    const byId = await app.request(`/saml/${a.id}/metadata`);
    const metadata = await byCompany.text();
    expect(metadata).toBe(await byId.text());
    expect(metadata).toContain(`entityID="${PUBLIC_URL}/saml/${company.id}"`);
    expect(await (await app.request(`/saml/${b.id}/metadata`)).text()).toContain(`entityID="${PUBLIC_URL}/saml/${b.id}"`);

    const started = await startSpLogin(app, company.id);
    const answered = await postAcs(app, company.id, responseFor(idpA, a, email, { inResponseTo: started.requestId }), undefined, started.cookie);
    expect(answered.status, answered.html).toBe(303);

    const got = await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key });
    expect(got.json).toMatchObject({ id: a.id, name: 'Okta', companyUrls: true });
    const put = await call(app, 'PUT', `/api/companies/${company.id}/saml`, {
      token: company.key,
      body: { idpEntityId: idpA.entityId, ssoUrl: 'https://idp-a.test/sso2', certificates: [idpA.certificatePem] },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({ id: a.id, idp: { ssoUrl: 'https://idp-a.test/sso2' } });
    const unchanged = await call(app, 'GET', `/api/companies/${company.id}/saml-connections/${b.id}`, { token: company.key });
    expect(unchanged.json.idp.ssoUrl).toBe('https://idp.test/sso');
  });
});

describe('a disabled connection', () => {
  it('refuses its responses as connection_disabled and its /login, while the other connection works', async () => {
    const { company, a, b, email } = await twoConnections();
    const patched = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${b.id}`, { token: company.key, body: { enabled: false } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.enabled).toBe(false);

    const refused = await postAcs(app, b.id, responseFor(idpB, b, email));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('<code>connection_disabled</code>');
    expect(refused.html).toContain('Single sign-on connection: <strong>Entra</strong>');
    const [event] = await auditEvents(company, 'saml.login_refused');
    expect(event).toMatchObject({ reason: 'connection_disabled', data: { connection: { id: b.id, name: 'Entra' } } });

    const login = await app.request(`/saml/${b.id}/login`);
    expect(login.status).toBe(403);
    expect(login.headers.get('Location')).toBeNull();
    expect(await login.text()).toContain('<code>connection_disabled</code>');

    expect((await postAcs(app, company.id, responseFor(idpA, a, email))).status).toBe(303);
    await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${b.id}`, { token: company.key, body: { enabled: true } });
    expect((await postAcs(app, b.id, responseFor(idpB, b, email))).status).toBe(303);
  });
});
