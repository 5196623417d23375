/**
 * OpenID Connect Back-Channel Logout 1.0 end to end (issue 11): a session that ends (SCIM deactivation
 * or deletion, logout, Single Logout on either binding, a connection removed, a replaced session) makes
 * every application with a back-channel URI that received tokens for it receive a logout_token, POSTed
 * to a real server on 127.0.0.1 and checked with jose against the bridge's JWKS. With the application
 * down (503, then gone), it is delivered once it is back, also by a second bridge over the same
 * database after the first stopped; two senders at once deliver each row once. PGlite and PostgreSQL.
 */
import { and, eq } from 'drizzle-orm';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceDeps } from '../../src/app.js';
import { hashSecret } from '../../src/crypto.js';
import { startBackchannelTimer } from '../../src/node/backchannel-timer.js';
import type { BackchannelTimer } from '../../src/node/backchannel-timer.js';
import { BACKCHANNEL_LOGOUT_EVENT, deliverDueBackchannelLogouts } from '../../src/services/backchannel.js';
import type { ServiceDeps } from '../../src/services/deps.js';
import { rememberSessionApplication } from '../../src/store/backchannel.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { backchannelDeliveries, sessions } from '../../src/store/schema.js';
import { revokeUserSessions } from '../../src/store/sessions.js';
import { call, makeApp, setupCompany, testConfig } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { createApplication, reopenableDatabase, startReceiver, waitFor } from '../support/backchannel.js';
import type { Receiver, ReopenableDatabase } from '../support/backchannel.js';
import { PUBLIC_URL, configureSaml, confirmedUser, idpInitiated } from '../support/saml.js';
import { oktaUser, scim, scimToken } from '../support/scim.js';
import { logoutRequestXml, signPost, signRedirect } from '../support/slo.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

const SESSION = '__Host-bridge_session';
const REF = '__Host-bridge_session_ref';

interface Bridge {
  handle: DatabaseHandle;
  app: TestApp;
  deps: ServiceDeps;
}

let database: ReopenableDatabase;
let bridge: Bridge;
let idp: TestIdp;
let receiver: Receiver;
/** A second application's receiver: it never received tokens for the sessions ended here. */
let bystander: Receiver;
/** Receives logouts; `silent` has no back-channel URI; `other` posts to the bystander. */
const apps = { listening: '', silent: '', other: '' };
let timer: BackchannelTimer | null = null;

/** A bridge process over the test's database: its own handle, app and timer-side dependencies, real clock. */
async function startBridge(): Promise<Bridge> {
  const handle = await database.open();
  return { handle, app: makeApp(handle), deps: serviceDeps(testConfig, handle.db, () => new Date()) };
}

beforeAll(async () => {
  database = await reopenableDatabase();
  bridge = await startBridge();
  idp = createTestIdp({ entityId: 'https://idp.test/backchannel' });
  receiver = await startReceiver();
  bystander = await startReceiver();
  apps.listening = await createApplication(bridge.app, 'Dashboard', receiver.url);
  apps.silent = await createApplication(bridge.app, 'Reports (no back-channel URI)', null);
  apps.other = await createApplication(bridge.app, 'Billing', bystander.url);
});
afterEach(async () => {
  await timer?.stop();
  timer = null;
  receiver.status = 200;
  receiver.delayMs = 0;
  await receiver.start().catch(() => {}); // a test that left it down
});
afterAll(async () => {
  await timer?.stop();
  await receiver?.stop();
  await bystander?.stop();
  await bridge?.handle.close();
  await database?.drop();
});

interface Person {
  company: TestCompany;
  connectionId: string;
  scim: { token: string; base: string };
  email: string;
  userId: string;
  entryId: string;
}

/** A company with SAML (an IdP SLO URL, so Single Logout applies), directory sync, and a confirmed person in its directory. */
async function person(name: string): Promise<Person> {
  const company = await setupCompany(bridge.app, name);
  const saml = await configureSaml(bridge.app, company, idp, { sloUrl: 'https://idp.test/slo', sloBinding: 'post' });
  const directory = await scimToken(bridge.app, company);
  const email = `ana@${company.id.replace('_', '-')}.example`;
  const userId = await confirmedUser(bridge.app, company, email);
  const entry = await scim(bridge.app, directory.token, 'POST', `${directory.base}/Users`, oktaUser(email));
  expect(entry.status, entry.text).toBe(201);
  return { company, connectionId: saml.id, scim: directory, email, userId, entryId: entry.json.id };
}

