/** HTTP-Redirect binding signatures (bindings §3.4.4.1): signed over the raw query octets, verified against any configured certificate. */
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIG_ALG_RSA_SHA256, signRedirectQuery, verifyRedirectQuery, withQuery } from '../../src/saml/index.js';
import { RSA_SHA1, otherEncoding, signRedirect } from '../support/slo.js';
import { generateKeyPair } from '../support/test-idp.js';
import type { KeyPair } from '../support/test-idp.js';

let idp: KeyPair;
let rolled: KeyPair;
let other: KeyPair;
const XML = '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0"/>';

beforeAll(() => {
  idp = generateKeyPair('idp');
  rolled = generateKeyPair('idp-next');
  other = generateKeyPair('other');
});

const check = (rawQuery: string, o: { allowSha1?: boolean; certificates?: string[]; maxXmlBytes?: number } = {}) =>
  verifyRedirectQuery({ rawQuery, certificatesPem: o.certificates ?? [rolled.certificatePem, idp.certificatePem], allowSha1: o.allowSha1 ?? false, maxXmlBytes: o.maxXmlBytes });

describe('verifyRedirectQuery', () => {
  it('accepts what the IdP signed, with any configured certificate, and names which', () => {
    const result = check(signRedirect('SAMLRequest', XML, idp, { relayState: 'r s/+' }));
    expect(result).toMatchObject({ field: 'SAMLRequest', xml: XML, relayState: 'r s/+', certificateIndex: 1, usedSha1: false });
  });

  it('verifies over the octets as received: another valid encoding verifies, re-encoding after signing does not', () => {
    const query = signRedirect('SAMLResponse', XML, idp, { relayState: 'x*y/z', encode: otherEncoding });
    expect(check(query)).toMatchObject({ field: 'SAMLResponse', relayState: 'x*y/z' });
    const reencoded = query.replace(/%[0-9a-f]{2}/g, (m) => m.toUpperCase());
    expect(reencoded).not.toBe(query);
    expect(check(reencoded)).toMatchObject({ ok: false, reason: 'signature_invalid' });
  });

  it('takes the signed parameters in §3.4.4.1 order whatever order the query has, and ignores others', () => {
    const query = signRedirect('SAMLRequest', XML, idp, { relayState: 'rs' });
    const reordered = `extra=1&${query.split('&').reverse().join('&')}`;
    expect(check(reordered)).toMatchObject({ xml: XML, relayState: 'rs' });
  });

  it('refuses unsigned, wrongly signed, tampered, unknown SigAlg and duplicated messages', () => {
    expect(check(signRedirect('SAMLRequest', XML, idp, { sign: false }))).toMatchObject({ reason: 'signature_missing' });
    expect(check(signRedirect('SAMLRequest', XML, other))).toMatchObject({ reason: 'signature_invalid' });
    const good = signRedirect('SAMLRequest', XML, idp, { relayState: 'a' });
    expect(check(good.replace('RelayState=a', 'RelayState=b'))).toMatchObject({ reason: 'signature_invalid' });
    expect(check(good.replace(/SigAlg=[^&]+/, `SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-md5')}`))).toMatchObject({ reason: 'signature_invalid' });
    expect(check(`${good}&SAMLRequest=abc`)).toMatchObject({ reason: 'malformed' });
    expect(check(`${good}&SAMLResponse=abc`)).toMatchObject({ reason: 'malformed' });
    expect(check(good, { certificates: [other.certificatePem] })).toMatchObject({ reason: 'signature_invalid' });
    expect(check(good.replace(/Signature=[^&]+$/, 'Signature=%%'))).toMatchObject({ ok: false });
  });

  it('accepts RSA-SHA1 only when the connection allows SHA-1', () => {
    const sha1 = signRedirect('SAMLRequest', XML, idp, { sigAlg: RSA_SHA1 });
    expect(check(sha1)).toMatchObject({ reason: 'sha1_not_allowed' });
    expect(check(sha1, { allowSha1: true })).toMatchObject({ xml: XML, usedSha1: true });
  });

  it('inflates with a bound (no zip bombs), and refuses a DTD', () => {
    const bomb = `<a>${'x'.repeat(2_000_000)}</a>`;
    expect(deflateRawSync(Buffer.from(bomb)).length).toBeLessThan(10_000);
    expect(check(signRedirect('SAMLRequest', bomb, idp))).toMatchObject({ reason: 'too_large' });
    expect(check(signRedirect('SAMLRequest', XML, idp), { maxXmlBytes: 20 })).toMatchObject({ reason: 'too_large' });
    expect(check(signRedirect('SAMLRequest', '<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', idp))).toMatchObject({ reason: 'dtd_forbidden' });
    expect(check(`SAMLRequest=${'A'.repeat(40_000)}`)).toMatchObject({ reason: 'too_large' });
  });
});

describe('signRedirectQuery', () => {
  it('signs RSA-SHA256 over what it sends, which the verifier (and an IdP) accepts', () => {
    const query = signRedirectQuery({ field: 'SAMLResponse', xml: XML, relayState: 'back here', privateKeyPem: idp.privateKeyPem });
    expect(query).toContain(`SigAlg=${encodeURIComponent(SIG_ALG_RSA_SHA256)}`);
    expect(check(query, { certificates: [idp.certificatePem] })).toMatchObject({ field: 'SAMLResponse', xml: XML, relayState: 'back here' });
    expect(withQuery('https://idp.test/slo?tenant=1', query).startsWith('https://idp.test/slo?tenant=1&SAMLResponse=')).toBe(true);
  });
});
