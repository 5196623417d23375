/** SAML connection updates, admins using the API through their session, the landing page. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs, spOf } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-06-01T09:00:00Z');
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/admins' });
});
afterAll(async () => {
  await handle?.close();
});

async function companyWithSaml(): Promise<TestCompany> {
  const company = await setupCompany(app, 'Decorumsoft');
  await configureSaml(app, company, idp);
  return company;
}

describe('admins signed in through SAML', () => {
  it('may use the admin API with their session cookie; other users and other companies may not', async () => {
    const company = await companyWithSaml();
    const adminSet = await call(app, 'POST', `/api/companies/${company.id}/permission-sets`, { token: company.key, body: { name: 'Admins', permissions: ['admin'] } });
    const invited = await call(app, 'POST', `/api/companies/${company.id}/users`, {
      token: company.key,
      body: { email: 'boss@decorumsoft.com', workspaceId: company.workspaceId, permissionSetId: adminSet.json.id },
    });
    await call(app, 'POST', new URL(invited.json.invitationUrl).pathname);
    await confirmedUser(app, company, 'staff@decorumsoft.com');

    const boss = await postAcs(app, company.id, idpInitiated(idp, company.id, 'boss@decorumsoft.com', now));
    const asBoss = await call(app, 'POST', `/api/companies/${company.id}/workspaces`, { headers: { Cookie: boss.cookie! }, body: { name: 'By the boss' } });
    expect(asBoss.status).toBe(201);
    const audit = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=workspace.created&limit=1`, { headers: { Cookie: boss.cookie! } });
    expect(audit.json.events[0].actor).toEqual({ type: 'user', id: invited.json.id });

    const staff = await postAcs(app, company.id, idpInitiated(idp, company.id, 'staff@decorumsoft.com', now));
    expect((await call(app, 'GET', `/api/companies/${company.id}/workspaces`, { headers: { Cookie: staff.cookie! } })).status).toBe(401);
    const other = await setupCompany(app);
    expect((await call(app, 'GET', `/api/companies/${other.id}/workspaces`, { headers: { Cookie: boss.cookie! } })).status).toBe(404);
    // A form post (what a cross-site page could send) is refused before it reaches the route: it
    // carries the cookie but not our Origin (test/http/csrf.test.ts); from our own page it is a 415.
    const form = await app.request(`/api/companies/${company.id}/workspaces`, {
      method: 'POST',
      headers: { Cookie: boss.cookie!, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'name=csrf',
    });
    expect(form.status).toBe(403);
    const ownForm = await app.request(`/api/companies/${company.id}/workspaces`, {
      method: 'POST',
      headers: { Cookie: boss.cookie!, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://bridge.test' },
      body: 'name=csrf',
    });
    expect(ownForm.status).toBe(415);
  });

  it('the landing page shows who is signed in, and /logout signs out', async () => {
    const company = await companyWithSaml();
    await confirmedUser(app, company, 'page@decorumsoft.com');
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'page@decorumsoft.com', now));
    const page = await app.request('/', { headers: { Cookie: res.cookie! } });
    expect(await page.text()).toContain('page@decorumsoft.com');
    const out = await app.request('/logout', { method: 'POST', headers: { Cookie: res.cookie!, Origin: 'https://bridge.test' } });
    expect(out.status).toBe(303);
    expect(out.headers.get('Set-Cookie')).toMatch(/Max-Age=0/);
    expect(await (await app.request('/', { headers: { Cookie: res.cookie! } })).text()).toContain('Not signed in');
  });
});

describe('updating a SAML connection', () => {
  it('keeps the settings a PUT leaves out (new metadata does not reset SHA-1, mapping or overrides); null clears', async () => {
    const company = await setupCompany(app);
    await configureSaml(app, company, idp, { allowSha1: true, attributeMapping: { email: 'mail' }, spEntityId: 'urn:legacy:sp' });
    const rotated = await configureSaml(app, company, idp);
    expect(rotated).toMatchObject({ allowSha1: true, attributeMapping: { email: 'mail' }, spEntityId: 'urn:legacy:sp' });
    const cleared = await configureSaml(app, company, idp, { spEntityId: null, allowSha1: false });
    expect(cleared).toMatchObject({ allowSha1: false, spEntityId: spOf(company.id).entityId });
  });
});
