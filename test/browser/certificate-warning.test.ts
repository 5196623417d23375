/**
 * The admin page warns about an expiring IdP signing certificate of any of the company's connections
 * (here a second connection, whose certificate, made here, expires in 20 days), in a real browser
 * (Debian's Chromium via playwright-core) against the real server with the development demo, under
 * the page's CSP. Every request other than to 127.0.0.1 is aborted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { freePort, start, stop } from '../support/server.js';
import type { Running } from '../support/server.js';
import { generateKeyPair } from '../support/test-idp.js';

let server: Running;
let dataDir: string;
let browser: Browser;
let demo: { companyId: string; apiKey: string };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bridge-cert-warning-'));
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

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.base}/api/companies/${demo.companyId}${path}`, {
    method,
    headers: { Authorization: `Bearer ${demo.apiKey}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

describe('certificate warnings on the admin page', () => {
  it('shows none while every certificate is far from expiry, then names the connection whose certificate expires in 20 days', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    try {
      await page.goto(`${server.base}/dev/idp?RelayState=/admin`);
      await page.getByLabel('Email').fill('admin@decorumsoft.com');
      await Promise.all([page.waitForURL(`${server.base}/admin`), page.getByRole('button', { name: 'Sign in (IdP-initiated)' }).click()]);
      await page.locator('#idp-info table').waitFor();
      // Both loads have answered once the certificate table is there and the list call is done.
      await page.waitForLoadState('networkidle');
      expect(await page.locator('#cert-warnings').isHidden()).toBe(true);

      const expiring = generateKeyPair('okta-rollover', { days: 20 });
      const created = await api('POST', '/saml-connections', {
        name: 'Okta (EU)',
        idpEntityId: 'https://okta-eu.example/idp',
        ssoUrl: 'https://okta-eu.example/sso',
        certificates: [expiring.certificatePem],
      });
      expect(created.status).toBe(201);
      expect(created.json.idp.certificates[0]).toMatchObject({ warning: 'expiring_30', expired: false });

      await page.reload();
      const box = page.getByRole('region', { name: 'Certificate warnings' });
      await box.waitFor();
      expect(await box.getByRole('heading', { name: 'Identity provider certificates need attention' }).isVisible()).toBe(true);
      const item = ((await box.locator('li').textContent()) ?? '').trim();
      expect(item).toMatch(/^Okta \(EU\): The IdP signing certificate CN=okta-rollover .* expires in (19|20) days/);
      expect(item).toContain(created.json.idp.certificates[0].fingerprintSha256);
      // The first connection (the one the SAML help shows) is unaffected.
      expect(await page.locator('#idp-info').textContent()).toContain('Valid');
      await page.screenshot({ path: join(tmpdir(), 'bridge-admin-cert-warning.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
