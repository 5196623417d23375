/**
 * POST …/jit/explain names the SAML connection it explains (`connectionId`, default the company's
 * first) and, like the ACS, refuses first what that connection refuses: connection_disabled, and
 * idp_initiated_disabled for an IdP-initiated sign-in. The ACS agrees with each answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureConnection, confirmedUser, postAcs } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-10-01T09:00:00Z');
let idpA: TestIdp;
let idpB: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idpA = createTestIdp({ entityId: 'https://idp-explain.test/a' });
  idpB = createTestIdp({ entityId: 'https://idp-explain.test/b' });
});
afterAll(async () => {
  await handle?.close();
});

const email = 'lee@explain.test';

async function explain(company: TestCompany, body: Record<string, unknown>) {
  return call(app, 'POST', `/api/companies/${company.id}/jit/explain`, { token: company.key, body: { email, ...body } });
}

async function patch(company: TestCompany, connectionId: string, body: Record<string, unknown>) {
  const res = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${connectionId}`, { token: company.key, body });
  expect(res.status, res.text).toBe(200);
}

describe('jit/explain names the connection', () => {
  it('answers connection null and saml_not_configured for a company without one', async () => {
    const company = await setupCompany(app, 'Bare');
    const res = await explain(company, {});
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ decision: 'refuse', reason: 'saml_not_configured', connection: null });
  });

  it("explains the first connection by default, another by connectionId, and 404s a connection of another company", async () => {
    const company = await setupCompany(app, 'Explained');
    const a = await configureConnection(app, company, idpA, { name: 'Okta' });
    const b = await configureConnection(app, company, idpB, { name: 'Entra', idpInitiatedAllowed: false });
    await confirmedUser(app, company, email);

    const byDefault = await explain(company, {});
    expect(byDefault.status, byDefault.text).toBe(200);
    expect(byDefault.json).toMatchObject({ decision: 'sign_in', reason: null, connection: { id: a.id, name: 'Okta', enabled: true, idpInitiatedAllowed: true } });
    expect(byDefault.json.checks.map((c: { check: string }) => c.check)).not.toContain('connection');

    const atB = await explain(company, { connectionId: b.id });
    expect(atB.json).toMatchObject({ decision: 'refuse', reason: 'idp_initiated_disabled', connection: { id: b.id, name: 'Entra', enabled: true, idpInitiatedAllowed: false } });
    expect(atB.json.checks[0]).toMatchObject({ check: 'connection', outcome: 'failed' });
    expect(atB.json.checks.slice(1).every((c: { outcome: string }) => c.outcome === 'skipped')).toBe(true);
    // SP-initiated, the same connection lets the person in.
    expect((await explain(company, { connectionId: b.id, flow: 'sp_initiated' })).json).toMatchObject({ decision: 'sign_in', connection: { id: b.id } });

    const other = await setupCompany(app, 'Other');
    const theirs = await configureConnection(app, other, idpA);
    const foreign = await explain(company, { connectionId: theirs.id });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('not_found');
    expect((await explain(company, { connectionId: 42 })).status).toBe(400);
  });

  it('says connection_disabled for a disabled connection, whatever the flow, and the ACS agrees', async () => {
    const company = await setupCompany(app, 'Switched off');
    const a = await configureConnection(app, company, idpA, { name: 'Okta' });
    await confirmedUser(app, company, email);
    await patch(company, a.id, { enabled: false });
    for (const flow of ['idp_initiated', 'sp_initiated']) {
      const res = await explain(company, { flow });
      expect(res.json, flow).toMatchObject({ decision: 'refuse', reason: 'connection_disabled', connection: { id: a.id, enabled: false } });
    }
    const acs = await postAcs(app, company.id, idpA.signResponse({ sp: { entityId: a.spEntityId, acsUrl: a.acsUrl }, now, nameId: email }));
    expect(acs.html).toContain('<code>connection_disabled</code>');

    await patch(company, a.id, { enabled: true });
    expect((await explain(company, {})).json).toMatchObject({ decision: 'sign_in', connection: { enabled: true } });
  });

  it('keeps a JIT refusal when the connection lets the person through', async () => {
    const company = await setupCompany(app, 'No JIT');
    const a = await configureConnection(app, company, idpA);
    const res = await explain(company, { email: 'stranger@explain.test' });
    expect(res.json).toMatchObject({ decision: 'refuse', reason: 'jit_disabled', connection: { id: a.id } });
  });
});
