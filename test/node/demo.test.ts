/**
 * The development demo as a newcomer meets it after `npm start`: the test IdP page signs a real SAML
 * Response, the browser posts it to the ACS, and the seed's rule decides.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/oidc-browser.js';
import { freePort, start, stop } from '../support/server.js';
import type { Running } from '../support/server.js';

let server: Running;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bridge-demo-'));
  const port = await freePort();
  server = await start({ DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}` }, port);
}, 90_000);
afterAll(async () => {
  if (server) await stop(server);
  await rm(dataDir, { recursive: true, force: true });
});

/** What the browser does: fill the test IdP form, then post the signed response it returns to the ACS. */
async function signInThroughTestIdp(email: string) {
  const page = await fetch(`${server.base}/dev/idp/sign-in`, { method: 'POST', body: new URLSearchParams({ email }) });
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(html)?.[1];
  expect(action).toMatch(/\/saml\/cmp_[0-9a-z]{16}\/acs$/);
  return fetch(action!, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: samlResponse! }) });
}

describe('the development demo', () => {
  it('serves the test IdP page: a viewport tag, and each demo person with what signing in as them shows', async () => {
    const res = await fetch(`${server.base}/dev/idp`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Test identity provider');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    const people = [...html.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
    const about = (email: string) => people.find((p) => p.includes(`Sign in as ${email}`)) ?? '';
    expect(about('jon.smith@decorumsoft.com')).toMatch(/Confirmed user.*existing account/);
    expect(about('jane.smith@decorumsoft.com')).toMatch(/Just-in-time provisioning.*creates her account.*just created/);
    expect(about('jon.smith@decorumsoft.eu')).toMatch(/Refused.*not eligible.*domain_not_eligible/);
    expect(about('admin@decorumsoft.com')).toMatch(/admin.*admin page \(\/admin\)/);
  });

  it("signs the admin in with the admin's own button, and the landing page links the admin page", async () => {
    const idpPage = await (await fetch(`${server.base}/dev/idp`)).text();
    const item = [...idpPage.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!).find((li) => li.includes('Sign in as admin@decorumsoft.com'))!;
    expect(/<form method="post" action="([^"]+)"/.exec(item)?.[1]).toBe('/dev/idp/sign-in');
    const fields = new URLSearchParams([...item.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as [string, string]));
    expect(fields.get('email')).toBe('admin@decorumsoft.com');
    const signed = await (await fetch(`${server.base}/dev/idp/sign-in`, { method: 'POST', body: fields })).text();
    const action = /<form method="post" action="([^"]+)"/.exec(signed)![1]!;
    const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(signed)![1]!;
    const acs = await fetch(action, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: samlResponse }) });
    expect(acs.status).toBe(303);
    const cookie = acs.headers.get('set-cookie')!.split(';')[0]!;
    const landing = await (await fetch(`${server.base}/`, { headers: { Cookie: cookie } })).text();
    expect(landing).toContain('href="/admin"');
    expect(landing).not.toContain('Your account was just created');
  });

  it('provisions jane.smith@decorumsoft.com just in time and refuses jon.smith@decorumsoft.eu', async () => {
    const jane = await signInThroughTestIdp('jane.smith@decorumsoft.com');
    expect(jane.status).toBe(303);
    const cookie = jane.headers.get('set-cookie')!.split(';')[0]!;
    const me = (await (await fetch(`${server.base}/api/me`, { headers: { Cookie: cookie } })).json()) as any;
    expect(me.user).toMatchObject({ email: 'jane.smith@decorumsoft.com', provisionedBy: 'jit', firstName: 'Jane', lastName: 'Smith' });
    const landing = await (await fetch(`${server.base}/`, { headers: { Cookie: cookie } })).text();
    expect(landing).toContain('Your account was just created.');
    expect(landing).not.toContain('href="/admin"');

    const eu = await signInThroughTestIdp('jon.smith@decorumsoft.eu');
    expect(eu.status).toBe(403);
    expect(eu.headers.get('set-cookie')).toBeNull();
    const text = await eu.text();
    expect(text).toContain('decorumsoft.eu');
    expect(text).toContain('domain_not_eligible');

    // The demo's admin key (kept in DATA_DIR) sees both decisions in the audit log.
    const { companyId, apiKey } = JSON.parse(await readFile(join(dataDir, 'demo.json'), 'utf8')) as { companyId: string; apiKey: string };
    const audit = (await (await fetch(`${server.base}/api/companies/${companyId}/audit-events?limit=3`, { headers: { Authorization: `Bearer ${apiKey}` } })).json()) as any;
    expect(audit.events.map((e: { action: string; reason: string | null }) => `${e.action}:${e.reason}`)).toEqual(
      expect.arrayContaining(['saml.login_refused:domain_not_eligible', 'saml.login:null']),
    );
  });

  it('answers an SP-initiated request for an existing user, in the browser that started it', async () => {
    const { companyId } = JSON.parse(await readFile(join(dataDir, 'demo.json'), 'utf8')) as { companyId: string };
    /** The browser's round trip: start at /login (holding `cookie`), pick Jon on the test IdP, post its response to the ACS. */
    const signIn = async (cookie: string | null, sendBack: string | null) => {
      const headers: Record<string, string> = cookie ? { Cookie: cookie } : {};
      const login = await fetch(`${server.base}/saml/${companyId}/login?RelayState=/welcome`, { redirect: 'manual', headers });
      expect(login.status).toBe(302);
      const binding = login.headers.get('set-cookie')!.split(';')[0]!;
      const idpPage = await (await fetch(login.headers.get('location')!)).text();
      const inResponseTo = /name="inResponseTo" value="([^"]*)"/.exec(idpPage)?.[1];
      expect(inResponseTo).toMatch(/^_[0-9a-f]{40}$/);
      const signed = await (
        await fetch(`${server.base}/dev/idp/sign-in`, {
          method: 'POST',
          body: new URLSearchParams({ email: 'jon.smith@decorumsoft.com', inResponseTo: inResponseTo!, relayState: '/welcome' }),
        })
      ).text();
      const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(signed)![1]!;
      const acs = await fetch(`${server.base}/saml/${companyId}/acs`, {
        method: 'POST',
        redirect: 'manual',
        headers: sendBack === null ? {} : { Cookie: sendBack === 'own' ? binding : sendBack },
        body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: '/welcome' }),
      });
      return { binding, acs };
    };
    const first = await signIn(null, 'own');
    // Over http the binding cookie has no __Host- prefix.
    expect(first.binding).toMatch(/^bridge_authn=[A-Za-z0-9_-]{43}$/);
    expect(first.acs.status).toBe(303);
    expect(first.acs.headers.get('location')).toBe('/welcome');
    // The same browser again reuses its cookie; a response posted without it (another browser) is refused.
    const elsewhere = await signIn(first.binding, null);
    expect(elsewhere.binding).toBe(first.binding);
    expect(elsewhere.acs.status).toBe(403);
    expect(await elsewhere.acs.text()).toContain('request_other_browser');
  });

  it('shows the whole chain: IdP → SAML → OIDC → the example application, signed out there by a SCIM deactivation (back-channel logout)', async () => {
    const { companyId, apiKey } = JSON.parse(await readFile(join(dataDir, 'demo.json'), 'utf8')) as { companyId: string; apiKey: string };
    const browser = new Browser((request) => fetch(request), server.base);
    const page = await (await browser.request('/dev/idp/sign-in', { form: { email: 'jon.smith@decorumsoft.com' } })).text();
    const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(page)![1]!;
    // The IdP-initiated sign-in hands the browser to the example application (third-party-initiated login), which runs a code flow.
    const acs = await browser.request(`/saml/${companyId}/acs`, { form: { SAMLResponse: samlResponse } });
    expect(acs.status).toBe(303);
    expect(acs.headers.get('location')).toMatch(new RegExp(`^${server.base}/dev/app/login\\?iss=`));
    const landed = await browser.follow(acs.headers.get('location')!);
    const signedIn = await landed.res.text();
    expect(landed.res.status).toBe(200);
    expect(signedIn).toContain('Signed in as jon.smith@decorumsoft.com');
    const claims = JSON.parse(/<pre id="claims">([\s\S]*?)<\/pre>/.exec(signedIn)![1]!.replace(/&quot;/g, '"')) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: server.base, email: 'jon.smith@decorumsoft.com', company_id: companyId, amr: ['saml'] });

    // The directory deactivates Jon: the bridge ends his session and tells the application over the back channel.
    const token = await fetch(`${server.base}/api/companies/${companyId}/scim-tokens`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ label: 'demo test' }),
    });
    const scimToken = ((await token.json()) as { token: string }).token;
    const scim = (method: string, path: string, body: unknown) =>
      fetch(`${server.base}/scim/v2/${companyId}${path}`, { method, headers: { Authorization: `Bearer ${scimToken}`, 'Content-Type': 'application/scim+json' }, body: JSON.stringify(body) });
    const created = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'jon.smith@decorumsoft.com', active: true });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const started = Date.now();
    const patched = await scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(patched.status).toBe(200);
    let after = '';
    while (Date.now() - started < 5_000) {
      after = await (await browser.request('/dev/app')).text();
      if (after.includes('id="ended"')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after).toContain('Signed out by the bridge (back-channel logout');
  });

  it('is not served in production', async () => {
    const port = await freePort();
    // Its own DATA_DIR: the demo server above still holds its folder's lock while it runs.
    const prodDir = await mkdtemp(join(tmpdir(), 'bridge-demo-prod-'));
    const prod = await start(
      { NODE_ENV: 'production', DATA_DIR: prodDir, OPERATOR_TOKEN: 'Xq3vN8pL2mRt7wYz5bKc9dHf4gJs6aEu1iOo0', SESSION_SECRET: 'Zr8kT2nW5qXv9mPb3cLd7fHj1gNs4aYe6uIo0', PUBLIC_URL: `http://127.0.0.1:${port}` },
      port,
    );
    try {
      expect((await fetch(`${prod.base}/dev/idp`)).status).toBe(404);
    } finally {
      await stop(prod);
      await rm(prodDir, { recursive: true, force: true });
    }
  }, 90_000);
});
