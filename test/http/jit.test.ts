/**
 * Just-in-time provisioning end to end: signed IdP-initiated responses against the seed's rules,
 * support exceptions, the settings a company admin may and may not change, explain, and a burst of
 * simultaneous first logins of one person.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { memberships, users } from '../../src/store/schema.js';
import { asOperator, call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me, postAcs, startSpLogin } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-06-01T09:00:00Z');
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/entra' });
});
afterAll(async () => {
  await handle?.close();
});

const admin = (company: TestCompany, method: string, path: string, body?: unknown) =>
  call(app, method, `/api/companies/${company.id}${path}`, { token: company.key, ...(body !== undefined ? { body: body as never } : {}) });

/** Decorumsoft with SAML, JIT on, and the seed's confirmed jon.smith@decorumsoft.com. */
async function decorumsoft(): Promise<TestCompany> {
  const company = await setupCompany(app, 'Decorumsoft');
  await configureSaml(app, company, idp);
  await confirmedUser(app, company, 'jon.smith@decorumsoft.com');
  const saved = await admin(company, 'PUT', '/security/jit', {
    enabled: true,
    defaultWorkspaceId: company.workspaceId,
    defaultPermissionSetId: company.permissionSetId,
  });
  expect(saved.status, saved.text).toBe(200);
  return company;
}

const signIn = (company: TestCompany, email: string, extra = {}) => postAcs(app, company.id, idpInitiated(idp, company.id, email, now, extra));

async function lastDecision(company: TestCompany) {
  const res = await admin(company, 'GET', '/audit-events?limit=5');
  return res.json.events.find((e: { action: string }) => e.action.startsWith('saml.login'));
}

async function usersWithEmail(company: TestCompany, email: string) {
  return (await admin(company, 'GET', `/users?email=${encodeURIComponent(email)}`)).json.users;
}

describe('the seed: decorumsoft.com is in the company, decorumsoft.eu is not', () => {
  it('provisions jane.smith@decorumsoft.com at her first IdP-initiated login, into the defaults, signed in', async () => {
    const company = await decorumsoft();
    const res = await signIn(company, 'jane.smith@decorumsoft.com', { attributes: { firstName: 'Jane', lastName: 'Smith' } });
    expect(res.status).toBe(303);
    expect(res.setCookie).toMatch(/bridge_session=/);
    const [jane] = await usersWithEmail(company, 'jane.smith@decorumsoft.com');
    expect(jane).toMatchObject({
      status: 'active',
      provisionedBy: 'jit',
      confirmedVia: 'saml',
      firstName: 'Jane',
      lastName: 'Smith',
      memberships: [{ workspaceId: company.workspaceId, permissionSetId: company.permissionSetId }],
    });
    const who = await me(app, res.cookie);
    expect(who.json.user.id).toBe(jane.id);
    expect(who.json.workspace.id).toBe(company.workspaceId);
    const events = (await admin(company, 'GET', '/audit-events?limit=3')).json.events.map((e: { action: string }) => e.action);
    expect(events.slice(0, 2)).toEqual(['saml.login', 'user.provisioned']);
  });

  it('refuses jon.smith@decorumsoft.eu with domain_not_eligible and a page that names the domain', async () => {
    const company = await decorumsoft();
    const res = await signIn(company, 'jon.smith@decorumsoft.eu');
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeNull();
    expect(res.html).toContain('decorumsoft.eu');
    expect(res.html).toContain('domain_not_eligible');
    expect(await usersWithEmail(company, 'jon.smith@decorumsoft.eu')).toEqual([]);
    expect(await lastDecision(company)).toMatchObject({
      action: 'saml.login_refused',
      reason: 'domain_not_eligible',
      data: { email: 'jon.smith@decorumsoft.eu', flow: 'idp_initiated' },
    });
  });

  it('compares domains case-insensitively and treats a subdomain as another domain', async () => {
    const company = await decorumsoft();
    expect((await signIn(company, 'JANE.DOE@DecorumSoft.COM')).status).toBe(303);
    const sub = await signIn(company, 'bob@eu.decorumsoft.com');
    expect(sub.status).toBe(403);
    expect(sub.html).toContain('domain_not_eligible');
  });
});

describe('what does not make a domain eligible', () => {
  it.each([
    ['an impersonation account', async (c: TestCompany) => {
      expect((await asOperator(app, 'POST', `/api/operator/companies/${c.id}/impersonations`, { body: { email: 'support@acme-imp.example' } })).status).toBe(201);
    }, 'acme-imp.example'],
    ['an invited, unconfirmed user', async (c: TestCompany) => {
      expect((await admin(c, 'POST', '/users', { email: 'pending@acme-inv.example', workspaceId: c.workspaceId, permissionSetId: c.permissionSetId })).status).toBe(201);
    }, 'acme-inv.example'],
    ['a suspended user', async (c: TestCompany) => {
      const id = await confirmedUser(app, c, 'gone@acme-sus.example');
      await handle.db.update(users).set({ status: 'suspended' }).where(eq(users.id, id));
    }, 'acme-sus.example'],
  ])('%s', async (_label, arrange, domain) => {
    const company = await decorumsoft();
    await arrange(company);
    const res = await signIn(company, `newcomer@${domain}`);
    expect(res.status).toBe(403);
    expect(res.html).toContain('domain_not_eligible');
    expect(await usersWithEmail(company, `newcomer@${domain}`)).toEqual([]);
  });
});

