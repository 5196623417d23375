import { describe, expect, it } from 'vitest';
import { JIT_REFUSAL_REASONS, REASON_CODES, SAML_FAILURE_REASONS, explainReason, isReasonCode } from '../../src/core/reasons.js';

const contexts = [{}, { domain: 'decorumsoft.eu', companyName: 'Decorumsoft', email: 'jon.smith@decorumsoft.eu' }];

describe('reason codes', () => {
  it('lists every JIT and SAML reason exactly once', () => {
    expect(new Set(REASON_CODES).size).toBe(REASON_CODES.length);
    for (const reason of [...JIT_REFUSAL_REASONS, ...SAML_FAILURE_REASONS]) expect(REASON_CODES).toContain(reason);
  });

  it('includes the codes the spec and the SAML layer rely on', () => {
    for (const reason of [
      'jit_disabled', 'sp_initiated', 'domain_not_eligible', 'not_in_directory', 'directory_user_inactive', 'user_suspended', 'email_missing',
      'malformed', 'dtd_forbidden', 'too_large', 'signature_missing', 'signature_invalid', 'sha1_not_allowed', 'issuer_mismatch',
      'audience_mismatch', 'recipient_mismatch', 'destination_mismatch', 'assertion_expired', 'assertion_not_yet_valid',
      'status_not_success', 'assertion_count', 'encryption_not_configured', 'decryption_failed', 'subject_missing', 'replayed',
      'unknown_request', 'saml_not_configured',
    ]) {
      expect(isReasonCode(reason), reason).toBe(true);
    }
    expect(isReasonCode('nope')).toBe(false);
    expect(isReasonCode(42)).toBe(false);
  });

  it('uses stable snake_case codes', () => {
    for (const reason of REASON_CODES) expect(reason).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
  });
});

describe('explainReason', () => {
  it.each(REASON_CODES.flatMap((reason) => contexts.map((context) => ({ reason, context }))))(
    '$reason has a plain explanation ($context)',
    ({ reason, context }) => {
      const explanation = explainReason(reason, context);
      for (const text of [explanation.title, explanation.message, explanation.adviceForAdmin]) {
        expect(text.trim().length).toBeGreaterThan(10);
        expect(text).not.toMatch(/undefined|null|\$\{|\s{2}/);
        expect(text).not.toContain(reason);
        expect(text).toMatch(/^[A-Z]/);
      }
    },
  );

  it('says the seed example in plain words', () => {
    const explanation = explainReason('domain_not_eligible', { domain: 'decorumsoft.eu', companyName: 'Decorumsoft' });
    expect(explanation.message).toBe(
      'Your email domain decorumsoft.eu has no confirmed account in Decorumsoft yet, so an account cannot be created for you automatically.',
    );
    expect(explanation.adviceForAdmin).toContain('exception for decorumsoft.eu');
  });

  it('takes the domain from the email when no domain is given', () => {
    expect(explainReason('domain_not_eligible', { email: 'jon.smith@decorumsoft.eu' }).message).toContain('decorumsoft.eu has no confirmed account in your company');
  });

  it('reads naturally without any context', () => {
    expect(explainReason('domain_not_eligible').message).toBe(
      'Your email domain has no confirmed account in your company yet, so an account cannot be created for you automatically.',
    );
    expect(explainReason('not_in_directory').message).toContain('and you are not listed there');
    expect(explainReason('directory_unavailable').message).toMatch(/^Your company only creates/);
  });

  it('tells the person to start from the IdP portal when SP-initiated', () => {
    expect(explainReason('sp_initiated').message).toMatch(/sign-in portal/);
  });

  it('explains every code the JIT rules can return', () => {
    for (const reason of JIT_REFUSAL_REASONS) expect(explainReason(reason).title).not.toBe('');
  });
});
