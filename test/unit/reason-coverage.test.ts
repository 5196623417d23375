import { describe, expect, it } from 'vitest';
import { explainReason, isReasonCode } from '../../src/core/reasons.js';
import { SAML_FAILURE_REASONS } from '../../src/saml/index.js';

describe('reason codes', () => {
  it('every SAML verification failure has a plain-words explanation for the refusal page', () => {
    for (const reason of SAML_FAILURE_REASONS) {
      expect(isReasonCode(reason), reason).toBe(true);
      if (isReasonCode(reason)) expect(explainReason(reason).message.length).toBeGreaterThan(20);
    }
  });
});