describe('support exceptions', () => {
  it('an exception makes a domain eligible; after revocation the domain stays eligible through the user who enrolled', async () => {
    const company = await decorumsoft();
    const grant = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/domain-exceptions`, {
      body: { domain: 'DecorumSoft.eu', reason: 'EU subsidiary, ticket 812' },
      headers: { 'X-Operator-Name': 'maria@support' },
    });
    expect(grant.status).toBe(201);
    const explained = await admin(company, 'POST', '/jit/explain', { email: 'jon.smith@decorumsoft.eu', flow: 'idp_initiated' });
    expect(explained.json.decision).toBe('provision');
    expect(JSON.stringify(explained.json.checks)).toContain('maria@support');
    const first = await signIn(company, 'jon.smith@decorumsoft.eu');
    expect(first.status).toBe(303);

    expect((await asOperator(app, 'DELETE', `/api/operator/companies/${company.id}/domain-exceptions/decorumsoft.eu`)).status).toBe(204);
    // jon.smith@decorumsoft.eu is now a confirmed user of the company: the domain stays eligible through him.
    expect((await signIn(company, 'anna@decorumsoft.eu')).status).toBe(303);
  });

  it('revoking before anyone enrolled leaves the domain ineligible', async () => {
    const company = await decorumsoft();
    await asOperator(app, 'POST', `/api/operator/companies/${company.id}/domain-exceptions`, { body: { domain: 'decorumsoft.fr', reason: 'trial' } });
    await asOperator(app, 'DELETE', `/api/operator/companies/${company.id}/domain-exceptions/decorumsoft.fr`);
    const res = await signIn(company, 'luc@decorumsoft.fr');
    expect(res.status).toBe(403);
    expect(res.html).toContain('domain_not_eligible');
  });
});

describe('flows and settings', () => {
  it('never provisions from an SP-initiated response, even for an eligible domain', async () => {
    const company = await decorumsoft();
    const { requestId, cookie } = await startSpLogin(app, company.id);
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'new.person@decorumsoft.com', now, { inResponseTo: requestId }), undefined, cookie);
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeNull();
    expect(res.html).toContain('sp_initiated');
    expect(await usersWithEmail(company, 'new.person@decorumsoft.com')).toEqual([]);
    expect(await lastDecision(company)).toMatchObject({ reason: 'sp_initiated', data: { flow: 'sp_initiated' } });
  });

  it('refuses newcomers while JIT is off, and refuses a response without any email', async () => {
    const company = await setupCompany(app);
    await configureSaml(app, company, idp);
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    const off = await signIn(company, 'jane@decorumsoft.com');
    expect(off.status).toBe(403);
    expect(off.html).toContain('jit_disabled');
    const noEmail = await postAcs(app, company.id, idpInitiated(idp, company.id, 'opaque-id-1234', now, { nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' }));
    expect(noEmail.status).toBe(403);
    expect(noEmail.html).toContain('email_missing');
  });

  it('lets the admin switch JIT on and change defaults, but not off: only support can', async () => {
    const company = await decorumsoft();
    const off = await admin(company, 'PUT', '/security/jit', { enabled: false, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId });
    expect(off.status).toBe(403);
    expect(off.json.error.code).toBe('jit_disable_requires_support');
    expect((await admin(company, 'GET', '/security/jit')).json.enabled).toBe(true);

    const ws2 = await admin(company, 'POST', '/workspaces', { name: 'Newcomers' });
    const changed = await admin(company, 'PUT', '/security/jit', { enabled: true, defaultWorkspaceId: ws2.json.id, defaultPermissionSetId: company.permissionSetId });
    expect(changed.status).toBe(200);
    expect(changed.json.defaultWorkspaceId).toBe(ws2.json.id);

    const disabled = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/jit/disable`, { body: { reason: 'customer request #77' } });
    expect(disabled.status).toBe(200);
    expect(disabled.json.enabled).toBe(false);
    expect((await signIn(company, 'late@decorumsoft.com')).html).toContain('jit_disabled');
    const audit = (await admin(company, 'GET', '/audit-events?limit=10')).json.events;
    expect(audit.find((e: { action: string }) => e.action === 'jit.disabled_by_support')).toMatchObject({ actor: { type: 'operator' }, reason: 'customer request #77' });
    expect(audit.filter((e: { action: string }) => e.action === 'jit_settings.updated').length).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['without SAML', false, (c: TestCompany) => ({ enabled: true, defaultWorkspaceId: c.workspaceId, defaultPermissionSetId: c.permissionSetId }), 'saml_not_configured'],
    ['without defaults', true, () => ({ enabled: true }), 'jit_defaults_required'],
    ['with a workspace of another company', true, (_c: TestCompany, other: TestCompany) => ({ enabled: true, defaultWorkspaceId: other.workspaceId, defaultPermissionSetId: _c.permissionSetId }), 'unknown_workspace'],
    ['with a permission set of another company', true, (c: TestCompany, other: TestCompany) => ({ enabled: true, defaultWorkspaceId: c.workspaceId, defaultPermissionSetId: other.permissionSetId }), 'unknown_permission_set'],
    ['requiring directory membership before SCIM exists', true, (c: TestCompany) => ({ enabled: true, defaultWorkspaceId: c.workspaceId, defaultPermissionSetId: c.permissionSetId, requireDirectoryMembership: true }), 'directory_sync_not_configured'],
    ['with a wrong type', true, () => ({ enabled: 'yes' }), 'invalid_request'],
  ])('refuses enabling %s with a clear 400', async (_label, withSaml, body, code) => {
    const company = await setupCompany(app);
    const other = await setupCompany(app);
    if (withSaml) await configureSaml(app, company, idp);
    const res = await admin(company, 'PUT', '/security/jit', body(company, other));
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect((await admin(company, 'GET', '/security/jit')).json.enabled).toBe(false);
  });

  it("answers 404 for another company's settings, explain and support switch", async () => {
    const a = await decorumsoft();
    const b = await setupCompany(app);
    for (const [method, path, body] of [
      ['GET', '/security/jit', undefined],
      ['PUT', '/security/jit', { enabled: true }],
      ['POST', '/jit/explain', { email: 'x@decorumsoft.com' }],
    ] as const) {
      expect((await call(app, method, `/api/companies/${a.id}${path}`, { token: b.key, ...(body ? { body } : {}) })).status).toBe(404);
    }
    expect((await asOperator(app, 'POST', '/api/operator/companies/cmp_0000000000000000/jit/disable')).status).toBe(404);
  });
});

