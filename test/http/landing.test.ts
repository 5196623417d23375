/**
 * The landing page sign-ins redirect to, over HTTP after real signed SAML responses through the ACS:
 * "your account was just created" on the session whose sign-in created the account (JIT) and on no
 * other, decided from the database (a second app instance over it answers alike); the link to the
 * admin page for admins only; and the viewport tag on every HTML page a person may see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
/** Another instance over the same database: nothing is kept in a process between requests. */
let otherInstance: TestApp;
const now = new Date();
let idp: TestIdp;

const VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1"/>';
const JUST_CREATED = 'Your account was just created.';

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  otherInstance = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/landing' });
});
afterAll(async () => {
  await handle?.close();
});

/** Decorumsoft with SAML, JIT on, a confirmed member and an admin (permission set holding `admin`). */
async function decorumsoft(): Promise<TestCompany> {
  const company = await setupCompany(app, 'Decorumsoft');
  await configureSaml(app, company, idp);
  await confirmedUser(app, company, 'jon.smith@decorumsoft.com');
  const admins = await call(app, 'POST', `/api/companies/${company.id}/permission-sets`, { token: company.key, body: { name: 'Admins', permissions: ['admin'] } });
  const invited = await call(app, 'POST', `/api/companies/${company.id}/users`, {
    token: company.key,
    body: { email: 'admin@decorumsoft.com', workspaceId: company.workspaceId, permissionSetId: admins.json.id },
  });
  expect((await call(app, 'POST', new URL(invited.json.invitationUrl).pathname)).status).toBe(200);
  const jit = await call(app, 'PUT', `/api/companies/${company.id}/security/jit`, {
    token: company.key,
    body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId },
  });
  expect(jit.status, jit.text).toBe(200);
  return company;
}

async function signIn(company: TestCompany, email: string): Promise<string> {
  const res = await postAcs(app, company.id, idpInitiated(idp, company.id, email, now));
  expect(res.status, res.html).toBe(303);
  expect(res.location).toBe('/');
  return res.cookie!;
}

async function landing(cookie: string | null, on: TestApp = app): Promise<string> {
  const res = await on.request('/', cookie ? { headers: { Cookie: cookie } } : {});
  expect(res.status).toBe(200);
  return res.text();
}

describe('"your account was just created"', () => {
  it('shows on the session of the sign-in that created the account (JIT), on any instance, and not on a later sign-in', async () => {
    const company = await decorumsoft();
    const first = await signIn(company, 'jane.smith@decorumsoft.com');
    const page = await landing(first);
    expect(page).toContain('You are signed in');
    expect(page).toContain(JUST_CREATED);
    expect(page).toContain('jane.smith@decorumsoft.com');
    // Reloading, or being served by another instance, does not change what the database says.
    expect(await landing(first)).toContain(JUST_CREATED);
    expect(await landing(first, otherInstance)).toContain(JUST_CREATED);

    const second = await signIn(company, 'jane.smith@decorumsoft.com');
    expect(second).not.toBe(first);
    const later = await landing(second);
    expect(later).toContain('jane.smith@decorumsoft.com');
    expect(later).not.toContain(JUST_CREATED);
  });

  it('does not show for an invited, confirmed user, nor when signed out', async () => {
    const company = await decorumsoft();
    const page = await landing(await signIn(company, 'jon.smith@decorumsoft.com'));
    expect(page).toContain('jon.smith@decorumsoft.com');
    expect(page).not.toContain(JUST_CREATED);
    const out = await landing(null);
    expect(out).toContain('Not signed in');
    expect(out).not.toContain(JUST_CREATED);
  });
});

describe('the way to the admin page', () => {
  it('is a link to /admin for an admin, and absent for a member', async () => {
    const company = await decorumsoft();
    const admin = await landing(await signIn(company, 'admin@decorumsoft.com'));
    expect(admin).toMatch(/<a class="go" href="\/admin">Open the admin page<\/a>/);
    const member = await landing(await signIn(company, 'jon.smith@decorumsoft.com'));
    expect(member).toContain('You are signed in');
    expect(member).not.toContain('href="/admin"');
    expect(member).not.toContain('admin page');
    // A JIT newcomer gets the default (non-admin) permission set: no link either.
    expect(await landing(await signIn(company, 'jane.smith@decorumsoft.com'))).not.toContain('href="/admin"');
  });
});

describe('every HTML page has the viewport tag', () => {
  it('landing (signed in and out), refusal, invitation (both pages) and admin (all three)', async () => {
    const company = await decorumsoft();
    const pages: Record<string, string> = {};
    const member = await signIn(company, 'jon.smith@decorumsoft.com');
    const admin = await signIn(company, 'admin@decorumsoft.com');
    pages.signedIn = await landing(member);
    pages.signedOut = await landing(null);
    const refused = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon.smith@decorumsoft.eu', now));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('domain_not_eligible');
    pages.refusal = refused.html;

    const invited = await call(app, 'POST', `/api/companies/${company.id}/users`, {
      token: company.key,
      body: { email: 'new.hire@decorumsoft.com', workspaceId: company.workspaceId, permissionSetId: company.permissionSetId },
    });
    const invitation = new URL(invited.json.invitationUrl).pathname;
    pages.invitation = await (await app.request(invitation)).text();
    const accepted = await app.request(invitation, { method: 'POST', headers: { Accept: 'text/html' } });
    expect(accepted.status).toBe(200);
    pages.invitationAccepted = await accepted.text();
    expect(pages.invitationAccepted).toContain('Your account is confirmed');

    for (const [name, cookie, status] of [['adminSignIn', null, 401], ['adminForbidden', member, 403], ['admin', admin, 200]] as const) {
      const res = await app.request('/admin', cookie ? { headers: { Cookie: cookie } } : {});
      expect(res.status, name).toBe(status);
      pages[name] = await res.text();
    }

    for (const [name, html] of Object.entries(pages)) {
      expect(html.match(/<meta name="viewport"[^>]*>/g), name).toHaveLength(1);
      expect(html.replace(/">/g, '"/>'), name).toContain(VIEWPORT);
    }
  });
});
