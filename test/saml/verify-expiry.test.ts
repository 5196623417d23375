/**
 * The verifier and expired IdP certificates (notAfter <= now, `now` given): a signature that only an
 * expired certificate verifies is refused `certificate_expired` as an authenticated refusal, wherever
 * the signature sits, unless `allowExpiredCertificates`; unexpired certificates are tried first; every
 * other refusal keeps its own reason.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SpIdentity } from '../../src/saml/index.js';
import { createTestIdp, generateKeyPair, reissueCertificate } from '../support/test-idp.js';
import type { SignResponseOptions } from '../support/test-idp.js';
import { SP, outcome, verify } from './harness.js';

const DAY = 86_400_000;
const keys = generateKeyPair('expiring-idp', { days: 5 });
const idp = createTestIdp({ entityId: 'https://idp.expiring.example/saml', keys });
const NOT_AFTER = new Date(new X509Certificate(keys.certificatePem).validTo);
/** Past the IdP certificate's notAfter. */
const LATER = new Date(NOT_AFTER.getTime() + 2 * DAY);
const spKeys = generateKeyPair('sp-encryption');
const SP_WITH_KEY: SpIdentity = { ...SP, encryption: spKeys };

const signed = (options: Partial<SignResponseOptions> = {}, now = LATER) => idp.signResponse({ sp: SP, now, nameId: 'jane@acme.test', ...options });

describe('a signature by an expired IdP certificate', () => {
  it.each(['assertion', 'response', 'both'] as const)('is refused certificate_expired, authenticated (signed %s)', async (sign) => {
    const result = await verify(signed({ sign }), idp, { now: LATER });
    expect(result).toMatchObject({ ok: false, reason: 'certificate_expired', authenticated: true });
    expect(!result.ok && result.detail).toContain(NOT_AFTER.toISOString());
  });

  it.each(['assertion', 'response'] as const)('is refused certificate_expired inside an encrypted assertion too (signed %s)', async (sign) => {
    const response = signed({ sign, encryptFor: { certificatePem: spKeys.certificatePem } });
    expect(await verify(response, idp, { now: LATER, sp: SP_WITH_KEY })).toMatchObject({ ok: false, reason: 'certificate_expired', authenticated: true });
  });

  it('is accepted with allowExpiredCertificates, plain or encrypted', async () => {
    expect(outcome(await verify(signed({ sign: 'both' }), idp, { now: LATER, idp: { allowExpiredCertificates: true } }))).toBe('accepted');
    const encrypted = signed({ encryptFor: { certificatePem: spKeys.certificatePem } });
    expect(outcome(await verify(encrypted, idp, { now: LATER, sp: SP_WITH_KEY, idp: { allowExpiredCertificates: true } }))).toBe('accepted');
  });

  it('is accepted a second before notAfter and refused at notAfter', async () => {
    const before = new Date(NOT_AFTER.getTime() - 1000);
    expect(outcome(await verify(signed({}, before), idp, { now: before }))).toBe('accepted');
    expect(outcome(await verify(signed({}, NOT_AFTER), idp, { now: NOT_AFTER }))).toBe('certificate_expired');
  });

  it('counts as the renewal’s when a renewed certificate with the same key is listed after it: certificateIndex names the valid one', async () => {
    const renewed = reissueCertificate(keys, 'expiring-idp-renewed');
    const result = await verify(signed({ sign: 'both' }), idp, { now: LATER, idp: { certificatesPem: [keys.certificatePem, renewed.certificatePem] } });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (result.ok) expect(result.assertion.signature.certificateIndex).toBe(1);
  });

  it('does not change what refuses an unsigned, wrongly signed or tampered response (unauthenticated, their own reasons)', async () => {
    const attacker = generateKeyPair('attacker');
    const cases: [Partial<SignResponseOptions>, string][] = [
      [{ sign: 'none' }, 'signature_missing'],
      [{ signingKey: attacker }, 'signature_invalid'],
      [{ tamper: (xml) => xml.replace('jane@acme.test', 'boss@acme.test') }, 'signature_invalid'],
    ];
    for (const [options, reason] of cases) {
      const result = await verify(signed(options), idp, { now: LATER });
      expect(result, reason).toMatchObject({ ok: false, reason, authenticated: false });
    }
    const garbled = signed({ sign: 'none', encryptFor: { certificatePem: spKeys.certificatePem } });
    expect(await verify(garbled, idp, { now: LATER, sp: SP_WITH_KEY })).toMatchObject({ ok: false, reason: 'decryption_failed', authenticated: false });
  });
});
