/**
 * Every real-world case of test/fixtures/saml/manifest.json, clock pinned to the case's `clock`,
 * trusting only the case's idp-cert.pem: valid cases verify (and each variant is refused with the
 * matching reason), negative cases are refused.
 */
import { describe, expect, it } from 'vitest';
import { verifySamlResponse } from '../../src/saml/index.js';
import type { SamlFailureReason, VerifyInput, VerifyResult } from '../../src/saml/index.js';
import { loadManifest, readFixture, spFor, usesSha1 } from './fixture-manifest.js';
import type { FixtureCase, FixtureVariant } from './fixture-manifest.js';

const cases = loadManifest();

/** Which refusals count as "the check the manifest names". */
const REASONS_FOR_CHECK: Record<string, SamlFailureReason[]> = {
  signature: ['signature_invalid'],
  'response-signature': ['signature_invalid'],
  'signature-untrusted-key': ['signature_invalid'],
  'signature-wrapping': ['signature_invalid', 'assertion_count'],
  status: ['status_not_success'],
  'nameid-comment-truncation': ['signature_invalid'],
};

const REASONS_FOR_VARIANT: Record<string, SamlFailureReason[]> = {
  expired: ['assertion_expired'],
  'not-yet-valid': ['assertion_not_yet_valid'],
  'wrong-audience': ['audience_mismatch'],
  'wrong-acs-url': ['recipient_mismatch', 'destination_mismatch'],
  'wrong-idp-entity-id': ['issuer_mismatch'],
};

function inputFor(c: FixtureCase, overrides: { allowSha1?: boolean; variant?: FixtureVariant } = {}): VerifyInput {
  const variant = overrides.variant;
  return {
    samlResponse: readFixture(c.files.responseBase64),
    idp: {
      entityId: variant?.idpEntityId ?? c.idpEntityId,
      certificatesPem: [readFixture(c.files.idpCert)],
      allowSha1: overrides.allowSha1 ?? usesSha1(c),
    },
    sp: spFor(c, variant?.sp),
    now: new Date(variant?.clock ?? c.clock),
  };
}

function describeResult(result: VerifyResult): string {
  return result.ok ? `accepted nameId=${result.assertion.nameId}` : `${result.reason}: ${result.detail}`;
}

describe('SAML fixtures from real IdPs', () => {
  it('has the cases the README describes', () => {
    expect(cases.filter((c) => c.expected.outcome === 'valid').length).toBeGreaterThanOrEqual(12);
    expect(cases.filter((c) => c.expected.outcome !== 'valid').length).toBeGreaterThanOrEqual(9);
  });

  for (const c of cases) {
    describe(c.id, () => {
      if (c.expected.outcome === 'valid') {
        it('is accepted with the manifest NameID, Issuer and InResponseTo', async () => {
          const result = await verifySamlResponse(inputFor(c));
          expect(result.ok, describeResult(result)).toBe(true);
          if (!result.ok) return;
          expect(result.assertion.nameId).toBe(c.nameId);
          expect(result.assertion.inResponseTo).toBe(c.inResponseTo);
          expect(result.assertion.issuer).toBe(c.issuer.assertion);
          expect(result.assertion.assertionId).not.toBe('');
          expect(result.assertion.encrypted).toBe(c.encryptedAssertion);
          // Replay protection lives in the database; it keys on these.
          expect(result.assertion.notOnOrAfter.getTime()).toBeGreaterThan(new Date(c.clock).getTime());
        });

        if (usesSha1(c)) {
          it('is refused without the SHA-1 allowance', async () => {
            const result = await verifySamlResponse(inputFor(c, { allowSha1: false }));
            expect(result.ok ? 'accepted' : result.reason).toBe('sha1_not_allowed');
          });
        }

        for (const variant of c.variants ?? []) {
          if (variant.name === 'replay') continue; // enforced by the replay store, not by this pure verifier
          it(`variant ${variant.name} is refused`, async () => {
            const expected = REASONS_FOR_VARIANT[variant.name];
            expect(expected, `unknown variant ${variant.name}`).toBeDefined();
            const result = await verifySamlResponse(inputFor(c, { variant }));
            expect(result.ok, describeResult(result)).toBe(false);
            if (!result.ok) expect(expected).toContain(result.reason);
          });
        }
      } else if (c.expected.outcome === 'reject') {
        it(`is refused (${c.expected.failingCheck})`, async () => {
          const result = await verifySamlResponse(inputFor(c));
          expect(result.ok, describeResult(result)).toBe(false);
          const expected = REASONS_FOR_CHECK[c.expected.failingCheck ?? ''];
          expect(expected, `unknown failingCheck ${c.expected.failingCheck}`).toBeDefined();
          if (!result.ok) expect(expected).toContain(result.reason);
        });
      } else {
        it('is refused or yields exactly the full NameID', async () => {
          const result = await verifySamlResponse(inputFor(c));
          if (result.ok) expect(result.assertion.nameId).toBe(c.expected.expectedNameID);
          else expect(REASONS_FOR_CHECK[c.expected.failingCheck ?? '']).toContain(result.reason);
        });
      }
    });
  }
});
