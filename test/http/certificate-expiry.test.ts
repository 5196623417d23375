/**
 * IdP signing certificates that expire, with certificates generated here and the app's clock pinned
 * relative to their notAfter: a response signed only by an expired certificate is refused
 * `certificate_expired` (unless the connection allows it), a rollover to a valid certificate signs in,
 * and the expiry check records each warning once, also when runs overlap; the admin API shows them.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warnExpiringCertificates } from '../../src/services/certificate-warnings.js';
import type { ServiceDeps } from '../../src/services/deps.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany, testConfig } from '../support/app.js';
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
/** Twenty years: still far from expiry when the clock is pinned near a ten-year certificate's notAfter. */
const successor = generateKeyPair('successor', { days: 7300 });
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

/** What the scheduler will pass: the app's own database and clock. */
const depsAt = (db: DatabaseHandle, now: Date): ServiceDeps => ({ db: db.db, publicUrl: testConfig.publicUrl, now: () => now, sessionSecret: testConfig.sessionSecret });

const WARNING_ACTIONS = ['saml_connection.certificate_expiring', 'saml_connection.certificate_expired'] as const;

/** The company's certificate warnings, oldest first, as [action, threshold, daysLeft, fingerprint]. */
async function warningEvents(app: TestApp, company: TestCompany) {
  const all = (await Promise.all(WARNING_ACTIONS.map(async (action) => (await events(app, company, action)).map((e) => ({ action, ...e })))))
    .flat()
    .reverse();
  return all
    .sort((a, b) => b.data.threshold - a.data.threshold)
    .map((e) => [e.action, e.data.threshold, e.data.daysLeft, e.data.fingerprint]);
}

describe('expiry warnings (warnExpiringCertificates)', () => {
  it('at 61, 59, 29, 6 and 0 days before notAfter: one event per threshold, once, with two runs at once each time; the API shows each step', async () => {
    const keys = generateKeyPair('warned');
    const notAfter = notAfterOf(keys);
    const fingerprint = fingerprintOf(keys);
    const { app, company, clock } = await arrange(new Date(notAfter.getTime() - 61 * DAY), keys, [keys]);
    const steps: [number, string | null, [string, number, number][]][] = [
      [61, null, []],
      [59, 'expiring_60', [['saml_connection.certificate_expiring', 60, 59]]],
      [29, 'expiring_30', [['saml_connection.certificate_expiring', 30, 29]]],
      [6, 'expiring_7', [['saml_connection.certificate_expiring', 7, 6]]],
      [0, 'expired', [['saml_connection.certificate_expired', 0, 0]]],
    ];
    const expected: unknown[] = [];
    for (const [days, warning, added] of steps) {
      clock.now = new Date(notAfter.getTime() - days * DAY);
      const deps = depsAt(handle, clock.now);
      // Two instances at once, then a third later: still one event per threshold.
      const runs = await Promise.all([1, 2].map(() => warnExpiringCertificates(deps, clock.now, { companyId: company.id })));
      const again = await warnExpiringCertificates(deps, clock.now, { companyId: company.id });
      expect(runs.reduce((n, r) => n + r.recorded, 0) + again.recorded, `at ${days} days`).toBe(added.length);
      expected.push(...added.map((e) => [...e, fingerprint]));
      expect(await warningEvents(app, company), `at ${days} days`).toEqual(expected);

      const shown = await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key });
      expect(shown.json.idp.certificates[0], `at ${days} days`).toMatchObject({ fingerprintSha256: fingerprint, daysLeft: days, warning, expired: days === 0 });
      expect(shown.json.warnings.map((w: { code: string; fingerprint: string }) => [w.code, w.fingerprint]), `at ${days} days`).toEqual(
        warning === null ? [] : [[days === 0 ? 'certificate_expired' : 'certificate_expiring', fingerprint]],
      );
    }
    const [expired] = await events(app, company, 'saml_connection.certificate_expired');
    expect(expired!.target).toMatchObject({ type: 'saml_connection', id: (await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key })).json.id });
    expect(expired!.data).toMatchObject({ subject: 'CN=warned', notAfter: notAfter.toISOString() });
  });

  it('a certificate first seen 6 days before expiry gets the 7-day warning only, then the expired one; a new certificate is warned on its own', async () => {
    const keys = generateKeyPair('late');
    const notAfter = notAfterOf(keys);
    const { app, company, clock } = await arrange(new Date(notAfter.getTime() - 6 * DAY), keys, [keys]);
    await warnExpiringCertificates(depsAt(handle, clock.now), clock.now, { companyId: company.id });
    expect(await warningEvents(app, company)).toEqual([['saml_connection.certificate_expiring', 7, 6, fingerprintOf(keys)]]);

    // Rollover: the new certificate is added beside the old one; with years left, it has no warning.
    const conn = (await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key })).json;
    const patched = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${conn.id}`, {
      token: company.key,
      body: { certificates: [keys.certificatePem, successor.certificatePem] },
    });
    expect(patched.status, patched.text).toBe(200);
    clock.now = new Date(notAfter.getTime() + DAY);
    await warnExpiringCertificates(depsAt(handle, clock.now), clock.now, { companyId: company.id });
    await warnExpiringCertificates(depsAt(handle, clock.now), clock.now, { companyId: company.id });
    expect(await warningEvents(app, company)).toEqual([
      ['saml_connection.certificate_expiring', 7, 6, fingerprintOf(keys)],
      ['saml_connection.certificate_expired', 0, -1, fingerprintOf(keys)],
    ]);
    const listed = await call(app, 'GET', `/api/companies/${company.id}/saml-connections`, { token: company.key });
    expect(listed.json.connections[0].idp.certificates.map((c: { warning: string | null }) => c.warning)).toEqual(['expired', null]);
    expect(listed.json.connections[0].warnings).toHaveLength(1);
    expect(listed.json.connections[0].warnings[0].message).toMatch(/expired on .*refused \(certificate_expired\)/);
  });

  it('walks every connection of every company in bounded batches (a database of its own, so nothing else is touched)', async () => {
    const own = await openTestDatabase('pglite');
    try {
      const keys = generateKeyPair('batched');
      const at = new Date(notAfterOf(keys).getTime() - 20 * DAY);
      const app = makeApp(own, { now: () => at });
      const companies: TestCompany[] = [];
      for (let i = 0; i < 3; i++) {
        const company = await setupCompany(app, `Batch ${i}`);
        companies.push(company);
        for (let j = 0; j < 2; j++) {
          const res = await call(app, 'POST', `/api/companies/${company.id}/saml-connections`, {
            token: company.key,
            body: { name: `IdP ${j}`, idpEntityId: `https://idp${j}.batch.test`, ssoUrl: 'https://idp.batch.test/sso', certificates: [keys.certificatePem, successor.certificatePem] },
          });
          expect(res.status, res.text).toBe(201);
        }
      }
      const report = await warnExpiringCertificates(depsAt(own, at), at, { batchSize: 4 });
      expect(report).toEqual({ connections: 6, recorded: 6 });
      for (const company of companies) {
        const warned = await events(app, company, 'saml_connection.certificate_expiring');
        expect(warned.map((e) => e.data.connection.name).sort()).toEqual(['IdP 0', 'IdP 1']);
        expect(warned.every((e) => e.data.threshold === 30 && e.data.daysLeft === 20)).toBe(true);
      }
      expect(await warnExpiringCertificates(depsAt(own, at), at, { batchSize: 1 })).toEqual({ connections: 6, recorded: 0 });
    } finally {
      await own.close();
    }
  });
});
