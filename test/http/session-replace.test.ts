/**
 * A sign-in ends the browser's previous session (issue 9, point 12). The session cookie is
 * SameSite=Lax and never reaches the IdP's cross-site POST; the reference cookie (SameSite=None) does,
 * and names the old session by its token hash. Requests here carry cookies as a browser would on that
 * cross-site POST: the reference only.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { hashSecret } from '../../src/crypto.js';
import { call, makeApp, setupCompany, testConfig } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

const SESSION = '__Host-bridge_session';
const REF = '__Host-bridge_session_ref';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-07-01T09:00:00Z');
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/replace' });
});
afterAll(async () => {
  await handle?.close();
});

/** Each Set-Cookie of a response: name -> { value, attributes }. */
function setCookies(res: Response): Map<string, { value: string; attributes: string }> {
  const out = new Map<string, { value: string; attributes: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';');
    const eq = pair!.indexOf('=');
    out.set(pair!.slice(0, eq), { value: pair!.slice(eq + 1), attributes: attributes.join(';') });
  }
  return out;
}

/** POSTs a signed response to the ACS, carrying `cookie` as the browser would (cross-site: the reference only). */
async function signIn(company: TestCompany, email: string, cookie?: string) {
  const res = await app.request(`/saml/${company.id}/acs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams({ SAMLResponse: idpInitiated(idp, company.id, email, now) }).toString(),
  });
  const cookies = setCookies(res);
  const session = cookies.get(SESSION);
  const ref = cookies.get(REF);
  return {
    status: res.status,
    cookies,
    browser: session && ref ? { session: `${SESSION}=${session.value}`, ref: `${REF}=${ref.value}` } : null,
  };
}

async function companyWithUser(name: string, email: string): Promise<TestCompany> {
  const company = await setupCompany(app, name);
  await configureSaml(app, company, idp);
  await confirmedUser(app, company, email);
  return company;
}

async function events(company: TestCompany, action: string) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=${action}`, { token: company.key });
  expect(res.status, res.text).toBe(200);
  return res.json.events;
}

/** A cookie value in hono's signed form (`value.base64(HMAC-SHA256)`), signed with `secret`. */
const signedWith = (value: string, secret: string) =>
  encodeURIComponent(`${value}.${createHmac('sha256', secret).update(value).digest('base64')}`);

describe('a sign-in ends the previous session of the browser', () => {
  it('sets the reference cookie beside the session cookie: HttpOnly, Secure, SameSite=None, __Host-, the token hash', async () => {
    const company = await companyWithUser('Ref Attrs', 'ref@ref-attrs.example');
    const a = await signIn(company, 'ref@ref-attrs.example');
    expect(a.status).toBe(303);
    const ref = a.cookies.get(REF)!;
    expect(ref.attributes).toMatch(/HttpOnly/);
    expect(ref.attributes).toMatch(/Secure/);
    expect(ref.attributes).toMatch(/SameSite=None/);
    expect(ref.attributes).toMatch(/Path=\//);
    expect(a.cookies.get(SESSION)!.attributes).toMatch(/SameSite=Lax/);
    const token = decodeURIComponent(a.cookies.get(SESSION)!.value).split('.')[0]!;
    expect(decodeURIComponent(ref.value).split('.')[0]).toBe(hashSecret(token));
  });

  it("A signs in, then B of another company on the same browser: A's session is revoked (audited on A's company), B's works", async () => {
    const first = await companyWithUser('Replace First', 'alice@replace-first.example');
    const second = await companyWithUser('Replace Second', 'bob@replace-second.example');
    const alice = (await signIn(first, 'alice@replace-first.example')).browser!;
    expect((await me(app, alice.session)).status).toBe(200);

    const bob = await signIn(second, 'bob@replace-second.example', alice.ref);
    expect(bob.status).toBe(303);
    expect((await me(app, alice.session)).status).toBe(401);
    const who = await me(app, bob.browser!.session);
    expect(who.status).toBe(200);
    expect(who.json.user.email).toBe('bob@replace-second.example');

    const [ended] = await events(first, 'session.ended_by_other_signin');
    expect(ended).toMatchObject({ actor: { type: 'system', id: 'acs' }, target: { type: 'user' }, data: { sameUser: false } });
    expect(JSON.stringify(ended)).not.toContain(second.id);
    expect(await events(second, 'session.ended_by_other_signin')).toEqual([]);
  });

  it('the same person signing in again replaces the old session too', async () => {
    const company = await companyWithUser('Replace Same', 'sam@replace-same.example');
    const before = (await signIn(company, 'sam@replace-same.example')).browser!;
    const after = (await signIn(company, 'sam@replace-same.example', before.ref)).browser!;
    expect((await me(app, before.session)).status).toBe(401);
    expect((await me(app, after.session)).status).toBe(200);
    expect((await events(company, 'session.ended_by_other_signin'))[0]).toMatchObject({ data: { sameUser: true } });
  });

  it('a refused sign-in ends nothing', async () => {
    const company = await companyWithUser('Replace Refused', 'kept@replace-refused.example');
    const kept = (await signIn(company, 'kept@replace-refused.example')).browser!;
    const refused = await signIn(company, 'stranger@elsewhere.example', kept.ref);
    expect(refused.status).toBe(403);
    expect(refused.cookies.size).toBe(0);
    expect((await me(app, kept.session)).status).toBe(200);
  });

  it('the reference grants nothing: not as the session cookie, not alone, not on an admin route', async () => {
    const company = await companyWithUser('Ref Useless', 'admin@ref-useless.example');
    const { ref } = (await signIn(company, 'admin@ref-useless.example')).browser!;
    const refValue = ref.slice(REF.length + 1);
    expect((await me(app, ref)).status).toBe(401);
    expect((await me(app, `${SESSION}=${refValue}`)).status).toBe(401);
    const admin = await call(app, 'GET', `/api/companies/${company.id}/users`, { headers: { Cookie: ref } });
    expect(admin.status).toBe(401);
  });

  it('a forged reference (unsigned, or signed with another secret) ends no session', async () => {
    const first = await companyWithUser('Forge First', 'victim@forge-first.example');
    const second = await companyWithUser('Forge Second', 'mallory@forge-second.example');
    const victim = (await signIn(first, 'victim@forge-first.example')).browser!;
    const hash = hashSecret(decodeURIComponent(victim.session.slice(SESSION.length + 1)).split('.')[0]!);
    for (const forged of [`${REF}=${hash}`, `${REF}=${signedWith(hash, 'not-the-session-secret-0123456789abcdef')}`]) {
      expect((await signIn(second, 'mallory@forge-second.example', forged)).status).toBe(303);
      expect((await me(app, victim.session)).status).toBe(200);
    }
    // The same hash signed with SESSION_SECRET is the real reference: only then does the session end.
    expect(`${REF}=${signedWith(hash, testConfig.sessionSecret)}`).toBe(victim.ref);
  });

  it('sign-out clears both cookies', async () => {
    const company = await companyWithUser('Ref Logout', 'out@ref-logout.example');
    const browser = (await signIn(company, 'out@ref-logout.example')).browser!;
    for (const path of ['/api/logout', '/logout']) {
      const res = await app.request(path, { method: 'POST', headers: { Cookie: `${browser.session}; ${browser.ref}`, Origin: testConfig.publicUrl } });
      const cleared = setCookies(res);
      expect(cleared.get(SESSION)?.attributes, path).toMatch(/Max-Age=0/);
      expect(cleared.get(REF)?.attributes, path).toMatch(/Max-Age=0/);
    }
  });
});
