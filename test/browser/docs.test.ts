/**
 * The API reference at /docs as a person sees it, in Debian's Chromium driven by playwright-core
 * against the real Node server: Scalar renders the operations of /openapi.json, with no console error
 * and no Content-Security-Policy violation, and without any host but 127.0.0.1 (every other request is
 * aborted, and counted). A screenshot goes to /tmp (never committed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, start, stop } from '../support/server.js';
import { launchChromium } from '../support/browser.js';
import type { Running } from '../support/server.js';

const SHOTS = process.env.ADMIN_SCREENSHOTS_DIR ?? tmpdir();

let server: Running;
let dataDir: string;
let browser: Browser;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bridge-docs-'));
  const port = await freePort();
  server = await start({ DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent' }, port);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stop(server);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('/docs in a browser', () => {
  it('renders the operations with no console error, no CSP violation and no other host', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const elsewhere: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      elsewhere.push(url.href);
      return route.abort();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(message.text())) problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        // The one expected refusal: the bundle's schema library probes for eval with Function('') in a
        // try/catch and runs without it. Everything else the policy refuses is a failure.
        if (event.effectiveDirective === 'script-src' && event.blockedURI === 'eval') return;
        console.error(`CSP violation: ${event.effectiveDirective} ${event.blockedURI}`);
      });
    });

    const res = await page.goto(`${server.base}/docs`);
    expect(res?.status()).toBe(200);
    // Summaries of operations from each part of the API, as Scalar lists them.
    for (const name of ['Create a directory user', 'Assertion Consumer Service', 'Create a company', 'The signed-in user']) {
      await expect.poll(() => page.getByText(name, { exact: false }).first().isVisible(), { timeout: 30_000, message: name }).toBe(true);
    }
    await page.screenshot({ path: join(SHOTS, 'bridge-docs.png') });
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
    await context.close();
  }, 90_000);
});
