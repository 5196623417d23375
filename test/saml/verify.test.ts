/** verifySamlResponse against a test IdP: what is accepted, and one test per refusal of the envelope, time and subject checks. */
import { describe, expect, it, vi, afterEach } from 'vitest';
import { SAML_RESPONSE_MAX_BASE64_LENGTH, verifySamlResponse } from '../../src/saml/index.js';
import { parseInstant } from '../../src/saml/assertion.js';
import { createTestIdp, toBase64 } from '../support/test-idp.js';
import { NOW, SP, at, minutes, outcome, trustOf, verify } from './harness.js';

const idp = createTestIdp({ entityId: 'https://idp.example.org/saml/metadata' });
const base = { sp: SP, now: NOW };

describe('accepted responses', () => {
  it.each(['assertion', 'response', 'both'] as const)('signed %s: identity read from the signed element', async (sign) => {
    const result = await verify(idp.signResponse({ ...base, sign, nameId: 'jane@acme.test', attributes: { groups: ['eng', 'ops'], email: 'jane@acme.test' } }), idp);
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    expect(result.assertion).toMatchObject({
      nameId: 'jane@acme.test',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      issuer: idp.entityId,
      inResponseTo: null,
      attributes: { groups: ['eng', 'ops'], email: ['jane@acme.test'] },
      signature: { responseSigned: sign !== 'assertion', assertionSigned: sign !== 'response', certificateIndex: 0, usedSha1: false },
      encrypted: false,
    });
    expect(result.assertion.authnInstant?.toISOString()).toBe(NOW.toISOString());
  });

  it('gives a fresh assertion ID per response and the replay-cache expiry (earliest bound + skew)', async () => {
    const one = await verify(idp.signResponse({ ...base, notOnOrAfter: at(minutes(5)), subjectNotOnOrAfter: at(minutes(3)) }), idp);
    const two = await verify(idp.signResponse(base), idp);
    if (!one.ok || !two.ok) throw new Error('expected both accepted');
    expect(one.assertion.assertionId).not.toBe(two.assertion.assertionId);
    expect(one.assertion.responseId).not.toBe(two.assertion.responseId);
    expect(one.assertion.notOnOrAfter.toISOString()).toBe(at(minutes(3) + minutes(2)).toISOString());
  });

  it('returns InResponseTo for SP-initiated responses', async () => {
    const result = await verify(idp.signResponse({ ...base, inResponseTo: '_req42' }), idp);
    expect(result.ok && result.assertion.inResponseTo).toBe('_req42');
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('decides time from `now` only, whatever the system clock says', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('1999-01-01T00:00:00Z'));
    const result = await verify(idp.signResponse(base), idp);
    expect(outcome(result)).toBe('accepted');
  });
});

describe('input limits and XML safety', () => {
  it('refuses an oversized SAMLResponse before decoding it', async () => {
    const result = await verify('A'.repeat(SAML_RESPONSE_MAX_BASE64_LENGTH + 4), idp);
    expect(outcome(result)).toBe('too_large');
  });

  it('refuses a DOCTYPE with entities (XXE, billion laughs) before parsing', async () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol2;</samlp:Response>';
    expect(outcome(await verify(toBase64(laughs), idp))).toBe('dtd_forbidden');
    const xxe = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(outcome(await verify(toBase64(xxe), idp))).toBe('dtd_forbidden');
  });

  it('refuses a DOCTYPE even on a correctly signed response', async () => {
    const signed = idp.signResponseXml(base);
    expect(outcome(await verify(toBase64(`<!DOCTYPE samlp:Response>${signed}`), idp))).toBe('dtd_forbidden');
  });

  it.each([
    ['not base64', '%%%not-base64%%%'],
    ['empty', ''],
    ['not XML', toBase64('hello world')],
    ['not UTF-8', Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]).toString('base64')],
    ['truncated XML', toBase64(idp.signResponseXml(base).slice(0, 500))],
    ['another root element', toBase64('<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0"/>')],
  ])('refuses %s as malformed', async (_name, value) => {
    expect(outcome(await verify(value, idp))).toBe('malformed');
  });

  it('never throws, whatever it is given', async () => {
    for (const junk of ['====', toBase64('<a'), toBase64('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>')]) {
      await expect(verifySamlResponse({ samlResponse: junk, idp: trustOf(idp), sp: SP, now: NOW })).resolves.toMatchObject({ ok: false });
    }
  });
});

describe('status, count and subject', () => {
  it('refuses a non-Success status with its codes and message', async () => {
    const result = await verify(idp.signResponse({ ...base, statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder', statusMessage: 'User is not assigned', assertionCount: 0, sign: 'response' }), idp);
    expect(outcome(result)).toBe('status_not_success');
    expect(!result.ok && result.detail).toContain('User is not assigned');
  });

  it('refuses two assertions, even both validly signed', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, assertionCount: 2 }), idp))).toBe('assertion_count');
    expect(outcome(await verify(idp.signResponse({ ...base, assertionCount: 2, sign: 'both' }), idp))).toBe('assertion_count');
  });

  it('refuses a Success response without assertion', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, assertionCount: 0, sign: 'response' }), idp))).toBe('assertion_count');
  });

  it('refuses an assertion without NameID', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, nameId: null }), idp))).toBe('subject_missing');
  });
});

