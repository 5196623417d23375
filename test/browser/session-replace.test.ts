/**
 * Why the session reference cookie exists, shown in a real browser (Debian's Chromium): an IdP's form
 * posts the response to the ACS from another site, and on that cross-site POST Chromium sends the
 * SameSite=None reference but not the SameSite=Lax session cookie. The second sign-in on the browser
 * still ends the first person's session. The "IdP" page is served by Playwright itself (no network);
 * the app listens on 127.0.0.1, and every other request is aborted.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, serveTestApp, setupCompany } from '../support/app.js';
import type { ServedApp, TestApp, TestCompany } from '../support/app.js';
import { launchChromium } from '../support/browser.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser } from '../support/saml.js';
import { createTestIdp, escapeXml } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

const IDP_PAGE = 'http://idp.example/post';

let handle: DatabaseHandle;
let served: ServedApp | undefined;
let base: string;
let app: TestApp;
let browser: Browser;
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  idp = createTestIdp({ entityId: 'https://idp.test/browser-replace' });
  served = await serveTestApp(handle);
  ({ app, base } = served);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await handle?.close();
});

/** A browser context whose only outside page is the IdP's auto-posting form, fulfilled here. */
async function newBrowser(): Promise<{ context: BrowserContext; acsCookieHeaders: string[] }> {
  const context = await browser.newContext();
  const acsCookieHeaders: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') {
      if (url.pathname.endsWith('/acs')) acsCookieHeaders.push((await route.request().allHeaders()).cookie ?? '');
      return route.continue();
    }
    if (`${url.origin}${url.pathname}` === IDP_PAGE) {
      const { acs, response } = JSON.parse(url.searchParams.get('r') ?? '{}') as { acs: string; response: string };
      return route.fulfill({
        contentType: 'text/html',
        body: `<form method="post" action="${escapeXml(acs)}"><input type="hidden" name="SAMLResponse" value="${escapeXml(response)}"></form><script>document.forms[0].submit()</script>`,
      });
    }
    return route.abort();
  });
  return { context, acsCookieHeaders };
}

async function signIn(context: BrowserContext, company: TestCompany, email: string): Promise<void> {
  const sp = { entityId: `${base}/saml/${company.id}`, acsUrl: `${base}/saml/${company.id}/acs` };
  const response = idp.signResponse({ sp, now: new Date(), nameId: email });
  const page = await context.newPage();
  await Promise.all([
    page.waitForURL(`${base}/`),
    page.goto(`${IDP_PAGE}?r=${encodeURIComponent(JSON.stringify({ acs: sp.acsUrl, response }))}`),
  ]);
  expect(await page.textContent('body')).toContain(email);
  await page.close();
}

async function sessionCookieOf(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies(base)).find((c) => c.name === 'bridge_session');
  expect(cookie).toBeTruthy();
  return `bridge_session=${cookie!.value}`;
}

async function companyWithUser(name: string, email: string): Promise<TestCompany> {
  const company = await setupCompany(app, name);
  await configureSaml(app, company, idp);
  await confirmedUser(app, company, email);
  return company;
}

describe('a second sign-in in the same browser, posted cross-site by the IdP', () => {
  it("reaches the ACS with the reference but not the session cookie, and ends the first person's session", async () => {
    const first = await companyWithUser('Browser First', 'anna@browser-first.example');
    const second = await companyWithUser('Browser Second', 'ben@browser-second.example');
    const { context, acsCookieHeaders } = await newBrowser();
    try {
      await signIn(context, first, 'anna@browser-first.example');
      const anna = await sessionCookieOf(context);
      expect((await call(app, 'GET', '/api/me', { headers: { Cookie: anna } })).status).toBe(200);

      await signIn(context, second, 'ben@browser-second.example');
      const sent = acsCookieHeaders[1]!;
      expect(sent).toMatch(/(^|; )bridge_session_ref=/);
      expect(sent).not.toMatch(/(^|; )bridge_session=/);
      expect((await call(app, 'GET', '/api/me', { headers: { Cookie: anna } })).status).toBe(401);
      const ben = await call(app, 'GET', '/api/me', { headers: { Cookie: await sessionCookieOf(context) } });
      expect(ben.json.user.email).toBe('ben@browser-second.example');
    } finally {
      await context.close();
    }
  });
});
