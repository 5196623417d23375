/** claimedIssuer: the Issuer a response claims, read without verifying, and null for anything unreadable. */
import { describe, expect, it } from 'vitest';
import { claimedIssuer } from '../../src/saml/index.js';
import { createTestIdp, generateKeyPair, toBase64 } from '../support/test-idp.js';

const idp = createTestIdp({ entityId: 'https://idp.test/claimed', keys: generateKeyPair('claimed') });
const sp = { entityId: 'https://bridge.test/saml/x', acsUrl: 'https://bridge.test/saml/x/acs' };
const now = new Date('2026-06-01T09:00:00Z');

describe('claimedIssuer', () => {
  it("reads the Response's Issuer, else the Assertion's", () => {
    expect(claimedIssuer(idp.signResponse({ sp, now }))).toBe('https://idp.test/claimed');
    expect(claimedIssuer(idp.signResponse({ sp, now, issuer: null, assertionIssuer: 'https://idp.test/inner' }))).toBe('https://idp.test/inner');
  });

  it('whatever signed it: the claim is unverified', () => {
    expect(claimedIssuer(idp.signResponse({ sp, now, signingKey: generateKeyPair('other'), issuer: 'https://idp.test/forged' }))).toBe('https://idp.test/forged');
  });

  it('is null for what cannot be read or names no issuer', () => {
    expect(claimedIssuer('not base64 at all!')).toBeNull();
    expect(claimedIssuer(toBase64('<samlp:Response'))).toBeNull();
    expect(claimedIssuer(toBase64('<!DOCTYPE x [<!ENTITY e "x">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'))).toBeNull();
    expect(claimedIssuer(toBase64('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'))).toBeNull();
    const twoIssuers =
      '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">' +
      '<saml:Issuer>https://a.test</saml:Issuer><saml:Issuer>https://b.test</saml:Issuer></samlp:Response>';
    expect(claimedIssuer(toBase64(twoIssuers))).toBeNull();
    expect(claimedIssuer(idp.signResponse({ sp, now, issuer: '   ' }))).toBeNull();
  });
});
