/**
 * SCIM 2.0 over HTTP as Okta and Microsoft Entra drive it (NOTES-scim-clients), and its effects on
 * the product: deactivation locks the dashboard account and revokes its sessions at once, directory
 * membership gates JIT, group mappings choose the workspace. Errors always in SCIM form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, OPERATOR_TOKEN, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me, postAcs } from '../support/saml.js';
import { entraUser, expectScimError, oktaUser, scim, scimToken } from '../support/scim.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-06-01T09:00:00Z');
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/scim-co' });
});
afterAll(async () => {
  await handle?.close();
});

async function connected(): Promise<{ company: TestCompany; token: string; base: string }> {
  const company = await setupCompany(app, 'Directory Co');
  const { token, base } = await scimToken(app, company);
  return { company, token, base };
}

describe('Okta SCIM 2.0 SPEC test sequence', () => {
  it('passes the required steps', async () => {
    const { token, base } = await connected();
    const seed = await scim(app, token, 'POST', `${base}/Users`, oktaUser('first.user@okta.example'));
    expect(seed.status).toBe(201);

    // 1. Test Users endpoint
    const list = await scim(app, token, 'GET', `${base}/Users?count=1&startIndex=1`);
    expect(list.status).toBe(200);
    expect(list.headers.get('Content-Type')).toContain('application/scim+json');
    expect(list.json.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    for (const key of ['itemsPerPage', 'startIndex', 'totalResults']) expect(typeof list.json[key]).toBe('number');
    const first = list.json.Resources[0];
    expect(first.id).toBeTruthy();
    expect(first.name.familyName).toBe('Tester');
    expect(first.userName).toBe('first.user@okta.example');
    expect(first.active).toBe(true);
    expect(first.emails[0].value).toBe('first.user@okta.example');
    expect(first.password).toBeUndefined();

    // 2. Get Users/{{id}}
    const got = await scim(app, token, 'GET', `${base}/Users/${first.id}`);
    expect(got.status).toBe(200);
    expect(got.json.id).toBe(first.id);

    // 3 and 5. An unknown user by filter: 200, empty ListResponse
    const missing = await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq "nobody-xyz@okta.example"')}&startIndex=1&count=100`);
    expect(missing.status).toBe(200);
    expect(missing.json.totalResults).toBe(0);

    // 4. Invalid user by id: 404 with SCIM error
    expectScimError(await scim(app, token, 'GET', `${base}/Users/010101001010101011001010101011`), 404);

    // 6 and 7. Create with realistic values, then read it back
    const created = await scim(app, token, 'POST', `${base}/Users`, oktaUser('Random.User@Okta.example'));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ active: true, userName: 'Random.User@Okta.example', name: { givenName: 'Random.User', familyName: 'Tester' } });
    expect(created.json.schemas).toContain('urn:ietf:params:scim:schemas:core:2.0:User');
    expect(created.headers.get('Location')).toBe(created.json.meta.location);
    expect((await scim(app, token, 'GET', `${base}/Users/${created.json.id}`)).json.userName).toBe('Random.User@Okta.example');

    // 8. Recreating the same user: 409 uniqueness (case-insensitively)
    expectScimError(await scim(app, token, 'POST', `${base}/Users`, oktaUser('random.user@okta.example')), 409, 'uniqueness');

    // 9. Username case sensitivity: the filter finds it whatever the case
    const caps = await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq "RANDOM.USER@OKTA.EXAMPLE"')}`);
    expect(caps.status).toBe(200);
    expect(caps.json.totalResults).toBe(1);

    // 10. Groups endpoint
    expect((await scim(app, token, 'GET', `${base}/Groups`)).status).toBe(200);
  });

  it('deactivates with a no-path PATCH and reactivates; PUT replaces the whole user', async () => {
    const { token, base } = await connected();
    const created = await scim(app, token, 'POST', `${base}/Users`, oktaUser('okta.patch@okta.example'));
    const id = created.json.id;
    const off = await scim(app, token, 'PATCH', `${base}/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(off.status).toBe(200);
    expect(off.json.active).toBe(false);
    // Disabled users are still returned, by id and by filter.
    const filtered = await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq "okta.patch@okta.example"')}`);
    expect(filtered.json.Resources[0].active).toBe(false);
    const put = await scim(app, token, 'PUT', `${base}/Users/${id}`, { ...created.json, active: true, displayName: 'Renamed' });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ active: true, displayName: 'Renamed', id });
  });
});

describe('Microsoft Entra provisioning sequence', () => {
  it('test connection, create, update through value filters and string booleans, disable, delete', async () => {
    const { token, base } = await connected();
    // Test Connection: a random GUID as the matching property.
    const probe = await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "${crypto.randomUUID()}"`)}`, undefined);
    expect(probe.status).toBe(200);
    expect(probe.json.totalResults).toBe(0);
    expect((await scim(app, token, 'GET', `${base}/Schemas`)).json.Resources.length).toBeGreaterThanOrEqual(3);

    const created = await scim(app, token, 'POST', `${base}/Users`, entraUser('ana@entra.example'), 'application/json');
    expect(created.status).toBe(201);
    expect(created.json['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']).toMatchObject({ department: 'Retail' });
    const id = created.json.id;

    const patched = await scim(app, token, 'PATCH', `${base}/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ana.new@entra.example' },
        { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Finance' },
        { op: 'Replace', path: 'name.givenName', value: 'Ana' },
      ],
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.emails[0].value).toBe('ana.new@entra.example');
    expect(patched.json['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].department).toBe('Finance');
    const byEmail = await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('emails[type eq "work"].value eq "ANA.NEW@entra.example"')}`);
    expect(byEmail.json.totalResults).toBe(1);

    const disabled = await scim(app, token, 'PATCH', `${base}/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(disabled.json.active).toBe(false);

    expect((await scim(app, token, 'DELETE', `${base}/Users/${id}`)).status).toBe(204);
    expectScimError(await scim(app, token, 'GET', `${base}/Users/${id}`), 404);
    expectScimError(await scim(app, token, 'DELETE', `${base}/Users/${id}`), 404);
  });

  it('groups: create empty, add members with $ref null, legacy remove, filter by displayName, rename, delete', async () => {
    const { token, base } = await connected();
    const u1 = (await scim(app, token, 'POST', `${base}/Users`, entraUser('u1@entra.example'))).json.id;
    const u2 = (await scim(app, token, 'POST', `${base}/Users`, entraUser('u2@entra.example'))).json.id;
    const group = await scim(app, token, 'POST', `${base}/Groups`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: crypto.randomUUID(),
      displayName: 'Engineering',
      meta: { resourceType: 'Group' },
    });
    expect(group.status, group.text).toBe(201);
    const gid = group.json.id;
    const add = await scim(app, token, 'PATCH', `${base}/Groups/${gid}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: u1 }, { $ref: null, value: u2 }] }],
    });
    expect(add.status).toBe(204);
    expect((await scim(app, token, 'GET', `${base}/Groups/${gid}`)).json.members.map((m: { value: string }) => m.value).sort()).toEqual([u1, u2].sort());

    const remove = await scim(app, token, 'PATCH', `${base}/Groups/${gid}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: u1 }] }],
    });
    expect(remove.status).toBe(204);
    expect((await scim(app, token, 'GET', `${base}/Groups/${gid}`)).json.members.map((m: { value: string }) => m.value)).toEqual([u2]);

    const found = await scim(app, token, 'GET', `${base}/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "engineering"')}`);
    expect(found.json.totalResults).toBe(1);
    expect(found.json.Resources[0].members).toBeUndefined();
    const byMember = await scim(app, token, 'GET', `${base}/Groups?filter=${encodeURIComponent(`members eq "${u2}"`)}`);
    expect(byMember.json.totalResults).toBe(1);

    // Okta's rename carries the group's own id; then Okta's membership push in one PATCH.
    const rename = await scim(app, token, 'PATCH', `${base}/Groups/${gid}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'replace', value: { id: gid, displayName: 'Engineering EU' } },
        { op: 'remove', path: `members[value eq "${u2}"]` },
        { op: 'add', path: 'members', value: [{ value: u1, display: 'u1@entra.example' }] },
      ],
    });
    expect(rename.status, rename.text).toBe(204);
    const after = (await scim(app, token, 'GET', `${base}/Groups/${gid}`)).json;
    expect(after.displayName).toBe('Engineering EU');
    expect(after.members.map((m: { value: string }) => m.value)).toEqual([u1]);
    expectScimError(await scim(app, token, 'POST', `${base}/Groups`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'ENGINEERING EU' }), 409, 'uniqueness');
    expect((await scim(app, token, 'DELETE', `${base}/Groups/${gid}`)).status).toBe(204);
    expectScimError(await scim(app, token, 'GET', `${base}/Groups/${gid}`), 404);
  });
});

describe('errors and tenants', () => {
  it('answers every failure in SCIM form', async () => {
    const { token, base } = await connected();
    expectScimError(await scim(app, null, 'GET', `${base}/Users`), 401);
    expectScimError(await scim(app, 'scim_0000000000000000.nope', 'GET', `${base}/Users`), 401);
    expectScimError(await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter');
    expectScimError(await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('nickName eq "x"')}`), 400, 'invalidFilter');
    expectScimError(await scim(app, token, 'POST', `${base}/Users`, '{"userName":'), 400, 'invalidSyntax');
    expectScimError(await scim(app, token, 'POST', `${base}/Users`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }), 400);
    expectScimError(await scim(app, token, 'POST', `${base}/Users`, 'userName=x', 'text/plain'), 415);
    expectScimError(await scim(app, token, 'GET', `${base}/Nothing`), 404);
    expectScimError(await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq "a')}%00"`), 400, 'invalidValue');
    expectScimError(await scim(app, token, 'POST', `${base}/Users`, '{"userName":"a\\u0000b"}'), 400, 'invalidValue');
    const user = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('err@okta.example'))).json.id;
    expectScimError(
      await scim(app, token, 'PATCH', `${base}/Users/${user}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove' }] }),
      400,
      'noTarget',
    );
    expectScimError(await scim(app, token, 'POST', `${base}/Users`, { userName: 'x'.repeat(2 * 1024 * 1024) }), 413);
  });

  it("never lets one company's token reach another company's directory", async () => {
    const a = await connected();
    const b = await connected();
    const bUser = (await scim(app, b.token, 'POST', `${b.base}/Users`, oktaUser('b.only@b.example'))).json.id;
    const bGroup = (await scim(app, b.token, 'POST', `${b.base}/Groups`, { displayName: 'B team', members: [{ value: bUser }] })).json.id;
    // A's token on B's base URL.
    expectScimError(await scim(app, a.token, 'GET', `${b.base}/Users`), 404);
    // B's ids on A's base URL.
    expectScimError(await scim(app, a.token, 'GET', `${a.base}/Users/${bUser}`), 404);
    expectScimError(await scim(app, a.token, 'PATCH', `${a.base}/Users/${bUser}`, { Operations: [{ op: 'replace', value: { active: false } }] }), 404);
    expectScimError(await scim(app, a.token, 'DELETE', `${a.base}/Groups/${bGroup}`), 404);
    // A's group cannot take B's user as a member.
    const aGroup = await scim(app, a.token, 'POST', `${a.base}/Groups`, { displayName: 'A team', members: [{ value: bUser }] });
    expectScimError(aGroup, 400, 'invalidValue');
    expect((await scim(app, a.token, 'GET', `${a.base}/Users`)).json.totalResults).toBe(0);
    expect((await scim(app, b.token, 'GET', `${b.base}/Users/${bUser}`)).json.active).toBe(true);
  });

  it('revoked tokens stop working at once', async () => {
    const { company, token, base } = await connected();
    const list = await call(app, 'GET', `/api/companies/${company.id}/scim-tokens`, { token: company.key });
    expect(list.json.scimTokens).toHaveLength(1);
    expect(list.text).not.toContain(token.split('.')[1]);
    expect((await call(app, 'DELETE', `/api/companies/${company.id}/scim-tokens/${list.json.scimTokens[0].id}`, { token: company.key })).status).toBe(204);
    expectScimError(await scim(app, token, 'GET', `${base}/Users`), 401);
  });

  it('pages with startIndex and count, in a stable order, with integers', async () => {
    const { token, base } = await connected();
    for (let i = 0; i < 7; i++) await scim(app, token, 'POST', `${base}/Users`, oktaUser(`page${i}@okta.example`));
    const seen: string[] = [];
    for (let start = 1; start <= 7; start += 3) {
      const page = await scim(app, token, 'GET', `${base}/Users?startIndex=${start}&count=3`);
      expect(page.json).toMatchObject({ totalResults: 7, startIndex: start });
      seen.push(...page.json.Resources.map((r: { userName: string }) => r.userName));
    }
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `page${i}@okta.example`));
    const countOnly = await scim(app, token, 'GET', `${base}/Users?count=0`);
    expect(countOnly.json.totalResults).toBe(7);
    expect(countOnly.json.Resources ?? []).toEqual([]);
  });
});

describe('effects on the product', () => {
  async function samlCompany() {
    const ctx = await connected();
    await configureSaml(app, ctx.company, idp);
    return ctx;
  }

  it('deactivation in the IdP suspends the dashboard account and revokes its sessions at once; reactivation restores it', async () => {
    const { company, token, base } = await samlCompany();
    await confirmedUser(app, company, 'lock.me@decorumsoft.com');
    const entry = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('lock.me@decorumsoft.com'))).json.id;
    const signedIn = await postAcs(app, company.id, idpInitiated(idp, company.id, 'lock.me@decorumsoft.com', now));
    expect((await me(app, signedIn.cookie)).status).toBe(200);

    await scim(app, token, 'PATCH', `${base}/Users/${entry}`, { Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect((await me(app, signedIn.cookie)).status).toBe(401);
    const refused = await postAcs(app, company.id, idpInitiated(idp, company.id, 'lock.me@decorumsoft.com', now));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('user_suspended');
    const users = await call(app, 'GET', `/api/companies/${company.id}/users?email=lock.me@decorumsoft.com`, { token: company.key });
    expect(users.json.users[0].status).toBe('suspended');

    await scim(app, token, 'PATCH', `${base}/Users/${entry}`, { Operations: [{ op: 'replace', value: { active: true } }] });
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'lock.me@decorumsoft.com', now))).status).toBe(303);

    await scim(app, token, 'DELETE', `${base}/Users/${entry}`);
    expect((await call(app, 'GET', `/api/companies/${company.id}/users?email=lock.me@decorumsoft.com`, { token: company.key })).json.users[0].status).toBe('suspended');
    // A support impersonation account with a directory user's email is left alone.
    await call(app, 'POST', `/api/operator/companies/${company.id}/impersonations`, { token: OPERATOR_TOKEN, body: { email: 'support@decorumsoft.com' } });
    const supportEntry = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('support@decorumsoft.com'))).json.id;
    await scim(app, token, 'PATCH', `${base}/Users/${supportEntry}`, { Operations: [{ op: 'replace', value: { active: false } }] });
    expect((await call(app, 'GET', `/api/companies/${company.id}/users?email=support@decorumsoft.com`, { token: company.key })).json.users[0].status).toBe('active');
    const audit = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=user.suspended`, { token: company.key });
    expect(audit.json.events.map((e: { reason: string }) => e.reason)).toEqual(['directory_user_deleted', 'directory_user_inactive']);
  });

  it('directory membership gates JIT when the admin asks for it (rule 6)', async () => {
    const { company, token, base } = await samlCompany();
    await confirmedUser(app, company, 'anchor@decorumsoft.com');
    const on = await call(app, 'PUT', `/api/companies/${company.id}/security/jit`, {
      token: company.key,
      body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId, requireDirectoryMembership: true },
    });
    expect(on.status, on.text).toBe(200);

    const outsider = await postAcs(app, company.id, idpInitiated(idp, company.id, 'outsider@decorumsoft.com', now));
    expect(outsider.status).toBe(403);
    expect(outsider.html).toContain('not_in_directory');

    const inactive = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('sleeper@decorumsoft.com', { active: false }))).json.id;
    expect(inactive).toBeTruthy();
    const sleeper = await postAcs(app, company.id, idpInitiated(idp, company.id, 'sleeper@decorumsoft.com', now));
    expect(sleeper.html).toContain('directory_user_inactive');

    await scim(app, token, 'POST', `${base}/Users`, oktaUser('member@decorumsoft.com'));
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'member@decorumsoft.com', now))).status).toBe(303);
    // Matched on an email of the entry, not only its userName (Entra's userName is often a UPN).
    await scim(app, token, 'POST', `${base}/Users`, { userName: 'u-4711', emails: [{ value: 'Alias.Person@DecorumSoft.com', type: 'work' }] });
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'alias.person@decorumsoft.com', now))).status).toBe(303);
    // An internationalised domain matches whether the directory holds it in Unicode or punycode.
    await call(app, 'POST', `/api/operator/companies/${company.id}/domain-exceptions`, { token: OPERATOR_TOKEN, body: { domain: 'bücher.de', reason: 'IDN test' } });
    await scim(app, token, 'POST', `${base}/Users`, { userName: 'u-4712', emails: [{ value: 'Joerg@Bücher.de', type: 'work' }] });
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'joerg@bücher.de', now))).status).toBe(303);
    const explain = await call(app, 'POST', `/api/companies/${company.id}/jit/explain`, { token: company.key, body: { email: 'outsider@decorumsoft.com', flow: 'idp_initiated' } });
    expect(explain.json).toMatchObject({ decision: 'refuse', reason: 'not_in_directory' });
  });

  it('a group mapping chooses the workspace and permission set of a new JIT account', async () => {
    const { company, token, base } = await samlCompany();
    await confirmedUser(app, company, 'anchor@decorumsoft.com');
    await call(app, 'PUT', `/api/companies/${company.id}/security/jit`, {
      token: company.key,
      body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId },
    });
    const sales = (await call(app, 'POST', `/api/companies/${company.id}/workspaces`, { token: company.key, body: { name: 'Sales' } })).json.id;
    const leads = (await call(app, 'POST', `/api/companies/${company.id}/permission-sets`, { token: company.key, body: { name: 'Leads', permissions: ['dashboards:write'] } })).json.id;
    const person = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('seller@decorumsoft.com'))).json.id;
    const group = (await scim(app, token, 'POST', `${base}/Groups`, { displayName: 'Sales team', members: [{ value: person }] })).json.id;
    const mapped = await call(app, 'PUT', `/api/companies/${company.id}/scim/group-mappings/${group}`, { token: company.key, body: { workspaceId: sales, permissionSetId: leads } });
    expect(mapped.status, mapped.text).toBe(200);

    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'seller@decorumsoft.com', now));
    expect(res.status).toBe(303);
    const who = await me(app, res.cookie);
    expect(who.json.workspace.id).toBe(sales);
    expect(who.json.permissionSet.id).toBe(leads);
    // Someone outside the group still gets the defaults.
    const other = await postAcs(app, company.id, idpInitiated(idp, company.id, 'plain@decorumsoft.com', now));
    expect((await me(app, other.cookie)).json.workspace.id).toBe(company.workspaceId);

    const otherCompany = await setupCompany(app);
    expect((await call(app, 'PUT', `/api/companies/${company.id}/scim/group-mappings/${group}`, { token: company.key, body: { workspaceId: otherCompany.workspaceId, permissionSetId: leads } })).status).toBe(400);
    expect((await call(app, 'PUT', `/api/companies/${otherCompany.id}/scim/group-mappings/${group}`, { token: otherCompany.key, body: { workspaceId: otherCompany.workspaceId, permissionSetId: otherCompany.permissionSetId } })).status).toBe(404);
  });

  it('a group mapping also gives existing accounts of its members the mapped workspace, never removing one', async () => {
    const { company, token, base } = await samlCompany();
    const existing = await confirmedUser(app, company, 'veteran@decorumsoft.com');
    const ops = (await call(app, 'POST', `/api/companies/${company.id}/workspaces`, { token: company.key, body: { name: 'Ops' } })).json.id;
    const person = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('veteran@decorumsoft.com'))).json.id;
    const group = (await scim(app, token, 'POST', `${base}/Groups`, { displayName: 'Ops team' })).json.id;
    await call(app, 'PUT', `/api/companies/${company.id}/scim/group-mappings/${group}`, { token: company.key, body: { workspaceId: ops, permissionSetId: company.permissionSetId } });
    const membershipsOf = async () =>
      (await call(app, 'GET', `/api/companies/${company.id}/users?email=veteran@decorumsoft.com`, { token: company.key })).json.users[0].memberships.map((m: { workspaceId: string }) => m.workspaceId).sort();
    expect(await membershipsOf()).toEqual([company.workspaceId]);

    await scim(app, token, 'PATCH', `${base}/Groups/${group}`, { Operations: [{ op: 'add', path: 'members', value: [{ value: person }] }] });
    expect(await membershipsOf()).toEqual([company.workspaceId, ops].sort());
    const audit = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=membership.set_by_group`, { token: company.key });
    expect(audit.json.events[0]).toMatchObject({ target: { id: existing }, data: { workspaceId: ops } });

    await scim(app, token, 'PATCH', `${base}/Groups/${group}`, { Operations: [{ op: 'remove', path: `members[value eq "${person}"]` }] });
    expect(await membershipsOf()).toEqual([company.workspaceId, ops].sort());
  });
});
