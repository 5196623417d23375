/**
 * A generated corpus of the responses test/saml/verify*.test.ts builds with the test IdP: what must be
 * accepted and one representative of each refusal (envelope, status, subject, issuer, audience,
 * recipient, destination, time, configuration, signature rules, wrapping, comment injection, expired
 * IdP certificate, encryption). Built on demand: it generates keys with openssl.
 */
import { X509Certificate } from 'node:crypto';
import { SAML_RESPONSE_MAX_BASE64_LENGTH } from '../../src/saml/index.js';
import type { IdpTrust, SpIdentity, VerifyInput } from '../../src/saml/index.js';
import { createTestIdp, generateKeyPair, toBase64 } from '../support/test-idp.js';
import type { SignResponseOptions, TestIdp } from '../support/test-idp.js';
import { NOW, SP, at, minutes } from './harness.js';
import type { Intended, OracleCase } from './oracle-corpus.js';
import { WRAPS, flipFirst, moveAssertionSignatureToResponse, wrapSigned } from './oracle-wrapping.js';
import type { WrapName } from './oracle-wrapping.js';

const JANE = 'jane@acme.test';
const DAY = 86_400_000;

interface Overrides {
  idp?: Partial<IdpTrust>;
  sp?: SpIdentity;
  now?: Date;
  clockSkewMs?: number;
}

