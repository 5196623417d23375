/**
 * The directory locks out whatever the "require directory membership" switch says: a person created
 * inactive, deactivated or deleted in SCIM before their first sign-in gets no account from an
 * assertion the IdP issued earlier, an existing account of an inactive person gets no session, the
 * explain API says the same as the ACS, and a deactivation racing a first sign-in never leaves an
 * active account with a live session once it has committed. Runs on PGlite, and on PostgreSQL when
 * DATABASE_URL is set.
 */
import { and, eq, gt, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { sessions, users } from '../../src/store/schema.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me, postAcs } from '../support/saml.js';
import { oktaUser, scim, scimToken } from '../support/scim.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-06-01T09:00:00Z');
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/lockout' });
});
afterAll(async () => {
  await handle?.close();
});

interface Directory {
  company: TestCompany;
  token: string;
  base: string;
}

/** A company with SAML, directory sync (a SCIM token), JIT on, and a confirmed user making decorumsoft.com eligible. */
async function directoryCompany(requireDirectoryMembership: boolean): Promise<Directory> {
  const company = await setupCompany(app, 'Lockout Co');
  const { token, base } = await scimToken(app, company);
  await configureSaml(app, company, idp);
  await confirmedUser(app, company, 'anchor@decorumsoft.com');
  const jit = await call(app, 'PUT', `/api/companies/${company.id}/security/jit`, {
    token: company.key,
    body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId, requireDirectoryMembership },
  });
  expect(jit.status, jit.text).toBe(200);
  return { company, token, base };
}

const signIn = (d: Directory, email: string) => postAcs(app, d.company.id, idpInitiated(idp, d.company.id, email, now));
const explain = async (d: Directory, email: string) =>
  (await call(app, 'POST', `/api/companies/${d.company.id}/jit/explain`, { token: d.company.key, body: { email, flow: 'idp_initiated' } })).json;
const accountsOf = async (d: Directory, email: string) =>
  (await call(app, 'GET', `/api/companies/${d.company.id}/users?email=${encodeURIComponent(email)}`, { token: d.company.key })).json.users as { status: string }[];

async function createEntry(d: Directory, email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await scim(app, d.token, 'POST', `${d.base}/Users`, oktaUser(email, extra));
  expect(res.status, res.text).toBe(201);
  return res.json.id;
}