describe('issuer, audience, recipient, destination', () => {
  it('refuses another Assertion Issuer', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, assertionIssuer: 'https://evil.example/' }), idp))).toBe('issuer_mismatch');
  });
  it('refuses another Response Issuer', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, issuer: 'https://evil.example/' }), idp))).toBe('issuer_mismatch');
  });
  it('refuses when the company trusts another IdP entity ID', async () => {
    expect(outcome(await verify(idp.signResponse(base), idp, { idp: { entityId: 'https://other-idp.example/' } }))).toBe('issuer_mismatch');
  });
  it('refuses an assertion for another audience, or for no audience', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, audience: 'https://other-sp.example/' }), idp))).toBe('audience_mismatch');
    expect(outcome(await verify(idp.signResponse({ ...base, audience: null }), idp))).toBe('audience_mismatch');
  });
  it('accepts an audience list that includes us', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, audience: ['https://other/', SP.entityId] }), idp))).toBe('accepted');
  });
  it('refuses another Recipient, or none', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, recipient: 'https://evil.example/acs' }), idp))).toBe('recipient_mismatch');
    expect(outcome(await verify(idp.signResponse({ ...base, recipient: null }), idp))).toBe('recipient_mismatch');
  });
  it('refuses another Destination, accepts none', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, destination: 'https://evil.example/acs' }), idp))).toBe('destination_mismatch');
    expect(outcome(await verify(idp.signResponse({ ...base, destination: null }), idp))).toBe('accepted');
  });
  it('refuses InResponseTo values that disagree between Response and SubjectConfirmationData', async () => {
    const tampered = idp.signResponse({ ...base, inResponseTo: '_req1', tamper: (x) => x.replace('InResponseTo="_req1">', 'InResponseTo="_req2">') });
    expect(outcome(await verify(tampered, idp))).toBe('in_response_to_mismatch');
  });
});

describe('time windows with bounded skew', () => {
  const skew = minutes(2);
  it('refuses an expired assertion (Conditions), accepts it inside the skew', async () => {
    const response = idp.signResponse({ ...base, notOnOrAfter: at(-minutes(1)) });
    expect(outcome(await verify(response, idp, { now: NOW }))).toBe('accepted');
    expect(outcome(await verify(response, idp, { now: at(skew - minutes(1)) }))).toBe('assertion_expired');
  });
  it('refuses an expired SubjectConfirmationData while Conditions are still valid', async () => {
    const response = idp.signResponse({ ...base, subjectNotOnOrAfter: at(-minutes(3)) });
    expect(outcome(await verify(response, idp))).toBe('assertion_expired');
  });
  it('refuses an expired session (SessionNotOnOrAfter)', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, sessionNotOnOrAfter: at(-minutes(10)) }), idp))).toBe('assertion_expired');
  });
  it('refuses a not-yet-valid assertion, accepts it inside the skew', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, notBefore: at(minutes(1)) }), idp))).toBe('accepted');
    expect(outcome(await verify(idp.signResponse({ ...base, notBefore: at(minutes(3)) }), idp))).toBe('assertion_not_yet_valid');
  });
  it('refuses an assertion issued in the future', async () => {
    expect(outcome(await verify(idp.signResponse({ ...base, issueInstant: at(minutes(10)) }), idp))).toBe('assertion_not_yet_valid');
  });
  it('bounds the skew to five minutes', async () => {
    const response = idp.signResponse({ ...base, notOnOrAfter: at(-minutes(6)), subjectNotOnOrAfter: at(-minutes(6)) });
    expect(outcome(await verify(response, idp, { clockSkewMs: minutes(60) }))).toBe('assertion_expired');
    expect(outcome(await verify(response, idp, { clockSkewMs: minutes(7) }))).toBe('assertion_expired');
    const recent = idp.signResponse({ ...base, notOnOrAfter: at(-minutes(4)), subjectNotOnOrAfter: at(-minutes(4)) });
    expect(outcome(await verify(recent, idp, { clockSkewMs: minutes(60) }))).toBe('accepted');
  });
  it('reads only zoned xs:dateTime values', () => {
    expect(parseInstant('2026-03-02T10:00:00Z')?.toISOString()).toBe('2026-03-02T10:00:00.000Z');
    expect(parseInstant('2026-03-02T10:00:00.1234567Z')?.toISOString()).toBe('2026-03-02T10:00:00.123Z');
    expect(parseInstant('2026-03-02T12:00:00+02:00')?.toISOString()).toBe('2026-03-02T10:00:00.000Z');
    expect(parseInstant('2026-03-02T10:00:00')).toBeNull();
    expect(parseInstant('tomorrow')).toBeNull();
    expect(parseInstant('2026-13-40T10:00:00Z')).toBeNull();
  });
});

describe('configuration errors', () => {
  it('refuses when no certificate is configured, or one is not a certificate', async () => {
    expect(outcome(await verify(idp.signResponse(base), idp, { idp: { certificatesPem: [] } }))).toBe('config_invalid');
    expect(outcome(await verify(idp.signResponse(base), idp, { idp: { certificatesPem: ['not a cert'] } }))).toBe('config_invalid');
  });
});

describe('authenticated: whether a trusted signature had verified before the refusal', () => {
  const attacker = createTestIdp({ entityId: idp.entityId });
  it.each([
    ['not XML', 'malformed', false, () => toBase64('hello')],
    ['unsigned', 'signature_missing', false, () => idp.signResponse({ ...base, sign: 'none' })],
    ['signed by an unknown key', 'signature_invalid', false, () => attacker.signResponse(base)],
    ['signed, for another audience', 'audience_mismatch', true, () => idp.signResponse({ ...base, audience: 'https://other.example' })],
    ['signed, expired', 'assertion_expired', true, () => idp.signResponse({ ...base, now: at(-minutes(30)) })],
  ] as const)('%s: %s, authenticated %s', async (_label, reason, authenticated, build) => {
    expect(await verify(build(), idp)).toMatchObject({ ok: false, reason, authenticated });
  });
});