/** An IdP-initiated sign-in (carrying `cookie` as the browser would); the session id and the browser's cookies. */
async function signIn(p: Person, cookie?: string): Promise<{ sessionId: string; session: string; ref: string }> {
  const res = await bridge.app.request(`/saml/${p.company.id}/acs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams({ SAMLResponse: idpInitiated(idp, p.company.id, p.email, new Date()) }).toString(),
  });
  expect(res.status, await res.clone().text()).toBe(303);
  const cookies = new Map(res.headers.getSetCookie().map((line) => line.split(';')[0]!.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const token = decodeURIComponent(cookies.get(SESSION)!).split('.')[0]!;
  const [row] = await bridge.handle.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.tokenHash, hashSecret(token)));
  return { sessionId: row!.id, session: `${SESSION}=${cookies.get(SESSION)}`, ref: `${REF}=${cookies.get(REF)}` };
}

/** A signed-in person whose session the listening and silent applications received tokens for. */
async function signedInWithTokens(name: string) {
  const p = await person(name);
  const s = await signIn(p);
  await rememberSessionApplication(bridge.handle.db, s.sessionId, apps.listening);
  await rememberSessionApplication(bridge.handle.db, s.sessionId, apps.silent);
  return { p, s };
}

const deactivate = (p: Person) =>
  scim(bridge.app, p.scim.token, 'PATCH', `${p.scim.base}/Users/${p.entryId}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });

const tokensFor = (r: Receiver, sessionId: string, status = 200) => r.received.filter((x) => x.status === status && decodeJwt(x.token).sid === sessionId);

/** The logout token received for `sessionId` (waited for up to `timeoutMs`), verified against the bridge's JWKS. */
async function receivedLogout(sessionId: string, timeoutMs = 5_000, app = bridge.app): Promise<{ payload: JWTPayload; contentType: string | undefined }> {
  const got = await waitFor(`a logout token for ${sessionId}`, () => tokensFor(receiver, sessionId)[0], timeoutMs);
  const jwks = (await (await app.request('/oauth/jwks')).json()) as JSONWebKeySet;
  const { payload } = await jwtVerify(got.token, createLocalJWKSet(jwks), { issuer: testConfig.publicUrl, audience: apps.listening, typ: 'logout+jwt', algorithms: ['RS256'] });
  return { payload, contentType: got.contentType };
}

const deliveryRows = (sessionId: string) => bridge.handle.db.select().from(backchannelDeliveries).where(eq(backchannelDeliveries.sessionId, sessionId));

