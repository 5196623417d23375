/**
 * A connection's options at the ACS: idpInitiatedAllowed, defaultLandingPath, clockSkewSeconds, and a
 * session never outliving the assertion's SessionNotOnOrAfter (nor extended by the skew).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { sessions } from '../../src/store/schema.js';
import { SESSION_LIFETIME_MS } from '../../src/services/sessions.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureConnection, confirmedUser, me, postAcs, startSpLogin } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { SignResponseOptions, TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-08-01T09:00:00Z');
let idp: TestIdp;
let other: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp-options.test/first' });
  other = createTestIdp({ entityId: 'https://idp-options.test/second' });
});
afterAll(async () => {
  await handle?.close();
});

interface Connection {
  id: string;
  spEntityId: string;
  acsUrl: string;
}

const email = 'sam@options.test';

/** A company whose second connection (at its own URLs) has `options`; the first one trusts another IdP. */
async function connectionWith(options: Record<string, unknown>): Promise<{ company: TestCompany; connection: Connection }> {
  const company = await setupCompany(app, 'Optioned');
  await configureConnection(app, company, other, { name: 'First' });
  const connection: Connection = await configureConnection(app, company, idp, { name: 'Configured', ...options });
  await confirmedUser(app, company, email);
  return { company, connection };
}

function responseFor(connection: Connection, extra: Partial<SignResponseOptions> = {}): string {
  return idp.signResponse({ sp: { entityId: connection.spEntityId, acsUrl: connection.acsUrl }, now, nameId: email, ...extra });
}

async function setOptions(company: TestCompany, connection: Connection, body: Record<string, unknown>) {
  const res = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${connection.id}`, { token: company.key, body });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

describe('idpInitiatedAllowed', () => {
  it('false: an IdP-initiated response is refused idp_initiated_disabled, an SP-initiated one still signs in', async () => {
    const { company, connection } = await connectionWith({ idpInitiatedAllowed: false });
    const refused = await postAcs(app, connection.id, responseFor(connection));
    expect(refused.status).toBe(403);
    expect(refused.setCookie).toBeNull();
    expect(refused.html).toContain('<code>idp_initiated_disabled</code>');
    expect(refused.html).toContain('Single sign-on connection: <strong>Configured</strong>');
    const events = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=saml.login_refused&limit=1`, { token: company.key });
    expect(events.json.events[0]).toMatchObject({ reason: 'idp_initiated_disabled', data: { flow: 'idp_initiated', connection: { id: connection.id, name: 'Configured' } } });

    const started = await startSpLogin(app, connection.id);
    const signedIn = await postAcs(app, connection.id, responseFor(connection, { inResponseTo: started.requestId }), undefined, started.cookie);
    expect(signedIn.status, signedIn.html).toBe(303);

    await setOptions(company, connection, { idpInitiatedAllowed: true });
    expect((await postAcs(app, connection.id, responseFor(connection))).status).toBe(303);
  });
});

describe('defaultLandingPath', () => {
  it('is where an IdP-initiated sign-in without RelayState lands; a RelayState still wins', async () => {
    const { company, connection } = await connectionWith({ defaultLandingPath: '/welcome?from=idp' });
    expect((await postAcs(app, connection.id, responseFor(connection))).location).toBe('/welcome?from=idp');
    expect((await postAcs(app, connection.id, responseFor(connection), '/reports')).location).toBe('/reports');
    // An SP-initiated sign-in without RelayState goes home, not to the IdP-initiated landing.
    const started = await startSpLogin(app, connection.id);
    expect((await postAcs(app, connection.id, responseFor(connection, { inResponseTo: started.requestId }), undefined, started.cookie)).location).toBe('/');

    expect((await setOptions(company, connection, { defaultLandingPath: null })).options.defaultLandingPath).toBeNull();
    expect((await postAcs(app, connection.id, responseFor(connection))).location).toBe('/');
  });
});

