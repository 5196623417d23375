/**
 * Metadata by URL, refreshed: an IdP's certificate rollover (A → A+B → B) is followed without one
 * failed sign-in, real signed responses posted to the ACS at every step; an unreachable URL keeps the
 * last good copy (audited once per distinct error); the on-demand refresh; two concurrent scheduled
 * runs refresh each due connection once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_REFRESH_TASK, runScheduledMaintenance } from '../../src/services/scheduled.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { defaultBackend, openTestDatabase } from '../support/db.js';
import { idpMetadataXml, metadataApp, scheduledDeps, startMetadataServer } from '../support/metadata.js';
import type { MetadataServer } from '../support/metadata.js';
import { confirmedUser, idpInitiated, postAcs } from '../support/saml.js';
import { createTestIdp, generateKeyPair } from '../support/test-idp.js';
import type { KeyPair, TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let server: MetadataServer;
/** The test's clock, moved forward past each refresh; the app and the scheduled runs read it. */
let clock: Date;
const HOUR = 60 * 60_000;
const later = (ms: number) => (clock = new Date(clock.getTime() + ms));
let keysA: KeyPair;
let keysB: KeyPair;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = metadataApp(handle, { now: () => clock, allowLoopback: true });
  server = await startMetadataServer();
  keysA = generateKeyPair('rollover-a');
  keysB = generateKeyPair('rollover-b');
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

// Only the metadata task: the others act on every company of the shared test database, under this file's clock.
const run = () => runScheduledMaintenance(scheduledDeps(handle, () => clock), clock, [METADATA_REFRESH_TASK]);

/** A company whose first connection is configured from `path` on the test server, serving metadata with `keys` now. */
async function companyByUrl(name: string, idpEntityId: string, path: string, keys: KeyPair[]): Promise<TestCompany & { connectionId: string }> {
  server.answer(path, { xml: idpMetadataXml(idpEntityId, keys.map((k) => k.certificatePem)) });
  const company = await setupCompany(app, name);
  const res = await call(app, 'PUT', `/api/companies/${company.id}/saml`, { token: company.key, body: { metadataUrl: `${server.base}${path}` } });
  expect(res.status, res.text).toBe(200);
  return { ...company, connectionId: res.json.id };
}

async function signIn(idp: TestIdp, company: TestCompany, email: string) {
  return postAcs(app, company.id, idpInitiated(idp, company.id, email, clock));
}

