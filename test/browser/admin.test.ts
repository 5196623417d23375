/**
 * The web admin page in a real browser (Debian's Chromium driven by playwright-core) against the real
 * server with the development demo: sign in through /dev/idp as the demo's admin, then use /admin as a
 * person would. Screenshots go to /tmp (never committed). Every request the browser makes other than to
 * 127.0.0.1 is aborted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, start, stop } from '../support/server.js';
import { launchChromium } from '../support/browser.js';
import type { Running } from '../support/server.js';

const SHOTS = process.env.ADMIN_SCREENSHOTS_DIR ?? tmpdir();

let server: Running;
let dataDir: string;
let browser: Browser;
let demo: { companyId: string; apiKey: string };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bridge-admin-ui-'));
  const port = await freePort();
  server = await start({ DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent' }, port);
  demo = JSON.parse(await readFile(join(dataDir, 'demo.json'), 'utf8')) as { companyId: string; apiKey: string };
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stop(server);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Session {
  context: BrowserContext;
  page: Page;
  /** Console errors (CSP violations among them) and uncaught page errors; not the API's 4xx answers. */
  problems: string[];
}

async function newSession(): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // The API's expected refusals (403, 400) are logged by Chromium too; they are asserted on screen instead.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 4')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

/** Through the test IdP, as a person does: type the email, submit; the page posts the response to the ACS, which lands on /. */
async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(`${server.base}/dev/idp`);
  await page.getByLabel('Email').fill(email);
  // An IdP-initiated sign-in lands in the demo's example application (through OIDC); then the bridge's own page.
  await Promise.all([page.waitForURL(`${server.base}/dev/app`), page.getByRole('button', { name: 'Sign in (IdP-initiated)' }).click()]);
  await page.getByText(`Signed in as ${email}`).waitFor();
  await page.goto(`${server.base}/`);
  await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
}

