/**
 * SAML sign-in end to end over HTTP with a test IdP whose keys are generated here: existing users
 * sign in, every refusal is named, audited and sets no cookie, replays fail across app instances,
 * certificates roll over, RelayState stays on our origin (SP-initiated requests: sp-initiated-signin.test.ts).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { users } from '../../src/store/schema.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me, postAcs, spOf } from '../support/saml.js';
import { createTestIdp, generateKeyPair, toBase64 } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let now = new Date('2026-06-01T09:00:00Z');
const clock = () => now;
let idp: TestIdp;
const attacker = generateKeyPair('attacker');

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: clock });
  idp = createTestIdp({ entityId: 'https://idp.test/okta' });
});
afterAll(async () => {
  await handle?.close();
});

async function companyWithSaml(extra: Record<string, unknown> = {}): Promise<TestCompany> {
  const company = await setupCompany(app, 'Decorumsoft');
  await configureSaml(app, company, idp, extra);
  return company;
}

async function lastLoginEvent(company: TestCompany) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?limit=1`, { token: company.key });
  return res.json.events[0];
}

describe('signing in an existing user', () => {
  it('signs an active user in: 303, a Secure HttpOnly SameSite=Lax cookie, and /api/me answers', async () => {
    const company = await companyWithSaml();
    const userId = await confirmedUser(app, company, 'jon.smith@decorumsoft.com');
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'Jon.Smith@decorumsoft.com', now));
    expect(res.status).toBe(303);
    expect(res.location).toBe('/');
    expect(res.setCookie).toMatch(/^__Host-bridge_session=/);
    expect(res.setCookie).toMatch(/HttpOnly/);
    expect(res.setCookie).toMatch(/Secure/);
    expect(res.setCookie).toMatch(/SameSite=Lax/);
    expect(res.setCookie).toMatch(/Path=\//);

    const who = await me(app, res.cookie);
    expect(who.status).toBe(200);
    expect(who.json.user).toMatchObject({ id: userId, email: 'jon.smith@decorumsoft.com', status: 'active' });
    expect(who.json.workspace).toMatchObject({ id: company.workspaceId });
    expect(who.json.permissionSet).toMatchObject({ id: company.permissionSetId });
    expect(await lastLoginEvent(company)).toMatchObject({ action: 'saml.login', reason: null, target: { type: 'user', id: userId } });
  });

  it('confirms an invited user who signs in through the IdP', async () => {
    const company = await companyWithSaml();
    const invited = await call(app, 'POST', `/api/companies/${company.id}/users`, {
      token: company.key,
      body: { email: 'jane@decorumsoft.com', workspaceId: company.workspaceId, permissionSetId: company.permissionSetId },
    });
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jane@decorumsoft.com', now));
    expect(res.status).toBe(303);
    const listed = await call(app, 'GET', `/api/companies/${company.id}/users?email=jane@decorumsoft.com`, { token: company.key });
    expect(listed.json.users[0]).toMatchObject({ id: invited.json.id, status: 'active', confirmedVia: 'saml' });
  });

  it.each(['suspended', 'deprovisioned'] as const)('refuses a %s user', async (status) => {
    const company = await companyWithSaml();
    const userId = await confirmedUser(app, company, `locked-${status}@decorumsoft.com`);
    await handle.db.update(users).set({ status }).where(eq(users.id, userId));
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, `locked-${status}@decorumsoft.com`, now));
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeNull();
    expect(res.html).toContain(`user_${status}`);
    expect(await lastLoginEvent(company)).toMatchObject({ action: 'saml.login_refused', reason: `user_${status}` });
  });

  it('ends the session at logout, server-side: the old cookie no longer works', async () => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'bye@decorumsoft.com');
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'bye@decorumsoft.com', now));
    expect((await me(app, res.cookie)).status).toBe(200);
    const out = await call(app, 'POST', '/api/logout', { headers: { Cookie: res.cookie!, Origin: 'https://bridge.test' } });
    expect(out.status).toBe(204);
    expect((await me(app, res.cookie)).status).toBe(401);
  });

  it('answers 401 without a cookie, with a forged one, and with a validly signed cookie for no session', async () => {
    expect((await me(app, null)).status).toBe(401);
    expect((await me(app, '__Host-bridge_session=abc.def')).status).toBe(401);
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'forge@decorumsoft.com');
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'forge@decorumsoft.com', now));
    const [name, value] = res.cookie!.split('=');
    const tampered = `${name}=${decodeURIComponent(value!).replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'))}`;
    expect((await me(app, tampered)).status).toBe(401);
  });
});

describe('refusals: named, audited, and never a session cookie', () => {
  const cases: [string, (companyId: string) => string, string, number?][] = [
    ['signature by a key that is not configured', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { signingKey: attacker }), 'signature_invalid'],
    ['no signature at all', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { sign: 'none' }), 'signature_missing'],
    ['an assertion changed after signing', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { tamper: (x) => x.replace('jon@decorumsoft.com', 'boss@decorumsoft.com') }), 'signature_invalid'],
    ['another audience', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { audience: 'https://other-sp.example' }), 'audience_mismatch'],
    ['another Recipient', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { recipient: 'https://other-sp.example/acs', destination: null }), 'recipient_mismatch'],
    ['another Destination', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { destination: 'https://other-sp.example/acs' }), 'destination_mismatch'],
    ['another Issuer', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { issuer: 'https://evil.example', assertionIssuer: 'https://evil.example' }), 'issuer_mismatch'],
    ['an expired assertion', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', new Date(now.getTime() - 20 * 60_000)), 'assertion_expired'],
    ['an assertion from the future', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', new Date(now.getTime() + 20 * 60_000)), 'assertion_not_yet_valid'],
    ['a failed Status', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester', assertionCount: 0, sign: 'response' }), 'status_not_success'],
    ['two assertions', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { assertionCount: 2 }), 'assertion_count'],
    ['a SHA-1 signature', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { algorithm: 'sha1' }), 'sha1_not_allowed'],
    ['an unknown InResponseTo', (id) => idpInitiated(idp, id, 'jon@decorumsoft.com', now, { inResponseTo: '_never-issued' }), 'unknown_request'],
    ['a DTD with an entity', (id) => toBase64(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]>${Buffer.from(idpInitiated(idp, id, 'jon@decorumsoft.com', now), 'base64').toString('utf8')}`), 'dtd_forbidden', 400],
    ['something that is not XML', () => toBase64('hello'), 'malformed', 400],
    ['a response over the size limit', () => 'A'.repeat(300 * 1024), 'too_large', 413],
  ];

  it.each(cases)('refuses %s', async (_label, build, reason, status = 403) => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const res = await postAcs(app, company.id, build(company.id));
    expect(res.status).toBe(status);
    expect(res.setCookie).toBeNull();
    expect(res.html).toContain(reason);
    expect(res.html).not.toMatch(/at \w+ \(|node_modules|Error:/);
    if (status === 403 || reason === 'dtd_forbidden' || reason === 'malformed') {
      expect(await lastLoginEvent(company)).toMatchObject({ action: 'saml.login_refused', reason });
    }
  });

  it('refuses a response whose Response signature is broken even though the assertion signature verifies', async () => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const response = idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, {
      sign: 'both',
      tamper: (xml) => xml.replace(/(<ds:SignatureValue>)([A-Za-z0-9+/])/, (_m, tag: string, ch: string) => `${tag}${ch === 'A' ? 'B' : 'A'}`),
    });
    const res = await postAcs(app, company.id, response);
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeNull();
  });

  it('refuses an empty form with a readable page', async () => {
    const company = await companyWithSaml();
    const res = await app.request(`/saml/${company.id}/acs`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(res.status).toBe(400);
    expect(res.headers.get('Set-Cookie')).toBeNull();
    expect(await res.text()).toContain('malformed');
  });

  it('refuses SAML for a company without a connection, and an unknown company', async () => {
    const company = await setupCompany(app);
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now));
    expect(res.status).toBe(403);
    expect(res.html).toContain('saml_not_configured');
    const unknown = await postAcs(app, 'cmp_0000000000000000', idpInitiated(idp, 'cmp_0000000000000000', 'jon@decorumsoft.com', now));
    expect(unknown.status).toBe(404);
  });

  it('refuses a response meant for another company (cross-tenant)', async () => {
    const a = await companyWithSaml();
    const b = await companyWithSaml();
    await confirmedUser(app, b, 'jon@decorumsoft.com');
    // Signed by the IdP both companies trust, addressed to company A, posted to company B's ACS.
    const res = await postAcs(app, b.id, idpInitiated(idp, a.id, 'jon@decorumsoft.com', now));
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeNull();
  });
});

describe('replay protection', () => {
  it('refuses the second use of an assertion, also at another app instance sharing the database', async () => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const response = idpInitiated(idp, company.id, 'jon@decorumsoft.com', now);
    // A second instance: its own app and its own connection pool to the same database.
    const otherHandle = handle.kind === 'postgres' ? await openTestDatabase('postgres') : handle;
    const other = makeApp(otherHandle, { now: clock });
    try {
      expect((await postAcs(app, company.id, response)).status).toBe(303);
      const replay = await postAcs(other, company.id, response);
      expect(replay.status).toBe(403);
      expect(replay.setCookie).toBeNull();
      expect(replay.html).toContain('replayed');
      expect((await postAcs(app, company.id, response)).status).toBe(403);
    } finally {
      if (otherHandle !== handle) await otherHandle.close();
    }
  });
});

describe('certificate rollover', () => {
  it('accepts a new certificate while the old one is still listed, and refuses the old once removed', async () => {
    const rotated = createTestIdp({ entityId: idp.entityId });
    const company = await setupCompany(app, 'Rollover');
    await configureSaml(app, company, idp, { certificates: [idp.certificatePem, rotated.certificatePem] });
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now))).status).toBe(303);
    expect((await postAcs(app, company.id, idpInitiated(rotated, company.id, 'jon@decorumsoft.com', now))).status).toBe(303);

    const connection = await configureSaml(app, company, rotated);
    expect(connection.idp.certificates).toHaveLength(1);
    expect(connection.idp.certificates[0].notAfter).toMatch(/^\d{4}-/);
    const old = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now));
    expect(old.status).toBe(403);
    expect(old.html).toContain('signature_invalid');
    expect((await postAcs(app, company.id, idpInitiated(rotated, company.id, 'jon@decorumsoft.com', now))).status).toBe(303);
  });
});

describe('RelayState', () => {
  it.each([
    ['/dashboard?tab=2#top', '/dashboard?tab=2#top'],
    ['https://bridge.test/reports', '/reports'],
    ['https://evil.example/phish', '/'],
    ['//evil.example/phish', '/'],
    ['/\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/ok\r\nSet-Cookie: x=y', '/'],
  ])('%j lands on %j', async (relay, expected) => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now), relay);
    expect(res.status).toBe(303);
    expect(res.location).toBe(expected);
  });
});

describe('SP metadata and the SAML connection API', () => {
  it('serves SP metadata with the entity ID, the POST ACS, the NameID format and WantAssertionsSigned', async () => {
    const company = await companyWithSaml();
    const res = await app.request(`/saml/${company.id}/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('application/samlmetadata+xml');
    const xml = await res.text();
    const sp = spOf(company.id);
    expect(xml).toContain(`entityID="${sp.entityId}"`);
    expect(xml).toContain(`Location="${sp.acsUrl}"`);
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(xml).toContain('WantAssertionsSigned="true"');
    expect(xml).toContain('nameid-format:emailAddress');
    expect(xml).not.toContain('use="encryption"');
    expect((await app.request('/saml/cmp_0000000000000000/metadata')).status).toBe(404);
  });

  it('accepts encrypted assertions only when the company has an SP encryption key, and publishes its certificate', async () => {
    const spKeys = generateKeyPair('sp-encryption');
    const plain = await companyWithSaml();
    await confirmedUser(app, plain, 'jon@decorumsoft.com');
    const refused = await postAcs(app, plain.id, idpInitiated(idp, plain.id, 'jon@decorumsoft.com', now, { encryptFor: { certificatePem: spKeys.certificatePem } }));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('encryption_not_configured');

    const company = await companyWithSaml({ spEncryption: { privateKeyPem: spKeys.privateKeyPem, certificatePem: spKeys.certificatePem } });
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const ok = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, { encryptFor: { certificatePem: spKeys.certificatePem } }));
    expect(ok.status).toBe(303);
    const metadata = await (await app.request(`/saml/${company.id}/metadata`)).text();
    expect(metadata).toContain('use="encryption"');
    // The private key never comes back out of the API.
    const connection = await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key });
    expect(connection.text).not.toContain('PRIVATE KEY');
  });

  it('answers PUT with {spEntityId, acsUrl, metadataUrl} and GET with the IdP settings and certificate expiry', async () => {
    const company = await setupCompany(app);
    const missing = await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key });
    expect(missing.status).toBe(404);
    const put = await configureSaml(app, company, idp);
    const sp = spOf(company.id);
    expect(put).toMatchObject({ spEntityId: sp.entityId, acsUrl: sp.acsUrl, metadataUrl: `${sp.entityId}/metadata` });
    const got = await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key });
    expect(got.json.idp).toMatchObject({ entityId: idp.entityId, ssoUrl: 'https://idp.test/sso' });
    expect(got.json.idp.certificates[0]).toMatchObject({ expired: false });
    expect(got.json.setupNotes.join(' ')).toContain('Sign-on URL');
  });

  it.each([
    [{ idpEntityId: 'x', ssoUrl: 'https://idp.test/sso', certificates: ['not a cert'] }, 'invalid_certificate'],
    [{ idpEntityId: 'x', ssoUrl: 'https://idp.test/sso', certificates: [] }, 'invalid_request'],
    [{ idpEntityId: 'x', ssoUrl: 'ftp://idp.test/sso', certificates: ['x'] }, 'invalid_url'],
    [{ metadataXml: '<!DOCTYPE x [<!ENTITY a "b">]><x/>' }, 'metadata_dtd_forbidden'],
    [{ metadataXml: '<not-metadata/>' }, 'metadata_not_idp_metadata'],
    [{ metadataXml: 'garbage' }, 'metadata_malformed'],
    [{ idpEntityId: 'x' }, 'invalid_request'],
  ])('refuses a bad connection %j', async (body, code) => {
    const company = await setupCompany(app);
    const res = await call(app, 'PUT', `/api/companies/${company.id}/saml`, { token: company.key, body });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
  });

  it("answers 404 when a company's key reads or writes another company's SAML connection", async () => {
    const a = await setupCompany(app);
    const b = await companyWithSaml();
    const put = await call(app, 'PUT', `/api/companies/${b.id}/saml`, {
      token: a.key,
      body: { idpEntityId: 'https://evil.example', ssoUrl: 'https://evil.example/sso', certificates: [attacker.certificatePem] },
    });
    expect(put.status).toBe(404);
    expect((await call(app, 'GET', `/api/companies/${b.id}/saml`, { token: a.key })).status).toBe(404);
    expect((await call(app, 'GET', `/api/companies/${b.id}/saml`, { token: b.key })).json.idp.entityId).toBe(idp.entityId);
  });
});