async function auditOf(company: TestCompany, action: string) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=${action}`, { token: company.key });
  expect(res.status, res.text).toBe(200);
  return res.json.events as { reason: string | null; data: Record<string, any>; actor: { type: string; id: string } }[];
}

const fingerprints = (list: { fingerprintSha256: string }[]) => list.map((c) => c.fingerprintSha256);

describe('an IdP certificate rollover, followed by scheduled refreshes', () => {
  it('A, then A+B, then B: no sign-in fails at any step; A is dropped only when a second refresh confirms it gone', async () => {
    clock = new Date('2031-01-10T08:00:00Z');
    const entityId = 'https://idp.test/rollover';
    const signingA = createTestIdp({ entityId, keys: keysA });
    const signingB = createTestIdp({ entityId, keys: keysB });
    const company = await companyByUrl('Rollover', entityId, '/rollover', [keysA]);
    await confirmedUser(app, company, 'rolf@rollover.example');
    const read = async () => (await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key })).json.idp;
    const expectSignIn = async (idp: TestIdp, ok: boolean) => {
      const res = await signIn(idp, company, 'rolf@rollover.example');
      expect(res.status, res.html).toBe(ok ? 303 : 403);
    };
    const fpA = fingerprints((await read()).certificates)[0]!;
    await expectSignIn(signingA, true);
    await expectSignIn(signingB, false); // B is not published yet: the test can tell trusted from not

    // The IdP publishes B beside A: trusted from the next refresh on, while A still signs.
    server.answer('/rollover', { xml: idpMetadataXml(entityId, [keysA.certificatePem, keysB.certificatePem]) });
    later(HOUR + 60_000);
    await run();
    const both = await read();
    expect(both.certificates).toHaveLength(2);
    const fpB = fingerprints(both.certificates).find((fp: string) => fp !== fpA)!;
    expect(both.retiredCertificates).toEqual([]);
    expect(both.metadata).toMatchObject({ fetchedAt: clock.toISOString(), lastError: null });
    await expectSignIn(signingA, true);
    await expectSignIn(signingB, true);

    // The IdP switches to B and drops A: A is retired, still trusted (a response signed a moment ago by A still lands).
    server.answer('/rollover', { xml: idpMetadataXml(entityId, [keysB.certificatePem]) });
    later(HOUR + 60_000);
    await run();
    const switched = await read();
    expect(fingerprints(switched.certificates)).toEqual([fpB]);
    expect(fingerprints(switched.retiredCertificates)).toEqual([fpA]);
    await expectSignIn(signingB, true);
    await expectSignIn(signingA, true);

    // The next refresh confirms A is gone: no longer trusted.
    later(HOUR + 60_000);
    await run();
    const confirmed = await read();
    expect(fingerprints(confirmed.certificates)).toEqual([fpB]);
    expect(confirmed.retiredCertificates).toEqual([]);
    await expectSignIn(signingB, true);
    await expectSignIn(signingA, false);

    const refreshed = await auditOf(company, 'saml_connection.metadata_refreshed');
    expect(refreshed.map((e) => e.data).reverse()).toMatchObject([
      { certificatesAdded: [fpB], certificatesRetired: [], certificatesRemoved: [] },
      { certificatesAdded: [], certificatesRetired: [fpA], certificatesRemoved: [] },
      { certificatesAdded: [], certificatesRetired: [], certificatesRemoved: [fpA] },
    ]);
    expect(refreshed[0]!.actor).toEqual({ type: 'system', id: 'metadata_refresh' });

    // A refresh that finds nothing new records nothing.
    later(HOUR + 60_000);
    await run();
    expect(await auditOf(company, 'saml_connection.metadata_refreshed')).toHaveLength(3);
  });
});

describe('a metadata URL that fails', () => {
  it('keeps the last good copy: sign-ins keep working; the error shows, audited once per distinct error', async () => {
    clock = new Date('2032-02-01T08:00:00Z');
    const idpServer = await startMetadataServer();
    const idp = createTestIdp({ entityId: 'https://idp.test/flaky', keys: keysA });
    idpServer.answer('/flaky', { xml: idpMetadataXml(idp.entityId, [keysA.certificatePem], 'https://idp.test/flaky/sso') });
    const company = await setupCompany(app, 'Flaky');
    const put = await call(app, 'PUT', `/api/companies/${company.id}/saml`, { token: company.key, body: { metadataUrl: `${idpServer.base}/flaky` } });
    expect(put.status, put.text).toBe(200);
    const connection = `/api/companies/${company.id}/saml-connections/${put.json.id}`;
    await confirmedUser(app, company, 'fay@flaky.example');
    await idpServer.close();

    for (let i = 0; i < 3; i++) {
      later(HOUR + 60_000);
      await run();
    }
    const read = (await call(app, 'GET', connection, { token: company.key })).json;
    expect(read.idp).toMatchObject({ ssoUrl: 'https://idp.test/flaky/sso', metadata: { fetchedAt: '2032-02-01T08:00:00.000Z' } });
    expect(read.idp.certificates).toHaveLength(1);
    expect(read.idp.metadata.lastError).toMatch(/^metadata_unreachable: .*127\.0\.0\.1/);
    expect((await signIn(idp, company, 'fay@flaky.example')).status).toBe(303);
    const failed = await auditOf(company, 'saml_connection.metadata_refresh_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ reason: 'metadata_unreachable', data: { metadataUrl: `${idpServer.base}/flaky` } });

    // On demand: a 502 naming the problem; still the same error, so no second audit event.
    const now = await call(app, 'POST', `${connection}/refresh`, { token: company.key });
    expect(now.status, now.text).toBe(502);
    expect(now.json.error.code).toBe('metadata_unreachable');
    expect(now.json.error.message).toMatch(/keeps its last good copy/);
    expect(await auditOf(company, 'saml_connection.metadata_refresh_failed')).toHaveLength(1);
    expect((await signIn(idp, company, 'fay@flaky.example')).status).toBe(303);
  });

  it('refuses metadata that now names another IdP, and an HTTP error, each audited; a good answer clears the error', async () => {
    clock = new Date('2033-03-01T08:00:00Z');
    const idp = createTestIdp({ entityId: 'https://idp.test/renamed', keys: keysA });
    const company = await companyByUrl('Renamed', idp.entityId, '/renamed', [keysA]);
    const connection = `/api/companies/${company.id}/saml-connections/${company.connectionId}`;

    server.answer('/renamed', { xml: idpMetadataXml('https://evil.test/idp', [keysB.certificatePem]) });
    const renamed = await call(app, 'POST', `${connection}/refresh`, { token: company.key });
    expect(renamed.status).toBe(502);
    expect(renamed.json.error.code).toBe('metadata_entity_changed');
    server.answer('/renamed', { status: 500 });
    const broken = await call(app, 'POST', `${connection}/refresh`, { token: company.key });
    expect(broken.json.error).toMatchObject({ code: 'metadata_http_error', message: expect.stringMatching(/HTTP 500/) });
    expect((await auditOf(company, 'saml_connection.metadata_refresh_failed')).map((e) => e.reason)).toEqual(['metadata_http_error', 'metadata_entity_changed']);
    expect((await call(app, 'GET', connection, { token: company.key })).json.idp.entityId).toBe(idp.entityId);

    server.answer('/renamed', { xml: idpMetadataXml(idp.entityId, [keysA.certificatePem], 'https://idp.test/renamed/new-sso') });
    later(60_000);
    const good = await call(app, 'POST', `${connection}/refresh`, { token: company.key });
    expect(good.status, good.text).toBe(200);
    expect(good.json.idp).toMatchObject({
      ssoUrl: 'https://idp.test/renamed/new-sso',
      metadata: { lastError: null, fetchedAt: clock.toISOString(), nextRefreshAt: new Date(clock.getTime() + HOUR).toISOString() },
    });
    const refreshed = await auditOf(company, 'saml_connection.metadata_refreshed');
    expect(refreshed[0]!.data).toMatchObject({ ssoUrl: { from: 'https://idp.test/sso', to: 'https://idp.test/renamed/new-sso' } });
    expect(refreshed[0]!.actor.type).toBe('api_key');
  });

  it('POST …/refresh on a connection without a metadata URL is a 400; another company’s is a 404', async () => {
    const company = await setupCompany(app, 'Manual');
    const manual = await call(app, 'PUT', `/api/companies/${company.id}/saml`, {
      token: company.key,
      body: { idpEntityId: 'https://idp.test/manual', ssoUrl: 'https://idp.test/sso', certificates: [keysA.certificatePem] },
    });
    const res = await call(app, 'POST', `/api/companies/${company.id}/saml-connections/${manual.json.id}/refresh`, { token: company.key });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('metadata_url_missing');
    const other = await setupCompany(app, 'Other');
    expect((await call(app, 'POST', `/api/companies/${other.id}/saml-connections/${manual.json.id}/refresh`, { token: other.key })).status).toBe(404);
  });
});

describe('scheduled refreshes on several instances', () => {
  it('two concurrent runs refresh each due connection once', async () => {
    clock = new Date('2034-04-01T08:00:00Z');
    const paths = ['/due-1', '/due-2', '/due-3', '/due-4'];
    for (const [i, path] of paths.entries()) await companyByUrl(`Due ${i}`, `https://idp.test/due-${i}`, path, [keysA]);
    const saved = paths.map((path) => server.fetches(path));
    expect(saved).toEqual([1, 1, 1, 1]);

    // A second instance: its own connection pool on PostgreSQL (PGlite has one connection per database).
    const second = defaultBackend === 'postgres' ? await openTestDatabase() : handle;
    try {
      later(HOUR + 60_000);
      const [one, two] = await Promise.all([run(), runScheduledMaintenance(scheduledDeps(second, () => clock), clock, [METADATA_REFRESH_TASK])]);
      expect(one.metadata_refresh!.ok && two.metadata_refresh!.ok).toBe(true);
      expect(paths.map((path) => server.fetches(path))).toEqual([2, 2, 2, 2]);
      // Not due again until METADATA_REFRESH_MINUTES later.
      later(30 * 60_000);
      await Promise.all([run(), run()]);
      expect(paths.map((path) => server.fetches(path))).toEqual([2, 2, 2, 2]);
      later(31 * 60_000);
      await run();
      expect(paths.map((path) => server.fetches(path))).toEqual([3, 3, 3, 3]);
    } finally {
      if (second !== handle) await second.close();
    }
  });
});