const text = async (page: Page, selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();
const selectedText = async (page: Page, label: string) => ((await page.getByLabel(label, { exact: true }).locator('option:checked').textContent()) ?? '').trim();

/** Waits for a form's message line to say something other than the "…ing" progress text. */
async function messageOf(page: Page, id: string): Promise<{ text: string; kind: string }> {
  await page.waitForFunction((el) => {
    const node = document.getElementById(el);
    return !!node && /\b(ok|error)\b/.test(node.className);
  }, id);
  const node = page.locator(`#${id}`);
  return { text: ((await node.textContent()) ?? '').trim(), kind: (await node.getAttribute('class')) ?? '' };
}

async function jitViaApi() {
  const res = await fetch(`${server.base}/api/companies/${demo.companyId}/security/jit`, { headers: { Authorization: `Bearer ${demo.apiKey}` } });
  return (await res.json()) as { enabled: boolean; defaultWorkspaceId: string | null; defaultPermissionSetId: string | null };
}

describe('the web admin page', () => {
  it('an admin signs in through the test IdP and runs the seed flow, the SAML help, directory sync, explain and the audit log', async () => {
    const { context, page, problems } = await newSession();
    try {
      // Not signed in yet: /admin says how to sign in and links the test IdP, which brings the admin back.
      expect((await page.goto(`${server.base}/admin`))?.status()).toBe(401);
      await page.getByRole('link', { name: '/dev/idp' }).click();
      await page.getByLabel('Email').fill('admin@decorumsoft.com');
      await Promise.all([page.waitForURL(`${server.base}/admin`), page.getByRole('button', { name: 'Sign in (IdP-initiated)' }).click()]);
      await page.getByRole('heading', { name: 'Settings · Decorumsoft (demo)' }).waitFor();

      // Security settings > SAML SSO > Automatic user provisioning: on, with the demo's defaults.
      const toggle = page.getByRole('switch', { name: 'Automatic user provisioning' });
      await page.waitForFunction(() => document.getElementById('jit-state')?.textContent === 'On');
      expect(await toggle.isChecked()).toBe(true);
      expect(await selectedText(page, 'Default workspace')).toBe('Main');
      expect(await selectedText(page, 'Default permission set')).toBe('Members');
      expect(await page.getByLabel('Require directory membership').isChecked()).toBe(false);
      await page.locator('#audit-events table').waitFor();
      await page.screenshot({ path: join(SHOTS, 'admin-1-loaded.png'), fullPage: true });

      // Switching it off is for support only: the message says so, and it stays on.
      await toggle.uncheck();
      expect(await text(page, '#jit-state')).toBe('Off');
      await page.getByRole('button', { name: 'Save changes' }).click();
      const refused = await messageOf(page, 'jit-msg');
      expect(refused.kind).toContain('error');
      expect(refused.text).toContain('only be switched off by support');
      expect(refused.text).toContain('Contact support');
      expect(await toggle.isChecked()).toBe(true);
      expect(await text(page, '#jit-state')).toBe('On');
      expect(await jitViaApi()).toMatchObject({ enabled: true });
      await page.screenshot({ path: join(SHOTS, 'admin-2-switch-off-refused.png'), fullPage: false });

      // Saving with the switch on works, and asking for directory membership without SCIM is explained.
      await page.getByLabel('Require directory membership').check();
      await page.getByRole('button', { name: 'Save changes' }).click();
      const noScim = await messageOf(page, 'jit-msg');
      expect(noScim.kind).toContain('error');
      expect(noScim.text).toContain('directory sync (SCIM) is not set up');
      await page.getByLabel('Require directory membership').uncheck();
      await page.getByRole('button', { name: 'Save changes' }).click();
      expect(await messageOf(page, 'jit-msg')).toMatchObject({ text: 'Changes saved.' });

      // SAML setup help: the ACS URL, entity ID, the metadata link and the Entra note.
      const sp = `${server.base}/saml/${demo.companyId}`;
      expect(await text(page, '#sp-acs')).toBe(`${sp}/acs`);
      expect(await text(page, '#sp-entity')).toBe(sp);
      expect(await page.getByRole('link', { name: `${sp}/metadata` }).getAttribute('href')).toBe(`${sp}/metadata`);
      const entra = await text(page, '#entra-note');
      expect(entra).toContain('Microsoft Entra ID');
      expect(entra).toMatch(/Sign-on URL field .* blank/);
      await page.locator('#idp-info table').waitFor();
      expect(await text(page, '#idp-info')).toContain('bridge-demo-idp');
      expect(await text(page, '#idp-info')).toContain('Sign-in bindingHTTP-Redirect');

      // Pasting metadata: garbage is refused in plain words; the demo IdP's own metadata is accepted.
      await page.getByLabel('Paste your IdP’s metadata XML').fill('<html>not metadata</html>');
      await page.getByRole('button', { name: 'Save IdP metadata' }).click();
      const bad = await messageOf(page, 'metadata-msg');
      expect(bad.kind).toContain('error');
      expect(bad.text).toContain('The IdP metadata could not be used');
      expect(bad.text).not.toMatch(/\bat .*\.ts:\d+|Error:/);
      const cert = (await readFile(join(dataDir, 'demo-idp-cert.pem'), 'utf8')).replace(/-----[A-Z ]+-----|\s/g, '');
      await page.getByLabel('Paste your IdP’s metadata XML').fill(idpMetadata(`${server.base}/dev/idp`, cert));
      await page.getByRole('button', { name: 'Save IdP metadata' }).click();
      expect(await messageOf(page, 'metadata-msg')).toMatchObject({ text: 'IdP metadata saved: 1 signing certificate(s).' });
      expect(await text(page, '#idp-info')).toContain('Valid');
      await page.locator('#saml').screenshot({ path: join(SHOTS, 'admin-3-saml.png') });

      // Directory sync: a new SCIM token is shown once, works, is listed, and revoking it stops it.
      expect(await text(page, '#scim-base')).toBe(`${server.base}/scim/v2/${demo.companyId}`);
      await page.getByLabel('Label (optional)').fill('Okta provisioning');
      await page.getByRole('button', { name: 'Create SCIM token' }).click();
      await page.locator('#scim-new-token').waitFor({ state: 'visible' });
      const token = await page.getByLabel('New SCIM token').inputValue();
      expect(token.length).toBeGreaterThan(20);
      expect(await text(page, '#scim-new-token')).toContain('shown only once');
      const scimUsers = () => fetch(`${server.base}/scim/v2/${demo.companyId}/Users`, { headers: { Authorization: `Bearer ${token}` } });
      expect((await scimUsers()).status).toBe(200);
      await page.locator('#scim-tokens').getByText('Okta provisioning').waitFor();
      await page.locator('#directory').screenshot({ path: join(SHOTS, 'admin-4-scim-token.png') });
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: 'Revoke SCIM token Okta provisioning' }).click();
      expect(await messageOf(page, 'scim-msg')).toMatchObject({ text: 'Token revoked.' });
      await page.locator('#scim-tokens').getByText(/^Revoked /).waitFor();
      expect(await page.locator('#scim-new-token').isHidden()).toBe(true);
      expect((await scimUsers()).status).toBe(401);

      // Explain: jon.smith@decorumsoft.eu would be refused, domain_not_eligible, with every check listed.
      await page.getByLabel('Email', { exact: true }).fill('jon.smith@decorumsoft.eu');
      await page.getByRole('button', { name: 'Explain' }).click();
      await page.locator('#explain-reason').waitFor();
      expect(await text(page, '#explain-reason')).toBe('domain_not_eligible');
      expect(await text(page, '#explain-decision')).toBe('Refused');
      const rows = await page.locator('#explain-result tbody tr').allTextContents();
      expect(rows.length).toBeGreaterThan(5);
      expect(rows.find((r) => r.startsWith('domain_eligible'))).toMatch(/^domain_eligiblefailed/);
      await page.locator('#explain').screenshot({ path: join(SHOTS, 'admin-5-explain.png') });

      // The audit log shows what was just done.
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator('#audit-events').getByText('scim_token.revoked').waitFor();
      const audit = await text(page, '#audit-events');
      for (const action of ['scim_token.created', 'saml_connection.updated', 'jit_settings.updated', 'saml.login']) expect(audit).toContain(action);
      await page.screenshot({ path: join(SHOTS, 'admin-6-full.png'), fullPage: true });

      // The token was shown once: a fresh load of the page does not have it.
      await page.reload();
      await page.locator('#scim-tokens table').waitFor();
      expect(await page.locator('#scim-new-token').isHidden()).toBe(true);
      expect(await page.content()).not.toContain(token);

      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('a signed-in member who is not an admin gets the admins-only page; nobody signed in gets the sign-in page', async () => {
    const member = await newSession();
    try {
      await signIn(member.page, 'jon.smith@decorumsoft.com');
      const res = await member.page.goto(`${server.base}/admin`);
      expect(res?.status()).toBe(403);
      await member.page.getByRole('heading', { name: 'Admins only' }).waitFor();
      const body = await text(member.page, 'body');
      expect(body).toContain('jon.smith@decorumsoft.com');
      expect(body).toContain('not an admin');
      expect(await member.page.locator('#admin').count()).toBe(0);
      await member.page.screenshot({ path: join(SHOTS, 'admin-7-not-admin.png') });
    } finally {
      await member.context.close();
    }

    const anonymous = await newSession();
    try {
      const res = await anonymous.page.goto(`${server.base}/admin`);
      expect(res?.status()).toBe(401);
      await anonymous.page.getByRole('heading', { name: 'Sign in to administer your company' }).waitFor();
      expect(await anonymous.page.getByRole('link', { name: '/dev/idp' }).getAttribute('href')).toBe('/dev/idp?RelayState=/admin');
      await anonymous.page.screenshot({ path: join(SHOTS, 'admin-8-signed-out.png') });
    } finally {
      await anonymous.context.close();
    }
  }, 60_000);
});

/** IdP metadata as an IdP publishes it: the demo's test IdP, its signing certificate and SSO URL. */
function idpMetadata(entityId: string, certificateBase64: string): string {
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${entityId}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}