describe('clockSkewSeconds', () => {
  it('a response 200 s early is refused with the default 120 and accepted with 300', async () => {
    const { company, connection } = await connectionWith({});
    const early = () => responseFor(connection, { now: new Date(now.getTime() + 200_000) });
    const refused = await postAcs(app, connection.id, early());
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('<code>assertion_not_yet_valid</code>');

    expect((await setOptions(company, connection, { clockSkewSeconds: 300 })).options.clockSkewSeconds).toBe(300);
    const accepted = await postAcs(app, connection.id, early());
    expect(accepted.status, accepted.html).toBe(303);
  });

  it('a response expired 200 s ago is refused with the default and accepted with 300', async () => {
    const { company, connection } = await connectionWith({});
    const late = () => responseFor(connection, { now: new Date(now.getTime() - 500_000) });
    expect((await postAcs(app, connection.id, late())).html).toContain('<code>assertion_expired</code>');
    await setOptions(company, connection, { clockSkewSeconds: 300 });
    expect((await postAcs(app, connection.id, late())).status).toBe(303);
  });
});

describe("the assertion's SessionNotOnOrAfter", () => {
  it('caps the session, and the skew never extends it', async () => {
    const { connection } = await connectionWith({ clockSkewSeconds: 300 });
    const sessionNotOnOrAfter = new Date(now.getTime() + 30 * 60_000);
    const signedIn = await postAcs(app, connection.id, responseFor(connection, { sessionNotOnOrAfter, sessionIndex: '_idx1' }));
    expect(signedIn.status, signedIn.html).toBe(303);
    const rows = await handle.db.select().from(sessions).where(eq(sessions.connectionId, connection.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.expiresAt.toISOString()).toBe(sessionNotOnOrAfter.toISOString());
    expect(rows[0]).toMatchObject({ nameId: email, sessionIndex: '_idx1' });
  });

  it("leaves the session its own lifetime when the IdP's ends later", async () => {
    const { connection } = await connectionWith({});
    const signedIn = await postAcs(app, connection.id, responseFor(connection, { sessionNotOnOrAfter: new Date(now.getTime() + 24 * 3_600_000) }));
    expect(signedIn.status, signedIn.html).toBe(303);
    const [row] = await handle.db.select().from(sessions).where(eq(sessions.connectionId, connection.id));
    expect(row!.expiresAt.getTime()).toBe(now.getTime() + SESSION_LIFETIME_MS);
  });

  it('gives no live session once SessionNotOnOrAfter has passed, though the skew lets the assertion in', async () => {
    const { connection } = await connectionWith({ clockSkewSeconds: 300 });
    const sessionNotOnOrAfter = new Date(now.getTime() - 60_000);
    const res = await postAcs(app, connection.id, responseFor(connection, { sessionNotOnOrAfter }));
    expect(res.status, res.html).toBe(303);
    const [row] = await handle.db.select().from(sessions).where(eq(sessions.connectionId, connection.id));
    expect(row!.expiresAt.toISOString()).toBe(sessionNotOnOrAfter.toISOString());
    expect((await me(app, res.cookie)).status).toBe(401);
  });
});

describe('strictSecondVerdict', () => {
  it('is off by default, can be switched on and off, and a sign-in works either way', async () => {
    const { company, connection } = await connectionWith({});
    const shown = await call(app, 'GET', `/api/companies/${company.id}/saml-connections/${connection.id}`, { token: company.key });
    expect(shown.json.options.strictSecondVerdict).toBe(false);
    expect((await setOptions(company, connection, { strictSecondVerdict: true })).options.strictSecondVerdict).toBe(true);
    expect((await postAcs(app, connection.id, responseFor(connection))).status).toBe(303);
    const bad = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${connection.id}`, { token: company.key, body: { strictSecondVerdict: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('strictSecondVerdict must be true or false');
    expect((await setOptions(company, connection, { strictSecondVerdict: false })).options.strictSecondVerdict).toBe(false);
    expect((await postAcs(app, connection.id, responseFor(connection))).status).toBe(303);
  });
});
