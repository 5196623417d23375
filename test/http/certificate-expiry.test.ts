/**
 * IdP signing certificates that expire, with certificates generated here and the app's clock pinned
 * relative to their notAfter: a response signed only by an expired certificate is refused
 * `certificate_expired` (unless the connection allows it), a rollover to a valid certificate signs in,
 * and the expiry check records each warning once, also when runs overlap; the admin API shows them.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs } from '../support/saml.js';
import { createTestIdp, generateKeyPair, reissueCertificate } from '../support/test-idp.js';
import type { KeyPair } from '../support/test-idp.js';

const DAY = 86_400_000;
let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await openTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

/** Valid for 30 days from now, and one valid for ten years. */
const shortLived = generateKeyPair('short-lived', { days: 30 });
const longLived = generateKeyPair('long-lived');
const notAfterOf = (keys: KeyPair) => new Date(new X509Certificate(keys.certificatePem).validTo);
const fingerprintOf = (keys: KeyPair) => new X509Certificate(keys.certificatePem).fingerprint256;

/** An app whose clock reads `clock.now`, and a company whose first connection trusts `certificates` (the first signs). */
async function arrange(at: Date, signer: KeyPair, certificates: KeyPair[], extra: Record<string, unknown> = {}) {
  const clock = { now: at };
  const app = makeApp(handle, { now: () => clock.now });
  const company = await setupCompany(app, 'Expiring Ltd');
  const idp = createTestIdp({ keys: signer });
  await configureSaml(app, company, idp, { certificates: certificates.map((k) => k.certificatePem), ...extra });
  return { app, company, idp, clock };
}

async function events(app: TestApp, company: TestCompany, action: string) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=${action}&limit=50`, { token: company.key });
  expect(res.status, res.text).toBe(200);
  return res.json.events as { reason: string | null; count: number; target: { id: string } | null; data: Record<string, any> }[];
}

describe('a response signed by an expired certificate', () => {
  it('is refused certificate_expired: a page naming it, no cookie, and an audit row of its own per attempt', async () => {
    const at = new Date(notAfterOf(shortLived).getTime() + DAY);
    const { app, company, idp } = await arrange(at, shortLived, [shortLived]);
    await confirmedUser(app, company, 'jon@expiring.test');
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@expiring.test', at));
      expect(res.status).toBe(403);
      expect(res.setCookie).toBeNull();
      expect(res.html).toContain('certificate_expired');
      expect(res.html).toContain('certificate has expired');
    }
    const refused = await events(app, company, 'saml.login_refused');
    // Authenticated refusals: one row each (count 1), not the hourly aggregate of unsigned garbage.
    expect(refused.map((e) => [e.reason, e.count])).toEqual([
      ['certificate_expired', 1],
      ['certificate_expired', 1],
    ]);
    expect(refused[0]!.data.detail).toContain(fingerprintOf(shortLived));
    expect(await events(app, company, 'saml.login')).toEqual([]);
  });

  it('signs in when the connection allows expired certificates, and is refused again once it no longer does', async () => {
    const at = new Date(notAfterOf(shortLived).getTime() + 400 * DAY);
    const { app, company, idp } = await arrange(at, shortLived, [shortLived], { allowExpiredCertificates: true });
    await confirmedUser(app, company, 'legacy@expiring.test');
    const ok = await postAcs(app, company.id, idpInitiated(idp, company.id, 'legacy@expiring.test', at));
    expect(ok.status, ok.html).toBe(303);
    expect(ok.setCookie).toMatch(/^__Host-bridge_session=/);

    const conn = await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key });
    const off = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${conn.json.id}`, { token: company.key, body: { allowExpiredCertificates: false } });
    expect(off.status, off.text).toBe(200);
    expect(off.json.options.allowExpiredCertificates).toBe(false);
    const refused = await postAcs(app, company.id, idpInitiated(idp, company.id, 'legacy@expiring.test', at));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('certificate_expired');
  });

  it('is refused at the instant of notAfter (notAfter <= now), and accepted a second before', async () => {
    const notAfter = notAfterOf(shortLived);
    const before = new Date(notAfter.getTime() - 1000);
    const { app, company, idp, clock } = await arrange(before, shortLived, [shortLived]);
    await confirmedUser(app, company, 'edge@expiring.test');
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'edge@expiring.test', before))).status).toBe(303);
    clock.now = notAfter;
    const at = await postAcs(app, company.id, idpInitiated(idp, company.id, 'edge@expiring.test', notAfter));
    expect(at.status).toBe(403);
    expect(at.html).toContain('certificate_expired');
  });
});

describe('rollover', () => {
  const expiredAt = () => new Date(notAfterOf(shortLived).getTime() + 10 * DAY);

  it('accepts a response signed by the valid certificate while an expired one is still listed (either order)', async () => {
    for (const order of [[shortLived, longLived], [longLived, shortLived]]) {
      const at = expiredAt();
      const { app, company, idp } = await arrange(at, longLived, order);
      await confirmedUser(app, company, 'roll@expiring.test');
      const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'roll@expiring.test', at));
      expect(res.status, res.html).toBe(303);
    }
  });

  it('still refuses the expired certificate’s own signature while a valid one is listed', async () => {
    const at = expiredAt();
    const { app, company, idp } = await arrange(at, shortLived, [shortLived, longLived]);
    await confirmedUser(app, company, 'old@expiring.test');
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'old@expiring.test', at));
    expect(res.status).toBe(403);
    expect(res.html).toContain('certificate_expired');
  });

  it('accepts a signature that the expired certificate and its renewal (same key) both verify, even when KeyInfo names the expired one', async () => {
    const at = expiredAt();
    const renewed = reissueCertificate(shortLived, 'short-lived-renewed');
    // The signer's KeyInfo carries the expired certificate, listed first: the renewal must still be the one that counts.
    const { app, company, idp } = await arrange(at, shortLived, [shortLived, renewed]);
    await confirmedUser(app, company, 'renewed@expiring.test');
    const res = await postAcs(app, company.id, idpInitiated(idp, company.id, 'renewed@expiring.test', at));
    expect(res.status, res.html).toBe(303);
  });
});
