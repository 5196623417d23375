/**
 * GET /admin without a browser: who gets the admin page, who gets the sign-in page (401) and who the
 * admins-only page (403); the page's CSP nonce, and the client script's shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SCRIPT } from '../../src/http/admin-ui/script.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let idp: TestIdp;
const now = new Date();

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/admin-ui' });
});
afterAll(async () => {
  await handle?.close();
});

interface Setup {
  company: TestCompany;
  adminCookie: string;
  staffCookie: string;
}

/** A company with SAML, an admin (permission set holding `admin`) and a member, both signed in. */
async function companyWithAdmin(name: string): Promise<Setup> {
  const company = await setupCompany(app, name);
  await configureSaml(app, company, idp);
  const admins = await call(app, 'POST', `/api/companies/${company.id}/permission-sets`, { token: company.key, body: { name: 'Admins', permissions: ['admin'] } });
  const invited = await call(app, 'POST', `/api/companies/${company.id}/users`, {
    token: company.key,
    body: { email: 'boss@decorumsoft.com', workspaceId: company.workspaceId, permissionSetId: admins.json.id },
  });
  await call(app, 'POST', new URL(invited.json.invitationUrl).pathname);
  await confirmedUser(app, company, 'staff@decorumsoft.com');
  const boss = await postAcs(app, company.id, idpInitiated(idp, company.id, 'boss@decorumsoft.com', now));
  const staff = await postAcs(app, company.id, idpInitiated(idp, company.id, 'staff@decorumsoft.com', now));
  expect(boss.cookie && staff.cookie).toBeTruthy();
  return { company, adminCookie: boss.cookie!, staffCookie: staff.cookie! };
}

async function admin(cookie?: string, theApp: TestApp = app) {
  const res = await theApp.request('/admin', cookie ? { headers: { Cookie: cookie } } : {});
  return { status: res.status, html: await res.text(), headers: res.headers };
}

function nonceOf(csp: string | null): string {
  const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp ?? '')?.[1];
  expect(nonce, csp ?? 'no CSP').toBeTruthy();
  return nonce!;
}

describe('GET /admin', () => {
  it('without a session: 401, a page saying how to sign in through the IdP (and /dev/idp in development)', async () => {
    const res = await admin();
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.html).toContain('Sign in to administer your company');
    expect(res.html).toContain('identity provider');
    expect(res.html).toContain('href="/dev/idp?RelayState=/admin"');
    expect(res.html).not.toContain('data-company-id');
    expect(res.html).not.toContain('<script');

    const production = makeApp(handle, { config: { production: true } });
    const prod = await admin(undefined, production);
    expect(prod.status).toBe(401);
    expect(prod.html).not.toContain('/dev/idp');
  });

  it('with a forged or unknown session cookie: the same 401 page', async () => {
    for (const cookie of ['bridge_session=forged', '__Host-bridge_session=abc.def', '__Host-bridge_session=' + 'A'.repeat(43) + '.c2lnbmF0dXJl']) {
      const res = await admin(cookie);
      expect(res.status, cookie).toBe(401);
      expect(res.html).toContain('Sign in to administer your company');
    }
  });

  it('for a signed-in member without the admin permission: 403, the admins-only page, no company data', async () => {
    const { company, staffCookie } = await companyWithAdmin('Staffsoft');
    const res = await admin(staffCookie);
    expect(res.status).toBe(403);
    expect(res.html).toContain('Admins only');
    expect(res.html).toContain('staff@decorumsoft.com');
    expect(res.html).toContain('Staffsoft');
    expect(res.html).toContain('not an admin');
    expect(res.html).not.toContain(company.id);
    expect(res.html).not.toContain('<script');
  });

  it('for a signed-in admin: the settings page of their company, its SAML help, and one nonce-bound script', async () => {
    const { company, adminCookie } = await companyWithAdmin('Decorumsoft <Admin> & Co');
    const res = await admin(adminCookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // The company name is escaped, never markup.
    expect(res.html).toContain('Decorumsoft &lt;Admin&gt; &amp; Co');
    expect(res.html).toContain(`data-company-id="${company.id}"`);
    expect(res.html).toContain('boss@decorumsoft.com');
    for (const text of ['Security settings', 'SAML SSO', 'Automatic user provisioning', 'Default workspace', 'Default permission set', 'Require directory membership', 'Save changes']) {
      expect(res.html, text).toContain(text);
    }
    expect(res.html).toContain(`https://bridge.test/saml/${company.id}/acs`);
    expect(res.html).toContain(`https://bridge.test/saml/${company.id}/metadata`);
    expect(res.html).toContain(`https://bridge.test/scim/v2/${company.id}`);
    expect(res.html).toMatch(/Sign-on URL<\/strong> field[^<]*blank/);

    const csp = res.headers.get('content-security-policy');
    const nonce = nonceOf(csp);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const scripts = [...res.html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    expect(scripts).toEqual([` nonce="${nonce}"`]);
    expect(res.html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);

    // Each response gets a fresh nonce.
    expect(nonceOf((await admin(adminCookie)).headers.get('content-security-policy'))).not.toBe(nonce);
  });

  it('after sign-out the admin gets the sign-in page again', async () => {
    const { adminCookie } = await companyWithAdmin('Signoutsoft');
    expect((await admin(adminCookie)).status).toBe(200);
    expect((await app.request('/logout', { method: 'POST', headers: { Cookie: adminCookie, Origin: 'https://bridge.test' } })).status).toBe(303);
    expect((await admin(adminCookie)).status).toBe(401);
  });
});

describe('the client script', () => {
  it('parses, stays inside its script element and inserts API data as text only', () => {
    expect(() => new Function(ADMIN_SCRIPT)).not.toThrow();
    expect(ADMIN_SCRIPT).not.toMatch(/<\/script/i);
    expect(ADMIN_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    // Every call sends the cookie to our own origin only, as JSON.
    expect(ADMIN_SCRIPT).toContain("credentials: 'same-origin'");
    expect(ADMIN_SCRIPT).toContain("'Content-Type': 'application/json'");
    expect(ADMIN_SCRIPT.match(/fetch\(/g)).toHaveLength(1);
  });
});