export function generatedCases(): OracleCase[] {
  const idp = createTestIdp({ entityId: 'https://idp.oracle.example/saml' });
  const renewed = createTestIdp({ entityId: idp.entityId });
  const attacker = generateKeyPair('attacker');
  const spKeys = generateKeyPair('sp-encryption');
  const otherSpKeys = generateKeyPair('other-sp');
  const expiringKeys = generateKeyPair('expiring-idp', { days: 5 });
  const expiring = createTestIdp({ entityId: 'https://idp.expiring.example/saml', keys: expiringKeys });
  const afterExpiry = new Date(new Date(new X509Certificate(expiringKeys.certificatePem).validTo).getTime() + 2 * DAY);
  const spWithKey: SpIdentity = { ...SP, encryption: spKeys };

  const cases: OracleCase[] = [];
  const add = (name: string, intended: Intended, samlResponse: string, overrides: Overrides = {}, nameId?: string, from: TestIdp = idp): void => {
    const input: VerifyInput = {
      samlResponse,
      idp: { entityId: from.entityId, certificatesPem: [from.certificatePem], allowSha1: false, ...overrides.idp },
      sp: overrides.sp ?? SP,
      now: overrides.now ?? NOW,
      clockSkewMs: overrides.clockSkewMs,
    };
    cases.push({ name: `gen:${name}`, input, intended, nameId: intended === 'refuse' ? undefined : nameId ?? JANE });
  };
  const signed = (o: Partial<SignResponseOptions> = {}, by: TestIdp = idp): string => by.signResponse({ sp: SP, now: NOW, nameId: JANE, ...o });
  const signedXml = (o: Partial<SignResponseOptions> = {}): string => idp.signResponseXml({ sp: SP, now: NOW, nameId: JANE, ...o });
  const encrypted = (o: Partial<SignResponseOptions> = {}): string => signed({ encryptFor: { certificatePem: spKeys.certificatePem }, ...o });
  const bothCerts = { certificatesPem: [idp.certificatePem, renewed.certificatePem] };

  // Accepted.
  for (const sign of ['assertion', 'response', 'both'] as const) add(`accept:signed-${sign}`, 'accept', signed({ sign, attributes: { groups: ['eng', 'ops'] } }));
  add('accept:sp-initiated', 'accept', signed({ inResponseTo: '_req42' }));
  add('accept:audience-list-includes-us', 'accept', signed({ audience: ['https://other/', SP.entityId] }));
  add('accept:no-destination', 'accept', signed({ destination: null }));
  add('accept:expired-inside-skew', 'accept', signed({ notOnOrAfter: at(-minutes(1)) }));
  add('accept:not-before-inside-skew', 'accept', signed({ notBefore: at(minutes(1)) }));
  for (const sign of ['assertion', 'response'] as const) add(`accept:sha1-allowed-${sign}`, 'accept', signed({ sign, algorithm: 'sha1' }), { idp: { allowSha1: true } });
  for (const keyInfo of [true, false]) {
    const ki = keyInfo ? 'keyinfo' : 'no-keyinfo';
    add(`accept:rollover-first-cert-${ki}`, 'accept', signed({ keyInfo }), { idp: bothCerts });
    add(`accept:rollover-second-cert-${ki}`, 'accept', signed({ keyInfo }, renewed), { idp: bothCerts });
  }
  for (const sign of ['assertion', 'response'] as const) {
    const split = signed({ sign, nameId: 'ross@octolabs.io', tamper: (x) => x.replace('>ross@octolabs.io<', '>ross@<!-- and a comment -->octolabs.io<') });
    add(`accept:comment-splits-nameid-${sign}`, 'accept', split, {}, 'ross@octolabs.io');
  }
  const shortened = signed({ sign: 'response', nameId: 'ross@octolabs.io.evil.com', tamper: (x) => x.replace('>ross@octolabs.io.evil.com<', '>ross@octolabs.io<!-- x -->.evil.com<') });
  add('accept:cve-2018-7340-comment-cannot-shorten-nameid', 'accept', shortened, {}, 'ross@octolabs.io.evil.com');
  add('accept:expired-idp-certificate-allowed', 'accept', signed({ now: afterExpiry }, expiring), { now: afterExpiry, idp: { allowExpiredCertificates: true } }, JANE, expiring);

  // Input limits and XML safety.
  add('input:oversized', 'refuse', 'A'.repeat(SAML_RESPONSE_MAX_BASE64_LENGTH + 4));
  add('input:not-base64', 'refuse', '%%%not-base64%%%');
  add('input:empty', 'refuse', '');
  add('input:not-xml', 'refuse', toBase64('hello world'));
  add('input:not-utf8', 'refuse', Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]).toString('base64'));
  add('input:truncated-xml', 'refuse', toBase64(signedXml().slice(0, 500)));
  add('input:another-root-element', 'refuse', toBase64('<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0"/>'));
  add('input:doctype-billion-laughs', 'refuse', toBase64('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol2;</samlp:Response>'));
  add('input:doctype-on-signed-response', 'refuse', toBase64(`<!DOCTYPE samlp:Response>${signedXml()}`));

  // Status, count, subject.
  add('status:responder', 'refuse', signed({ statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder', statusMessage: 'User is not assigned', assertionCount: 0, sign: 'response' }));
  add('count:two-assertions-each-signed', 'refuse', signed({ assertionCount: 2 }));
  add('count:two-assertions-all-signed', 'refuse', signed({ assertionCount: 2, sign: 'both' }));
  add('count:no-assertion-response-signed', 'refuse', signed({ assertionCount: 0, sign: 'response' }));
  add('subject:no-nameid', 'refuse', signed({ nameId: null }));

  // Issuer, audience, recipient, destination, InResponseTo.
  add('issuer:other-assertion-issuer', 'refuse', signed({ assertionIssuer: 'https://evil.example/' }));
  add('issuer:other-response-issuer', 'refuse', signed({ issuer: 'https://evil.example/' }));
  add('issuer:company-trusts-other-entity-id', 'refuse', signed(), { idp: { entityId: 'https://other-idp.example/' } });
  add('audience:other', 'refuse', signed({ audience: 'https://other-sp.example/' }));
  add('audience:missing', 'refuse', signed({ audience: null }));
  add('recipient:other', 'refuse', signed({ recipient: 'https://evil.example/acs' }));
  add('recipient:missing', 'refuse', signed({ recipient: null }));
  add('destination:other', 'refuse', signed({ destination: 'https://evil.example/acs' }));
  add('in-response-to:mismatch', 'refuse', signed({ inResponseTo: '_req1', tamper: (x) => x.replace('InResponseTo="_req1">', 'InResponseTo="_req2">') }));

  // Time (our `now`; samlify's window is open).
  add('time:expired-conditions', 'refuse', signed({ notOnOrAfter: at(-minutes(1)) }), { now: at(minutes(1)) });
  add('time:expired-subject-confirmation', 'refuse', signed({ subjectNotOnOrAfter: at(-minutes(3)) }));
  add('time:expired-session', 'refuse', signed({ sessionNotOnOrAfter: at(-minutes(10)) }));
  add('time:not-yet-valid', 'refuse', signed({ notBefore: at(minutes(3)) }));
  add('time:issued-in-future', 'refuse', signed({ issueInstant: at(minutes(10)) }));
  add('time:skew-clamped-to-five-minutes', 'refuse', signed({ notOnOrAfter: at(-minutes(6)), subjectNotOnOrAfter: at(-minutes(6)) }), { clockSkewMs: minutes(60) });

  // Configuration.
  add('config:no-certificate', 'refuse', signed(), { idp: { certificatesPem: [] } });
  add('config:not-a-certificate', 'refuse', signed(), { idp: { certificatesPem: ['not a cert'] } });

  // Signature rules.
  add('signature:unsigned', 'refuse', signed({ sign: 'none' }));
  for (const keyInfo of [true, false]) add(`signature:unknown-key-${keyInfo ? 'keyinfo' : 'no-keyinfo'}`, 'refuse', signed({ signingKey: attacker, keyInfo }));
  add('signature:attacker-resigns-both-with-own-keyinfo', 'refuse', signed({ signingKey: attacker, sign: 'both', nameId: 'admin@acme.test' }));
  add('signature:renewed-cert-not-configured', 'refuse', signed({}, renewed), { idp: { certificatesPem: [idp.certificatePem] } });
  add('signature:old-cert-replaced', 'refuse', signed(), { idp: { certificatesPem: [renewed.certificatePem] } });
  for (const sign of ['assertion', 'response'] as const) add(`signature:sha1-not-allowed-${sign}`, 'refuse', signed({ sign, algorithm: 'sha1' }));
  add('signature:response-signature-broken-assertion-valid', 'refuse',
    signed({ sign: 'both', tamper: (xml) => xml.replace(/(<samlp:Response[^>]*IssueInstant=")[^"]+"/, '$12026-03-02T09:59:59.000Z"') }));
  for (const sign of ['assertion', 'response', 'both'] as const) {
    add(`signature:nameid-rewritten-${sign}`, 'refuse', signed({ sign, tamper: (x) => x.replace(`>${JANE}<`, '>admin@acme.test<') }));
  }
  add('signature:tampered-digest-value', 'refuse', signed({ tamper: (x) => flipFirst(x, 'DigestValue') }));
  add('signature:tampered-signature-value', 'refuse', signed({ tamper: (x) => flipFirst(x, 'SignatureValue') }));
  add('signature:assertion-signature-moved-to-response', 'refuse', toBase64(moveAssertionSignatureToResponse(signedXml())));
  add('signature:text-appended-after-comment', 'refuse',
    signed({ sign: 'response', nameId: 'ross@octolabs.io', tamper: (x) => x.replace('>ross@octolabs.io<', '>ross@octolabs.io<!-- x -->.evil.com<') }));
  for (const name of Object.keys(WRAPS) as WrapName[]) {
    const sign = name.startsWith('xsw') ? 'response' : 'assertion';
    add(`wrapping:${name}`, 'refuse', toBase64(wrapSigned(signedXml({ sign }), name)));
  }
  for (const sign of ['assertion', 'response'] as const) {
    add(`certificate:expired-idp-certificate-${sign}`, 'refuse', signed({ sign, now: afterExpiry }, expiring), { now: afterExpiry }, undefined, expiring);
  }

  // Encryption (samlify decrypts through @authenio/xml-encryption).
  const withKey = { sp: spWithKey };
  for (const sign of ['assertion', 'response', 'both'] as const) add(`encrypted:accept-signed-${sign}`, 'accept', encrypted({ sign }), withKey);
  for (const data of ['aes128-cbc', 'aes128-gcm', 'aes256-gcm'] as const) {
    add(`encrypted:accept-${data}`, 'accept', encrypted({ encryptFor: { certificatePem: spKeys.certificatePem, data } }), withKey);
  }
  add('encrypted:sp-has-no-key', 'refuse', encrypted());
  add('encrypted:for-another-sp', 'refuse', encrypted({ encryptFor: { certificatePem: otherSpKeys.certificatePem } }), withKey);
  add('encrypted:3des-content', 'refuse', encrypted({ encryptFor: { certificatePem: spKeys.certificatePem, data: 'tripledes-cbc' } }), withKey);
  // samlify refuses this one too, but only because Node refuses RSA PKCS#1 v1.5 private decryption.
  add('encrypted:rsa-1_5-key-transport', 'refuse', encrypted({ encryptFor: { certificatePem: spKeys.certificatePem, key: 'rsa-1_5' } }), withKey);
  add('encrypted:unsigned', 'refuse', encrypted({ sign: 'none' }), withKey);
  add('encrypted:ciphertext-changed-under-response-signature', 'refuse',
    encrypted({ sign: 'response', tamper: (x) => x.replace(/(<xenc:CipherValue>)([A-Za-z0-9+/])/g, (_m, tag: string, c: string) => tag + (c === 'A' ? 'B' : 'A')) }), withKey);
  add('encrypted:two-assertions', 'refuse', encrypted({ assertionCount: 2 }), withKey);
  add('encrypted:wrong-audience', 'refuse', encrypted({ audience: 'https://other/' }), withKey);
  add('encrypted:inner-signature-broken-under-valid-response-signature', 'refuse',
    encrypted({ sign: 'both', tamperAssertion: (x) => x.replace(`>${JANE}<`, '>admin@acme.test<') }), withKey);
  return cases;
}
