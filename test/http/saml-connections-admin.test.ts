/**
 * The company admin API of SAML connections (`/api/companies/:id/saml-connections`): list (the first
 * first), show, change field by field, remove (its sessions end, its URLs are gone), one IdP entity ID
 * per company, tenant isolation, and bad options refused with a named 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { PUBLIC_URL, configureConnection, confirmedUser, me, postAcs } from '../support/saml.js';
import { createTestIdp, escapeXml } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let now = new Date('2026-09-01T09:00:00Z');
let idpA: TestIdp;
let idpB: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idpA = createTestIdp({ entityId: 'https://idp-admin.test/a' });
  idpB = createTestIdp({ entityId: 'https://idp-admin.test/b' });
});
afterAll(async () => {
  await handle?.close();
});

const path = (company: TestCompany, rest = '') => `/api/companies/${company.id}/saml-connections${rest}`;
const admin = (company: TestCompany, method: string, rest = '', body?: Record<string, unknown>) =>
  call(app, method, path(company, rest), { token: company.key, ...(body ? { body } : {}) });

const certificateBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

function idpMetadata(idp: TestIdp, ssoUrl: string): string {
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${escapeXml(idp.entityId)}">` +
    '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">' +
    `<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certificateBody(idp.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    '</md:KeyDescriptor>' +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${escapeXml(ssoUrl)}"/>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}

describe('listing and showing', () => {
  it('lists the first connection first, and shows each by id', async () => {
    const company = await setupCompany(app, 'Lister');
    expect((await admin(company, 'GET')).json).toEqual({ connections: [] });
    const a = await configureConnection(app, company, idpA, { name: 'Primary' });
    now = new Date(now.getTime() + 1000);
    const b = await configureConnection(app, company, idpB, { name: 'Secondary', enabled: false });
    const listed = await admin(company, 'GET');
    expect(listed.status).toBe(200);
    expect(listed.json.connections.map((c: { id: string }) => c.id)).toEqual([a.id, b.id]);

    const shown = await admin(company, 'GET', `/${b.id}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toEqual(b);
    expect(shown.json).toMatchObject({
      name: 'Secondary',
      enabled: false,
      companyUrls: false,
      metadataUrl: `${PUBLIC_URL}/saml/${b.id}/metadata`,
      loginUrl: `${PUBLIC_URL}/saml/${b.id}/login`,
      idp: { entityId: idpB.entityId, ssoUrl: 'https://idp.test/sso', ssoBinding: 'redirect' },
      options: { clockSkewSeconds: 120, idpInitiatedAllowed: true, defaultLandingPath: null, allowExpiredCertificates: false },
    });
    expect((await admin(company, 'GET', '/saml_0000000000000000')).status).toBe(404);
  });
});

describe('changing a connection', () => {
  it('changes the name, enabled flag and options, and the manual IdP fields one by one, keeping the rest', async () => {
    const company = await setupCompany(app, 'Patcher');
    await configureConnection(app, company, idpA);
    const b = await configureConnection(app, company, idpB, { name: 'Before' });
    const patch = async (body: Record<string, unknown>) => {
      const res = await admin(company, 'PATCH', `/${b.id}`, body);
      expect(res.status, res.text).toBe(200);
      return res.json;
    };
    expect(await patch({ name: '  After  ' })).toMatchObject({ name: 'After', enabled: true });
    expect(await patch({ enabled: false })).toMatchObject({ name: 'After', enabled: false });
    expect(await patch({ clockSkewSeconds: 30, idpInitiatedAllowed: false, defaultLandingPath: '/home' })).toMatchObject({
      enabled: false,
      options: { clockSkewSeconds: 30, idpInitiatedAllowed: false, defaultLandingPath: '/home' },
    });

    const ssoOnly = await patch({ ssoUrl: 'https://idp-admin.test/b/sso' });
    expect(ssoOnly.idp).toMatchObject({ entityId: idpB.entityId, ssoUrl: 'https://idp-admin.test/b/sso', ssoBinding: 'redirect' });
    expect(ssoOnly.idp.certificates).toHaveLength(1);
    expect((await patch({ ssoBinding: 'post' })).idp).toMatchObject({ ssoUrl: 'https://idp-admin.test/b/sso', ssoBinding: 'post' });
    const entityOnly = await patch({ idpEntityId: 'https://idp-admin.test/b-renamed' });
    expect(entityOnly.idp).toMatchObject({ entityId: 'https://idp-admin.test/b-renamed', ssoUrl: 'https://idp-admin.test/b/sso', ssoBinding: 'post' });
    const certificates = await patch({ certificates: [idpB.certificatePem, idpA.certificatePem] });
    expect(certificates.idp.certificates).toHaveLength(2);
    expect(certificates.idp.entityId).toBe('https://idp-admin.test/b-renamed');
    // The options survived every IdP change.
    expect(certificates).toMatchObject({ name: 'After', enabled: false, options: { clockSkewSeconds: 30, idpInitiatedAllowed: false, defaultLandingPath: '/home' } });

    const fromMetadata = await patch({ metadataXml: idpMetadata(idpB, 'https://idp-admin.test/b/metadata-sso') });
    expect(fromMetadata.idp).toMatchObject({ entityId: idpB.entityId, ssoUrl: 'https://idp-admin.test/b/metadata-sso', ssoBinding: 'post' });
    expect(fromMetadata.idp.certificates).toHaveLength(1);
    expect(fromMetadata).toMatchObject({ name: 'After', options: { clockSkewSeconds: 30 } });
    expect((await admin(company, 'GET', `/${b.id}`)).json).toEqual(fromMetadata);
  });

  it('refuses bad options with a named 400, on POST and PATCH, and changes nothing', async () => {
    const company = await setupCompany(app, 'Strict');
    const a = await configureConnection(app, company, idpA);
    const cases: [Record<string, unknown>, string | null][] = [
      [{ clockSkewSeconds: 301 }, null],
      [{ clockSkewSeconds: -1 }, null],
      [{ defaultLandingPath: 'https://elsewhere.test/home' }, 'invalid_landing_path'],
      [{ defaultLandingPath: '//elsewhere.test/home' }, 'invalid_landing_path'],
      [{ name: '' }, null],
    ];
    for (const [body, code] of cases) {
      const patched = await admin(company, 'PATCH', `/${a.id}`, body);
      expect(patched.status, JSON.stringify(body)).toBe(400);
      if (code) expect(patched.json.error.code).toBe(code);
      const created = await admin(company, 'POST', '', { idpEntityId: idpB.entityId, ssoUrl: 'https://idp.test/sso', certificates: [idpB.certificatePem], ...body });
      expect(created.status, JSON.stringify(body)).toBe(400);
      if (code) expect(created.json.error.code).toBe(code);
    }
    expect((await admin(company, 'GET')).json.connections).toHaveLength(1);
    expect((await admin(company, 'GET', `/${a.id}`)).json.options).toMatchObject({ clockSkewSeconds: 120, defaultLandingPath: null });
  });

  it('keeps one connection per IdP entity ID in a company: 409 idp_entity_id_taken on POST and PATCH', async () => {
    const company = await setupCompany(app, 'Unique');
    const a = await configureConnection(app, company, idpA);
    const b = await configureConnection(app, company, idpB);
    const again = await admin(company, 'POST', '', { idpEntityId: idpA.entityId, ssoUrl: 'https://idp.test/sso', certificates: [idpA.certificatePem] });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('idp_entity_id_taken');
    const renamed = await admin(company, 'PATCH', `/${b.id}`, { idpEntityId: idpA.entityId });
    expect(renamed.status).toBe(409);
    expect(renamed.json.error.code).toBe('idp_entity_id_taken');
    const byMetadata = await admin(company, 'PATCH', `/${b.id}`, { metadataXml: idpMetadata(idpA, 'https://idp.test/sso') });
    expect(byMetadata.status).toBe(409);
    // Its own entity ID again is no conflict; another company may trust the same IdP.
    expect((await admin(company, 'PATCH', `/${a.id}`, { idpEntityId: idpA.entityId })).status).toBe(200);
    const other = await setupCompany(app, 'Elsewhere');
    await configureConnection(app, other, idpA);
    expect((await admin(company, 'GET', `/${b.id}`)).json.idp.entityId).toBe(idpB.entityId);
  });
});

describe('removing a connection', () => {
  it('answers 204, ends the sessions it signed in (only those), and its URLs are gone', async () => {
    const company = await setupCompany(app, 'Remover');
    const a = await configureConnection(app, company, idpA, { name: 'Stays' });
    const b = await configureConnection(app, company, idpB, { name: 'Goes' });
    const email = 'rem@remover.test';
    await confirmedUser(app, company, email);
    const signIn = (idp: TestIdp, c: { id: string; spEntityId: string; acsUrl: string }) =>
      postAcs(app, c.id, idp.signResponse({ sp: { entityId: c.spEntityId, acsUrl: c.acsUrl }, now, nameId: email }));
    const viaA = await signIn(idpA, a);
    const viaB = await signIn(idpB, b);
    expect([viaA.status, viaB.status]).toEqual([303, 303]);

    const removed = await admin(company, 'DELETE', `/${b.id}`);
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect((await me(app, viaB.cookie)).status).toBe(401);
    expect((await me(app, viaA.cookie)).status).toBe(200);

    expect((await admin(company, 'GET', `/${b.id}`)).status).toBe(404);
    expect((await admin(company, 'DELETE', `/${b.id}`)).status).toBe(404);
    expect((await app.request(`/saml/${b.id}/metadata`)).status).toBe(404);
    expect((await app.request(`/saml/${b.id}/login`)).status).toBe(404);
    const acs = await signIn(idpB, b);
    expect(acs.status).toBe(404);
    expect(acs.setCookie).toBeNull();
    expect((await admin(company, 'GET')).json.connections.map((c: { id: string }) => c.id)).toEqual([a.id]);

    const [event] = (await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=saml_connection.deleted&limit=1`, { token: company.key })).json.events;
    expect(event).toMatchObject({ data: { name: 'Goes', idpEntityId: idpB.entityId, sessionsEnded: 1 } });
  });
});

describe('tenant isolation', () => {
  it("answers 404 to a company key naming another company's connection, and changes nothing", async () => {
    const mine = await setupCompany(app, 'Mine');
    const theirs = await setupCompany(app, 'Theirs');
    const theirConnection = await configureConnection(app, theirs, idpA, { name: 'Theirs' });
    for (const [method, body] of [['GET'], ['PATCH', { name: 'Hijacked', enabled: false }], ['DELETE']] as const) {
      const res = await admin(mine, method, `/${theirConnection.id}`, body);
      expect(res.status, method).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
    // Nor through their company's path with my key: the same 404 as a company that does not exist.
    const crossPath = await call(app, 'GET', path(theirs, `/${theirConnection.id}`), { token: mine.key });
    expect(crossPath.status).toBe(404);
    expect((await admin(theirs, 'GET', `/${theirConnection.id}`)).json).toMatchObject({ name: 'Theirs', enabled: true });
    expect((await admin(mine, 'GET')).json.connections).toEqual([]);
  });
});