describe('back-channel logout', () => {
  it('a SCIM deactivation: the application receives a valid logout_token within 5 s; the others get nothing', async () => {
    const { p, s } = await signedInWithTokens('Deactivated Co');
    const started = Date.now();
    expect((await deactivate(p)).status).toBe(200);
    const { payload, contentType } = await receivedLogout(s.sessionId);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(contentType).toBe('application/x-www-form-urlencoded');
    expect(payload).toMatchObject({ iss: PUBLIC_URL, aud: apps.listening, sid: s.sessionId, sub: p.userId, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } });
    expect(payload).not.toHaveProperty('nonce');
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(typeof payload.jti).toBe('string');
    expect(Math.abs(payload.iat! * 1000 - Date.now())).toBeLessThan(10_000);

    // The application without a URI has no row; the one that got no token for the session was not called.
    const rows = await deliveryRows(s.sessionId);
    expect(rows.map((r) => r.applicationId)).toEqual([apps.listening]);
    await waitFor('the delivery recorded', async () => ((await deliveryRows(s.sessionId))[0]!.deliveredAt ? true : undefined));
    expect(bystander.received.filter((x) => decodeJwt(x.token).sid === s.sessionId)).toEqual([]);
    const audit = await call(bridge.app, 'GET', `/api/companies/${p.company.id}/audit-events?action=oidc.backchannel_logout_delivered`, { token: p.company.key });
    expect(audit.json.events[0]).toMatchObject({ actor: { type: 'system' }, target: { type: 'user', id: p.userId }, data: { applicationId: apps.listening, sessionId: s.sessionId, attempts: 1 } });
    expect(tokensFor(receiver, s.sessionId)).toHaveLength(1);
  });

  it('the application answering 503, then down: retried with back-off, delivered once it is back', async () => {
    const { p, s } = await signedInWithTokens('Flaky App Co');
    receiver.status = 503;
    expect((await deactivate(p)).status).toBe(200);
    await waitFor('the refused first attempt', () => tokensFor(receiver, s.sessionId, 503)[0]);
    const first = await waitFor('the failure recorded', async () => (await deliveryRows(s.sessionId)).find((r) => r.attempts === 1));
    expect(first).toMatchObject({ lastError: 'http_503', deliveredAt: null });
    // 2 s after the first failure, which followed the revocation (the row's createdAt) at once.
    expect(first.nextAttemptAt.getTime() - first.createdAt.getTime()).toBeGreaterThanOrEqual(2_000);
    expect(first.nextAttemptAt.getTime() - first.createdAt.getTime()).toBeLessThan(3_500);

    await receiver.stop();
    timer = startBackchannelTimer(bridge.deps, () => {});
    const second = await waitFor('the unreachable second attempt', async () => (await deliveryRows(s.sessionId)).find((r) => r.attempts === 2), 8_000);
    expect(second.lastError).toMatch(/^unreachable/);
    // The second attempt came after the first's next attempt was due, and the next one is 4 s after it.
    expect(second.nextAttemptAt.getTime() - first.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(4_000);

    receiver.status = 200;
    await receiver.start();
    const { payload } = await receivedLogout(s.sessionId, 12_000);
    expect(payload.sid).toBe(s.sessionId);
    const row = await waitFor('the delivery recorded', async () => (await deliveryRows(s.sessionId)).find((r) => r.deliveredAt));
    expect(row.attempts).toBe(3);
    expect(tokensFor(receiver, s.sessionId)).toHaveLength(1);
  });

  it('across a restart: what the first bridge could not deliver, a second one over the same database does', async () => {
    const { p, s } = await signedInWithTokens('Restart Co');
    await receiver.stop();
    expect((await deactivate(p)).status).toBe(200);
    await waitFor('the failed first attempt', async () => ((await deliveryRows(s.sessionId))[0]?.attempts === 1 ? true : undefined));

    // The first bridge stops; the application comes back; a second bridge starts with its Node timer.
    await bridge.handle.close();
    await receiver.start();
    bridge = await startBridge();
    timer = startBackchannelTimer(bridge.deps, () => {});
    const { payload } = await receivedLogout(s.sessionId, 8_000, bridge.app);
    expect(payload).toMatchObject({ sid: s.sessionId, sub: p.userId });
    expect(tokensFor(receiver, s.sessionId)).toHaveLength(1);
  });

  it('two senders at once deliver every row exactly once', async () => {
    const p = await person('Concurrent Co');
    const ended: string[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await signIn(p);
      await rememberSessionApplication(bridge.handle.db, s.sessionId, apps.listening);
      ended.push(s.sessionId);
    }
    // Revoked by the store alone: no request, so nothing is sent until the senders below run.
    expect(await revokeUserSessions(bridge.handle.db, p.company.id, p.userId, new Date())).toBe(6);
    receiver.delayMs = 300;
    // On Postgres a second instance has its own connections; PGlite has one, so its two runs interleave on it.
    const other = database.kind === 'postgres' ? await database.open() : bridge.handle;
    try {
      const otherDeps = serviceDeps(testConfig, other.db, () => new Date());
      const now = new Date();
      const reports = await Promise.all([
        deliverDueBackchannelLogouts(bridge.deps, now, { limit: 4 }),
        deliverDueBackchannelLogouts(otherDeps, now, { limit: 4 }),
        deliverDueBackchannelLogouts(otherDeps, now, { limit: 4 }),
      ]);
      expect(reports.reduce((n, r) => n + r.delivered, 0)).toBe(6);
    } finally {
      if (other !== bridge.handle) await other.close();
    }
    for (const sessionId of ended) expect(tokensFor(receiver, sessionId)).toHaveLength(1);
  });

  const endings: [string, (p: Person, s: { sessionId: string; session: string; ref: string }) => Promise<void>][] = [
    ['a SCIM deletion', async (p) => {
      expect((await scim(bridge.app, p.scim.token, 'DELETE', `${p.scim.base}/Users/${p.entryId}`)).status).toBe(204);
    }],
    ['a logout', async (_p, s) => {
      expect((await call(bridge.app, 'POST', '/api/logout', { headers: { Cookie: s.session, Origin: PUBLIC_URL } })).status).toBeLessThan(300);
    }],
    ['an IdP Single Logout (HTTP-POST)', async (p) => {
      const request = logoutRequestXml({ issuer: idp.entityId, destination: `${PUBLIC_URL}/saml/${p.company.id}/slo`, nameId: p.email, now: new Date() });
      const res = await bridge.app.request(`/saml/${p.company.id}/slo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLRequest: signPost(request, idp) }).toString(),
      });
      expect(res.status).toBeLessThan(500);
    }],
    ['an IdP Single Logout (HTTP-Redirect: a GET)', async (p) => {
      const request = logoutRequestXml({ issuer: idp.entityId, destination: `${PUBLIC_URL}/saml/${p.company.id}/slo`, nameId: p.email, now: new Date() });
      const res = await bridge.app.request(`/saml/${p.company.id}/slo?${signRedirect('SAMLRequest', request, idp)}`);
      expect(res.status).toBeLessThan(500);
    }],
    ['the removal of the SAML connection', async (p) => {
      const res = await call(bridge.app, 'DELETE', `/api/companies/${p.company.id}/saml-connections/${p.connectionId}`, { token: p.company.key });
      expect(res.status, res.text).toBe(204);
    }],
    ['a sign-in on the same browser replacing the session', async (p, s) => {
      await signIn(p, s.ref);
    }],
  ];

  it.each(endings)('%s: the application receives the logout_token', async (name, end) => {
    const { p, s } = await signedInWithTokens(`Ending ${name}`);
    await end(p, s);
    const [revoked] = await bridge.handle.db.select({ at: sessions.revokedAt }).from(sessions).where(eq(sessions.id, s.sessionId));
    expect(revoked!.at).not.toBeNull();
    const { payload } = await receivedLogout(s.sessionId);
    expect(payload).toMatchObject({ sid: s.sessionId, sub: p.userId });
    const rows = await bridge.handle.db
      .select()
      .from(backchannelDeliveries)
      .where(and(eq(backchannelDeliveries.sessionId, s.sessionId), eq(backchannelDeliveries.applicationId, apps.silent)));
    expect(rows).toEqual([]);
  });
});
