/**
 * SP-initiated sign-in with an IdP that takes the AuthnRequest only by HTTP-POST, in a real browser
 * (Debian's Chromium): the login page's form posts itself under its CSP (no violation), the "IdP"
 * answers that request, and the person lands signed in; without JavaScript, Continue posts the form.
 * The IdP is fulfilled by Playwright itself (no network); the app listens on 127.0.0.1, every other
 * request is aborted.
 */
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { serveTestApp, setupCompany } from '../support/app.js';
import type { ServedApp, TestApp, TestCompany } from '../support/app.js';
import { launchChromium } from '../support/browser.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser } from '../support/saml.js';
import { createTestIdp, escapeXml } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

const IDP_SSO = 'http://idp.example/sso/post';

let handle: DatabaseHandle;
let served: ServedApp | undefined;
let base: string;
let app: TestApp;
let browser: Browser;
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  idp = createTestIdp({ entityId: 'https://idp.test/browser-post' });
  served = await serveTestApp(handle);
  ({ app, base } = served);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await handle?.close();
});

interface IdpPost {
  method: string;
  fields: URLSearchParams;
}

/**
 * A browser context whose only outside site is the IdP: it records what is posted to its SSO URL and
 * answers the AuthnRequest for `email` with a signed response, posted back to the ACS by a form.
 */
async function newBrowser(company: TestCompany, email: string, javaScriptEnabled = true): Promise<{ context: BrowserContext; posts: IdpPost[] }> {
  const context = await browser.newContext({ javaScriptEnabled });
  const posts: IdpPost[] = [];
  await context.route('**/*', async (route) => {
    const request: Request = route.request();
    const url = new URL(request.url());
    if (url.hostname === '127.0.0.1') return route.continue();
    if (url.href === IDP_SSO) {
      const fields = new URLSearchParams(request.postData() ?? '');
      posts.push({ method: request.method(), fields });
      const authnRequest = Buffer.from(fields.get('SAMLRequest') ?? '', 'base64').toString('utf8');
      const requestId = /\sID="([^"]+)"/.exec(authnRequest)?.[1];
      const sp = { entityId: `${base}/saml/${company.id}`, acsUrl: `${base}/saml/${company.id}/acs` };
      const response = idp.signResponse({ sp, now: new Date(), nameId: email, ...(requestId ? { inResponseTo: requestId } : {}) });
      const relay = fields.get('RelayState');
      return route.fulfill({
        contentType: 'text/html',
        body:
          `<form method="post" action="${escapeXml(sp.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${escapeXml(response)}">` +
          (relay === null ? '' : `<input type="hidden" name="RelayState" value="${escapeXml(relay)}">`) +
          '<button type="submit">Send</button></form><script>document.forms[0].submit()</script>',
      });
    }
    return route.abort();
  });
  return { context, posts };
}

async function companyPostingTo(name: string, email: string): Promise<TestCompany> {
  const company = await setupCompany(app, name);
  await configureSaml(app, company, idp, { ssoUrl: IDP_SSO, ssoBinding: 'post' });
  await confirmedUser(app, company, email);
  return company;
}

describe('SP-initiated sign-in against an IdP that offers only HTTP-POST, in Chromium', () => {
  it('posts the AuthnRequest to the IdP by itself, under its CSP, and the answer signs the person in', async () => {
    const email = 'pia@browser-post.example';
    const company = await companyPostingTo('Browser Post', email);
    const { context, posts } = await newBrowser(company, email);
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await Promise.all([page.waitForURL(`${base}/`), page.goto(`${base}/saml/${company.id}/login?RelayState=%2F`)]);
      expect(await page.textContent('body')).toContain(email);
      expect(posts).toHaveLength(1);
      expect(posts[0]!.method).toBe('POST');
      expect(posts[0]!.fields.get('RelayState')).toBe('/');
      expect(Buffer.from(posts[0]!.fields.get('SAMLRequest')!, 'base64').toString('utf8')).toContain(`Destination="${IDP_SSO}"`);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows Continue without JavaScript, and it posts the same form', async () => {
    const email = 'noah@browser-post.example';
    const company = await companyPostingTo('Browser Post NoJS', email);
    const { context, posts } = await newBrowser(company, email, false);
    try {
      const page = await context.newPage();
      await page.goto(`${base}/saml/${company.id}/login`);
      expect(posts).toHaveLength(0);
      const button = page.getByRole('button', { name: 'Continue' });
      expect(await button.isVisible()).toBe(true);
      await Promise.all([page.waitForURL(IDP_SSO), button.click()]);
      expect(posts).toHaveLength(1);
      expect(posts[0]!.method).toBe('POST');
      expect(Buffer.from(posts[0]!.fields.get('SAMLRequest')!, 'base64').toString('utf8')).toMatch(/^<samlp:AuthnRequest /);
      // The IdP's own page needs its Send button too; the sign-in then completes.
      await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: 'Send' }).click()]);
      expect(await page.textContent('body')).toContain(email);
    } finally {
      await context.close();
    }
  });
});