const deactivate = (d: Directory, id: string) => scim(app, d.token, 'PATCH', `${d.base}/Users/${id}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });

/** The refusal is the same at the ACS (403 page with the code, no account) and in explain. */
async function expectRefused(d: Directory, email: string, reason: string) {
  expect(await explain(d, email)).toMatchObject({ decision: 'refuse', reason });
  const res = await signIn(d, email);
  expect(res.status).toBe(403);
  expect(res.setCookie).toBeNull();
  expect(res.html).toContain(reason);
  return res;
}

describe.each([false, true])('with requireDirectoryMembership %s', (required) => {
  it('(a) a person created active:false gets no account at the first sign-in', async () => {
    const d = await directoryCompany(required);
    await createEntry(d, 'sleeper@decorumsoft.com', { active: false });
    await expectRefused(d, 'sleeper@decorumsoft.com', 'directory_user_inactive');
    expect(await accountsOf(d, 'sleeper@decorumsoft.com')).toEqual([]);
  });

  it('(b) a person deactivated before the first sign-in gets no account', async () => {
    const d = await directoryCompany(required);
    const id = await createEntry(d, 'leaver@decorumsoft.com');
    expect(await explain(d, 'leaver@decorumsoft.com')).toMatchObject({ decision: 'provision' });
    expect((await deactivate(d, id)).status).toBe(200);
    await expectRefused(d, 'leaver@decorumsoft.com', 'directory_user_inactive');
    expect(await accountsOf(d, 'leaver@decorumsoft.com')).toEqual([]);
  });

  it('(c) a person deleted before the first sign-in is refused as deleted; created again, they get in', async () => {
    const d = await directoryCompany(required);
    const id = await createEntry(d, 'gone@decorumsoft.com', { emails: [{ value: 'Gone.Alias@decorumsoft.com', primary: false }] });
    expect((await scim(app, d.token, 'DELETE', `${d.base}/Users/${id}`)).status).toBe(204);
    await expectRefused(d, 'gone@decorumsoft.com', 'directory_user_deleted');
    // The tombstone keeps the record's emails too.
    await expectRefused(d, 'gone.alias@decorumsoft.com', 'directory_user_deleted');
    expect(await accountsOf(d, 'gone@decorumsoft.com')).toEqual([]);
    const audit = await call(app, 'GET', `/api/companies/${d.company.id}/audit-events?action=saml.login_refused&limit=1`, { token: d.company.key });
    expect(audit.json.events[0]).toMatchObject({ reason: 'directory_user_deleted' });

    await createEntry(d, 'Gone@decorumsoft.com');
    expect(await explain(d, 'gone@decorumsoft.com')).toMatchObject({ decision: 'provision' });
    expect((await signIn(d, 'gone@decorumsoft.com')).status).toBe(303);
  });

  it('an existing account linked to an inactive directory record gets no session', async () => {
    const d = await directoryCompany(required);
    // Invited (not yet confirmed), so the deactivation below does not suspend it.
    const invited = await call(app, 'POST', `/api/companies/${d.company.id}/users`, {
      token: d.company.key,
      body: { email: 'pending@decorumsoft.com', workspaceId: d.company.workspaceId, permissionSetId: d.company.permissionSetId },
    });
    expect(invited.status).toBe(201);
    const id = await createEntry(d, 'pending@decorumsoft.com');
    await deactivate(d, id);
    await expectRefused(d, 'pending@decorumsoft.com', 'directory_user_inactive');
    expect((await accountsOf(d, 'pending@decorumsoft.com'))[0]!.status).toBe('invited');
  });
});

describe('the switch decides absence only', () => {
  it('(d) off: a person absent from the directory is still provisioned', async () => {
    const d = await directoryCompany(false);
    await createEntry(d, 'someone.else@decorumsoft.com');
    expect(await explain(d, 'walk.in@decorumsoft.com')).toMatchObject({ decision: 'provision' });
    const res = await signIn(d, 'walk.in@decorumsoft.com');
    expect(res.status).toBe(303);
    expect((await me(app, res.cookie)).status).toBe(200);
  });

  it('on: absence refuses with not_in_directory', async () => {
    const d = await directoryCompany(true);
    await expectRefused(d, 'walk.in@decorumsoft.com', 'not_in_directory');
  });
});

/** Active accounts of this person holding a session that is neither revoked nor expired. */
async function liveActiveAccounts(companyId: string, email: string): Promise<number> {
  const rows = await handle.db
    .select({ id: users.id })
    .from(users)
    .innerJoin(sessions, and(eq(sessions.companyId, users.companyId), eq(sessions.userId, users.id)))
    .where(and(eq(users.companyId, companyId), eq(users.emailNormalized, email), eq(users.status, 'active'), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)));
  return rows.length;
}

describe('(e) a deactivation racing a first sign-in', () => {
  it.each([true, false])('leaves no active account with a live session once it committed, 50 tries (switch %s)', async (required) => {
    const d = await directoryCompany(required);
    let leaks = 0;
    let committed = 0;
    for (let i = 0; i < 50; i++) {
      const email = `racer${i}@decorumsoft.com`;
      const id = await createEntry(d, email);
      const response = idpInitiated(idp, d.company.id, email, now);
      const [patched, acs] = await Promise.all([deactivate(d, id), postAcs(app, d.company.id, response)]);
      expect([303, 403]).toContain(acs.status);
      if (patched.status !== 200) continue;
      committed++;
      leaks += await liveActiveAccounts(d.company.id, email);
    }
    expect(committed).toBe(50);
    expect(leaks, `${leaks} of 50 tries left an active account with a live session`).toBe(0);
  }, 120_000);
});
