/** Shared setup for the test-IdP based verifier tests: one IdP, one SP, a pinned clock. */
import { verifySamlResponse } from '../../src/saml/index.js';
import type { IdpTrust, SpIdentity, VerifyInput, VerifyResult } from '../../src/saml/index.js';
import type { TestIdp } from '../support/test-idp.js';

export const NOW = new Date('2026-03-02T10:00:00.000Z');
export const SP: SpIdentity = {
  entityId: 'https://bridge.example.com/saml/co_123/metadata',
  acsUrl: 'https://bridge.example.com/saml/co_123/acs',
};

export function trustOf(idp: TestIdp, overrides: Partial<IdpTrust> = {}): IdpTrust {
  return { entityId: idp.entityId, certificatesPem: [idp.certificatePem], allowSha1: false, ...overrides };
}

export function verify(
  samlResponse: string,
  idp: TestIdp,
  overrides: { idp?: Partial<IdpTrust>; sp?: SpIdentity; now?: Date; clockSkewMs?: number } = {},
): Promise<VerifyResult> {
  const input: VerifyInput = {
    samlResponse,
    idp: trustOf(idp, overrides.idp),
    sp: overrides.sp ?? SP,
    now: overrides.now ?? NOW,
    clockSkewMs: overrides.clockSkewMs,
  };
  return verifySamlResponse(input);
}

/** "accepted" or the refusal reason: compact for `expect(...).toBe(reason)`. */
export function outcome(result: VerifyResult): string {
  return result.ok ? 'accepted' : result.reason;
}

export const minutes = (n: number): number => n * 60_000;
export const at = (offsetMs: number): Date => new Date(NOW.getTime() + offsetMs);
