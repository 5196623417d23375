/**
 * The pages a person sees, on a phone-sized screen (375 px wide), in Debian's Chromium driven by
 * playwright-core against the real server with the development demo: the landing page after a real
 * signed sign-in, the test IdP, the refusal page after a refused sign-in and the admin page once its
 * script has filled the tables. None may scroll sideways. Screenshots go to /tmp (never committed).
 * Every request the browser makes other than to 127.0.0.1 is aborted.
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
const WIDTH = 375;

let server: Running;
let dataDir: string;
let browser: Browser;
let demo: { companyId: string; apiKey: string };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bridge-narrow-'));
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

/** A phone: 375 CSS px wide, touch, the page's own viewport tag honoured (as mobile browsers do). */
async function phone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
  await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  return { context, page: await context.newPage() };
}

/** Through the test IdP as a person does; the page posts the signed response to the ACS. */
async function signIn(page: Page, email: string, landsOn: string | RegExp): Promise<void> {
  await page.goto(`${server.base}/dev/idp`);
  await page.getByLabel('Email').fill(email);
  await Promise.all([page.waitForURL(landsOn), page.getByRole('button', { name: 'Sign in (IdP-initiated)' }).click()]);
}

/** The page's widths, and the elements that stick out past the right edge (for the failure message). */
async function widths(page: Page) {
  return page.evaluate((width) => {
    const wide = Array.from(document.querySelectorAll('body *'))
      .filter((el) => el.getBoundingClientRect().right > width + 0.5)
      .filter((el) => !el.closest('.scroll'))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).replace(/ /g, '.')}` : ''} ${Math.round(el.getBoundingClientRect().right)}px`);
    return {
      viewport: document.querySelector('meta[name=viewport]')?.getAttribute('content') ?? null,
      html: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
      innerWidth: window.innerWidth,
      wide,
    };
  }, WIDTH);
}

async function expectNoSidewaysScroll(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `narrow-${name}.png`), fullPage: true });
  const w = await widths(page);
  expect(w.html, `${name}: ${w.wide.join(', ')}`).toBeLessThanOrEqual(WIDTH);
  expect(w.body, `${name}: ${w.wide.join(', ')}`).toBeLessThanOrEqual(WIDTH);
  // Without the tag a phone lays the page out 980 px wide and shrinks it: nothing scrolls, nothing is legible.
  expect(w.viewport, name).toBe('width=device-width, initial-scale=1');
  expect(w.innerWidth, name).toBe(WIDTH);
}

describe('at 375 px nothing scrolls sideways', () => {
  it('the test IdP page', async () => {
    const { context, page } = await phone();
    try {
      await page.goto(`${server.base}/dev/idp`);
      await page.getByRole('heading', { name: 'Test identity provider' }).waitFor();
      await expectNoSidewaysScroll(page, 'test-idp');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('the landing page after a JIT sign-in, and the refusal page after a refused one', async () => {
    const { context, page } = await phone();
    try {
      // The IdP-initiated sign-in lands in the example application (OIDC), then the bridge's own page.
      await signIn(page, 'jane.smith@decorumsoft.com', `${server.base}/dev/app`);
      await page.getByText('Signed in as jane.smith@decorumsoft.com').waitFor();
      await expectNoSidewaysScroll(page, 'example-app');
      await page.goto(`${server.base}/`);
      await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
      await page.getByText('Your account was just created.').waitFor();
      await expectNoSidewaysScroll(page, 'landing');

      await signIn(page, 'jon.smith@decorumsoft.eu', /\/saml\/cmp_[0-9a-z]+\/acs$/);
      await page.getByText('domain_not_eligible').waitFor();
      await expectNoSidewaysScroll(page, 'refusal');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('the admin page, its tables filled by its script', async () => {
    // A SCIM token, so that the tokens table is there too.
    const created = await fetch(`${server.base}/api/companies/${demo.companyId}/scim-tokens`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${demo.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ label: 'Microsoft Entra ID provisioning for the whole company' }),
    });
    expect(created.status).toBe(201);
    const { context, page } = await phone();
    try {
      await signIn(page, 'admin@decorumsoft.com', `${server.base}/dev/app`);
      await page.goto(`${server.base}/`);
      await expectNoSidewaysScroll(page, 'landing-admin');
      await Promise.all([page.waitForURL(`${server.base}/admin`), page.getByRole('link', { name: 'Open the admin page' }).click()]);
      await page.getByRole('heading', { name: 'Settings · Decorumsoft (demo)' }).waitFor();
      await page.waitForFunction(() => document.getElementById('jit-state')?.textContent === 'On');
      for (const box of ['#idp-info', '#scim-tokens', '#audit-events']) await page.locator(`${box} table`).waitFor();
      await page.getByLabel('Email', { exact: true }).fill('jon.smith@decorumsoft.eu');
      await page.getByRole('button', { name: 'Explain' }).click();
      await page.locator('#explain-result table').waitFor();
      await expectNoSidewaysScroll(page, 'admin');
    } finally {
      await context.close();
    }
  }, 60_000);
});
