/**
 * SAML connections configured from an IdP metadata URL: fetched on save (POST …/saml-connections,
 * PUT …/saml, PATCH), a fetch or parse failure a 400 naming it; never from a private, loopback or
 * link-local address (literal, resolved or redirected to), never over the size limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { idpMetadataXml, metadataApp, startMetadataServer } from '../support/metadata.js';
import type { MetadataServer } from '../support/metadata.js';
import { confirmedUser, idpInitiated, postAcs } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
/** Loopback allowed (METADATA_ALLOW_LOOPBACK_URLS=on, as tests and local development run). */
let app: TestApp;
/** As production: https only, public addresses only. */
let strict: TestApp;
let server: MetadataServer;
let idp: TestIdp;
// After the refresh tests' clocks (2031-2033), so their scheduled runs (same database) never find these rows due,
// and before the test certificates expire (openssl, 3650 days from today).
const now = new Date('2035-06-01T10:00:00Z');

beforeAll(async () => {
  handle = await openTestDatabase();
  app = metadataApp(handle, { now: () => now, allowLoopback: true });
  strict = metadataApp(handle, { now: () => now, allowLoopback: false });
  server = await startMetadataServer();
  idp = createTestIdp({ entityId: 'https://idp.test/by-url' });
  server.answer('/metadata', { xml: idpMetadataXml(idp.entityId, [idp.certificatePem], 'https://idp.test/by-url/sso') });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const saml = (company: TestCompany) => `/api/companies/${company.id}/saml`;
const put = (on: TestApp, company: TestCompany, body: Record<string, unknown>) => call(on, 'PUT', saml(company), { token: company.key, body });

describe('a connection from a metadata URL', () => {
  it('is fetched on save; GET shows the URL, when it was fetched and when it is fetched again; sign-in works', async () => {
    const company = await setupCompany(app, 'By URL');
    const url = `${server.base}/metadata`;
    const before = server.fetches('/metadata');
    const res = await call(app, 'POST', `/api/companies/${company.id}/saml-connections`, { token: company.key, body: { metadataUrl: url, name: 'Okta' } });
    expect(res.status, res.text).toBe(201);
    expect(server.fetches('/metadata')).toBe(before + 1);
    expect(res.json.idp).toMatchObject({
      entityId: idp.entityId,
      ssoUrl: 'https://idp.test/by-url/sso',
      retiredCertificates: [],
      metadata: { url, fetchedAt: now.toISOString(), nextRefreshAt: new Date(now.getTime() + 60 * 60_000).toISOString(), lastError: null },
    });
    expect(res.json.idp.certificates).toHaveLength(1);
    const read = await call(app, 'GET', `/api/companies/${company.id}/saml-connections/${res.json.id}`, { token: company.key });
    expect(read.json.idp.metadata.url).toBe(url);

    await confirmedUser(app, company, 'ana@byurl.example');
    const signIn = await postAcs(app, company.id, idpInitiated(idp, company.id, 'ana@byurl.example', now));
    expect(signIn.status, signIn.html).toBe(303);
    expect(signIn.cookie).not.toBeNull();
  });

  it('PUT …/saml takes it too; PATCH to pasted or manual settings ends the URL, PATCH with metadataUrl brings it back', async () => {
    const company = await setupCompany(app, 'Switching');
    const url = `${server.base}/metadata`;
    const first = await put(app, company, { metadataUrl: url });
    expect(first.status, first.text).toBe(200);
    expect(first.json.idp.metadata.url).toBe(url);
    const connection = `/api/companies/${company.id}/saml-connections/${first.json.id}`;

    const manual = await call(app, 'PATCH', connection, { token: company.key, body: { ssoUrl: 'https://idp.test/by-url/other-sso' } });
    expect(manual.status, manual.text).toBe(200);
    expect(manual.json.idp).toMatchObject({ ssoUrl: 'https://idp.test/by-url/other-sso', metadata: null });

    const back = await call(app, 'PATCH', connection, { token: company.key, body: { metadataUrl: url, clockSkewSeconds: 30 } });
    expect(back.status, back.text).toBe(200);
    expect(back.json.idp).toMatchObject({ ssoUrl: 'https://idp.test/by-url/sso', metadata: { url } });
    expect(back.json.options.clockSkewSeconds).toBe(30);

    const both = await call(app, 'PATCH', connection, { token: company.key, body: { metadataUrl: url, metadataXml: '<x/>' } });
    expect(both.status).toBe(400);
    expect(both.json.error.message).toMatch(/metadataXml or metadataUrl, not both/);
    const pasted = await call(app, 'PATCH', connection, { token: company.key, body: { metadataXml: idpMetadataXml(idp.entityId, [idp.certificatePem]) } });
    expect(pasted.json.idp.metadata).toBeNull();
  });

  it.each([
    ['/missing', 'metadata_http_error', /answered HTTP 404/],
    ['/not-metadata', 'metadata_not_idp_metadata', /could not be used/],
    ['/garbage', 'metadata_malformed', /could not be used/],
  ])('a fetch or parse failure on save (%s) is a 400 naming it, and nothing is saved', async (path, code, message) => {
    server.answer('/not-metadata', { xml: '<not-metadata/>' });
    server.answer('/garbage', { xml: 'garbage<' });
    const company = await setupCompany(app, `Broken ${path}`);
    const res = await put(app, company, { metadataUrl: `${server.base}${path}` });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toMatch(message);
    expect((await call(app, 'GET', saml(company), { token: company.key })).status).toBe(404);
  });

  it('an unreachable URL on save is a 400 naming the host', async () => {
    const gone = await startMetadataServer();
    await gone.close();
    const company = await setupCompany(app, 'Unreachable');
    const res = await put(app, company, { metadataUrl: `${gone.base}/metadata` });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe('metadata_unreachable');
    expect(res.json.error.message).toContain(`127.0.0.1:${gone.port}`);
  });
});

describe('metadata URLs never reach inside', () => {
  it.each([
    [`http://127.0.0.1:PORT/metadata`, 'metadata_url_invalid', /must use https/],
    [`https://127.0.0.1:PORT/metadata`, 'metadata_url_refused', /127\.0\.0\.1 is a loopback address/],
    ['https://10.20.30.40/metadata', 'metadata_url_refused', /10\.20\.30\.40 is a private address/],
    ['https://169.254.169.254/latest/meta-data', 'metadata_url_refused', /link-local/],
    ['https://[::1]:PORT/metadata', 'metadata_url_refused', /::1 is a loopback address/],
    ['https://[::ffff:127.0.0.1]:PORT/metadata', 'metadata_url_refused', /loopback/],
    ['https://[fd00::1]/metadata', 'metadata_url_refused', /private/],
    ['https://0.0.0.0:PORT/metadata', 'metadata_url_refused', /unspecified/],
    // A name is judged by what it resolves to (node:dns): localhost is 127.0.0.1 or ::1.
    ['https://localhost:PORT/metadata', 'metadata_url_refused', /localhost \((127\.0\.0\.1|::1)\) is a loopback address/],
    ['https://user:secret@idp.example/metadata', 'metadata_url_invalid', /user name or password/],
    ['ftp://idp.example/metadata', 'metadata_url_invalid', /must use https/],
    ['not a url', 'metadata_url_invalid', /absolute https URL/],
  ])('as in production, %s is refused (%s) before any request', async (template, code, message) => {
    const before = server.fetches('/metadata');
    const company = await setupCompany(strict, 'Inside');
    const res = await put(strict, company, { metadataUrl: template.replace('PORT', String(server.port)) });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toMatch(message);
    expect(server.fetches('/metadata')).toBe(before);
  });

  it('with loopback allowed (development), private and link-local addresses stay refused', async () => {
    const company = await setupCompany(app, 'Private in dev');
    for (const url of ['http://10.0.0.1/metadata', 'http://192.168.1.1/metadata', 'http://[fe80::1]/metadata', 'http://169.254.169.254/']) {
      const res = await put(app, company, { metadataUrl: url });
      expect(res.status, url).toBe(400);
      expect(res.json.error.code, url).toBe('metadata_url_refused');
    }
  });

  it('a redirect is followed only to another allowed address, a few times at most', async () => {
    const xml = idpMetadataXml(idp.entityId, [idp.certificatePem]);
    server.answer('/moved', { redirect: '/metadata-new', status: 301 });
    server.answer('/metadata-new', { xml });
    server.answer('/to-private', { redirect: 'http://10.0.0.7/metadata' });
    server.answer('/to-metadata-service', { redirect: 'http://169.254.169.254/latest/meta-data/', status: 307 });
    server.answer('/to-ipv6-mapped', { redirect: 'http://[::ffff:a00:1]/metadata', status: 308 });
    server.answer('/loop', { redirect: '/loop' });
    const company = await setupCompany(app, 'Redirects');

    const moved = await put(app, company, { metadataUrl: `${server.base}/moved` });
    expect(moved.status, moved.text).toBe(200);
    expect(server.fetches('/metadata-new')).toBe(1);

    for (const path of ['/to-private', '/to-metadata-service', '/to-ipv6-mapped']) {
      const res = await put(app, company, { metadataUrl: `${server.base}${path}` });
      expect(res.status, path).toBe(400);
      expect(res.json.error.code, path).toBe('metadata_url_refused');
    }
    const before = server.fetches('/loop');
    const loop = await put(app, company, { metadataUrl: `${server.base}/loop` });
    expect(loop.json.error.code).toBe('metadata_too_many_redirects');
    expect(server.fetches('/loop') - before).toBe(4);
    // What failed changed nothing: the connection still trusts the metadata of the first save.
    const read = await call(app, 'GET', saml(company), { token: company.key });
    expect(read.json.idp.metadata.url).toBe(`${server.base}/moved`);
  });

  it.each([
    ['with a Content-Length', true],
    ['streamed without one', false],
  ])('a body over the limit is refused, %s', async (_label, declareLength) => {
    const path = `/huge-${declareLength}`;
    server.answer(path, { bytes: 2 * 1024 * 1024, declareLength });
    const company = await setupCompany(app, 'Huge');
    const res = await put(app, company, { metadataUrl: `${server.base}${path}` });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe('metadata_too_large');
    expect(res.json.error.message).toMatch(/524288/);
  });
});
