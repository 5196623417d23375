/** Encrypted assertions: accepted only with the SP key configured, safe algorithms only, still signed. */
import { describe, expect, it } from 'vitest';
import type { SpIdentity } from '../../src/saml/index.js';
import { createTestIdp, generateKeyPair } from '../support/test-idp.js';
import type { SignResponseOptions } from '../support/test-idp.js';
import { NOW, SP, outcome, verify } from './harness.js';

const idp = createTestIdp({ entityId: 'https://idp.encrypting.example/saml' });
const spKeys = generateKeyPair('sp-encryption');
const otherSpKeys = generateKeyPair('other-sp');
const SP_WITH_KEY: SpIdentity = { ...SP, encryption: spKeys };
/** Flips one base64 character inside the encrypted content (not the encrypted key). */
const flipLastCipherValue = (xml: string): string => {
  const at = xml.lastIndexOf('<xenc:CipherValue>') + '<xenc:CipherValue>'.length + 60;
  return xml.slice(0, at) + (xml[at] === 'A' ? 'B' : 'A') + xml.slice(at + 1);
};
const encrypted = (options: Partial<SignResponseOptions> = {}): string =>
  idp.signResponse({ sp: SP, now: NOW, nameId: 'jane@acme.test', encryptFor: { certificatePem: spKeys.certificatePem }, ...options });

describe('encrypted assertions', () => {
  it.each(['assertion', 'response', 'both'] as const)('are accepted with the SP key (signed %s)', async (sign) => {
    const result = await verify(encrypted({ sign, attributes: { email: 'jane@acme.test' } }), idp, { sp: SP_WITH_KEY });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    expect(result.assertion).toMatchObject({
      nameId: 'jane@acme.test',
      encrypted: true,
      attributes: { email: ['jane@acme.test'] },
      signature: { responseSigned: sign !== 'assertion', assertionSigned: sign !== 'response' },
    });
  });

  it.each(['aes128-cbc', 'aes128-gcm', 'aes256-gcm'] as const)('are accepted with %s', async (data) => {
    const response = encrypted({ encryptFor: { certificatePem: spKeys.certificatePem, data } });
    expect(outcome(await verify(response, idp, { sp: SP_WITH_KEY }))).toBe('accepted');
  });

  it('are refused when the company has no SP encryption key', async () => {
    expect(outcome(await verify(encrypted(), idp))).toBe('encryption_not_configured');
  });

  it('are refused when encrypted for another SP', async () => {
    const response = encrypted({ encryptFor: { certificatePem: otherSpKeys.certificatePem } });
    expect(outcome(await verify(response, idp, { sp: SP_WITH_KEY }))).toBe('decryption_failed');
  });

  it.each([
    ['3DES content encryption', { data: 'tripledes-cbc' as const }],
    ['RSA PKCS#1 v1.5 key transport', { key: 'rsa-1_5' as const }],
  ])('refuse %s before decrypting', async (_name, algorithms) => {
    const response = encrypted({ encryptFor: { certificatePem: spKeys.certificatePem, ...algorithms } });
    const result = await verify(response, idp, { sp: SP_WITH_KEY });
    expect(outcome(result)).toBe('decryption_failed');
    expect(!result.ok && result.detail).toMatch(/insecure/);
  });

  it('must still be signed', async () => {
    const result = await verify(encrypted({ sign: 'none' }), idp, { sp: SP_WITH_KEY });
    expect(outcome(result)).toBe('decryption_failed');
    expect(!result.ok && result.detail).toContain('unsigned');
  });

  it('report every failure alike when the ciphertext is not covered by a Response signature (no decryption oracle)', async () => {
    const details = new Set<string>();
    for (const response of [
      encrypted({ sign: 'none' }),
      encrypted({ sign: 'assertion', encryptFor: { certificatePem: otherSpKeys.certificatePem } }),
      encrypted({ sign: 'assertion', tamper: flipLastCipherValue }),
    ]) {
      const result = await verify(response, idp, { sp: SP_WITH_KEY });
      expect(outcome(result)).toBe('decryption_failed');
      if (!result.ok) details.add(result.detail);
    }
    expect(details.size).toBe(1);
  });

  it('refuse a ciphertext changed under a Response signature', async () => {
    const response = encrypted({ sign: 'response', tamper: (x) => x.replace(/(<xenc:CipherValue>)([A-Za-z0-9+/])/g, (_m, tag: string, c: string) => tag + (c === 'A' ? 'B' : 'A')) });
    expect(outcome(await verify(response, idp, { sp: SP_WITH_KEY }))).toBe('signature_invalid');
  });

  it.each(['aes256-gcm', 'aes256-cbc'] as const)('refuse a changed %s ciphertext when only the assertion inside is signed', async (data) => {
    const response = encrypted({ sign: 'assertion', encryptFor: { certificatePem: spKeys.certificatePem, data }, tamper: flipLastCipherValue });
    const result = await verify(response, idp, { sp: SP_WITH_KEY });
    expect(['decryption_failed', 'malformed', 'signature_invalid']).toContain(outcome(result));
  });

  it('refuse two encrypted assertions', async () => {
    expect(outcome(await verify(encrypted({ assertionCount: 2 }), idp, { sp: SP_WITH_KEY }))).toBe('assertion_count');
  });

  it('check audience and time on the decrypted assertion', async () => {
    expect(outcome(await verify(encrypted({ audience: 'https://other/' }), idp, { sp: SP_WITH_KEY }))).toBe('audience_mismatch');
    expect(outcome(await verify(encrypted(), idp, { sp: SP_WITH_KEY, now: new Date(NOW.getTime() + 3_600_000) }))).toBe('assertion_expired');
  });
});