describe('explain', () => {
  it('tells the admin what the ACS would do, with every check', async () => {
    const company = await decorumsoft();
    const provision = await admin(company, 'POST', '/jit/explain', { email: 'jane.smith@decorumsoft.com', flow: 'idp_initiated' });
    expect(provision.json).toMatchObject({ decision: 'provision', reason: null });
    expect(provision.json.checks.map((c: { check: string }) => c.check)).toContain('domain_eligible');
    const refused = await admin(company, 'POST', '/jit/explain', { email: 'jon.smith@decorumsoft.eu', flow: 'idp_initiated' });
    expect(refused.json).toMatchObject({ decision: 'refuse', reason: 'domain_not_eligible' });
    expect(refused.json.checks.find((c: { outcome: string }) => c.outcome === 'failed').detail).toContain('decorumsoft.eu');
    const sp = await admin(company, 'POST', '/jit/explain', { email: 'jane.smith@decorumsoft.com', flow: 'sp_initiated' });
    expect(sp.json).toMatchObject({ decision: 'refuse', reason: 'sp_initiated' });
    const existing = await admin(company, 'POST', '/jit/explain', { email: 'JON.SMITH@decorumsoft.com', flow: 'sp_initiated' });
    expect(existing.json).toMatchObject({ decision: 'sign_in' });
    // And the ACS agrees with what explain said.
    expect((await signIn(company, 'jon.smith@decorumsoft.eu')).status).toBe(403);
    expect((await signIn(company, 'jane.smith@decorumsoft.com')).status).toBe(303);
    const bad = await admin(company, 'POST', '/jit/explain', { email: 'x@y.z', flow: 'sideways' });
    expect(bad.status).toBe(400);
  });
});

describe('concurrent first logins', () => {
  it('50 simultaneous first logins of one new person create exactly one user and one membership, and all sign in', async () => {
    const company = await decorumsoft();
    const responses = Array.from({ length: 50 }, () => idpInitiated(idp, company.id, 'rush@decorumsoft.com', now));
    const results = await Promise.all(responses.map((r) => postAcs(app, company.id, r)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(303));
    const rows = await handle.db.select().from(users).where(and(eq(users.companyId, company.id), eq(users.emailNormalized, 'rush@decorumsoft.com')));
    expect(rows).toHaveLength(1);
    const links = await handle.db.select().from(memberships).where(eq(memberships.userId, rows[0]!.id));
    expect(links).toHaveLength(1);
    const whoami = await Promise.all(results.slice(0, 5).map((r) => me(app, r.cookie)));
    for (const who of whoami) expect(who.json.user.id).toBe(rows[0]!.id);
    const provisioned = (await admin(company, 'GET', '/audit-events?action=user.provisioned')).json.events;
    expect(provisioned).toHaveLength(1);
  });
});
