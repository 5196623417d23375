/** SP metadata, IdP metadata import, the SP-initiated AuthnRequest redirect and certificate details. */
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import {
  CertificateError,
  buildAuthnRequestRedirect,
  buildSpMetadata,
  certificateInfo,
  normalizeCertificatePem,
  parseIdpMetadata,
} from '../../src/saml/index.js';
import { generateKeyPair } from '../support/test-idp.js';
import { loadManifest, readFixture } from './fixture-manifest.js';
import { NOW, SP } from './harness.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const [signing1, signing2, encryptionOnly] = [generateKeyPair('s1'), generateKeyPair('s2'), generateKeyPair('enc')];
const body = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
const keyDescriptor = (pem: string, use?: string) =>
  `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
const idpMetadata = (inner: string, entityId = 'https://idp.example/metadata') =>
  `<md:EntityDescriptor xmlns:md="${MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">` +
  `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${inner}</md:IDPSSODescriptor></md:EntityDescriptor>`;
const sso = (binding: 'HTTP-Redirect' | 'HTTP-POST', location = 'https://idp.example/sso') =>
  `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${location}"/>`;

describe('parseIdpMetadata', () => {
  for (const c of loadManifest().filter((m) => m.files.idpMetadata)) {
    it(`reads ${c.id}`, () => {
      const result = parseIdpMetadata(readFixture(c.files.idpMetadata as string));
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) return;
      expect(result.metadata.entityId).toBe(c.idpEntityId);
      expect(result.metadata.certificatesPem).toContain(normalizeCertificatePem(readFixture(c.files.idpCert)));
      expect(result.metadata.ssoUrl).toMatch(/^https?:\/\//);
    });
  }

  it('keeps every signing certificate (rollover), skips encryption-only ones and the metadata signature', () => {
    const xml = idpMetadata(
      keyDescriptor(signing1.certificatePem, 'signing') + keyDescriptor(signing2.certificatePem) +
        keyDescriptor(encryptionOnly.certificatePem, 'encryption') + keyDescriptor(signing1.certificatePem, 'signing') +
        sso('HTTP-POST', 'https://idp.example/post') + sso('HTTP-Redirect', 'https://idp.example/redirect'),
    ).replace('<md:IDPSSODescriptor', `<ds:Signature><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body(encryptionOnly.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature><md:IDPSSODescriptor`);
    const result = parseIdpMetadata(xml);
    expect(result).toEqual({
      ok: true,
      metadata: {
        entityId: 'https://idp.example/metadata',
        ssoUrl: 'https://idp.example/redirect',
        ssoBinding: 'redirect',
        certificatesPem: [normalizeCertificatePem(signing1.certificatePem), normalizeCertificatePem(signing2.certificatePem)],
        slo: null,
      },
    });
  });

  it('falls back to the HTTP-POST endpoint', () => {
    const result = parseIdpMetadata(idpMetadata(keyDescriptor(signing1.certificatePem) + sso('HTTP-POST')));
    expect(result.ok && result.metadata.ssoBinding).toBe('post');
  });

  it.each([
    ['dtd_forbidden', `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idpMetadata('&e;')}`],
    ['malformed', '<md:EntityDescriptor'],
    ['not_idp_metadata', buildSpMetadata({ ...SP, wantAssertionsSigned: true })],
    ['no_signing_certificate', idpMetadata(keyDescriptor(encryptionOnly.certificatePem, 'encryption') + sso('HTTP-POST'))],
    ['no_sso_url', idpMetadata(keyDescriptor(signing1.certificatePem))],
    ['multiple_entities', `<md:EntitiesDescriptor xmlns:md="${MD}">${[1, 2].map((n) => idpMetadata(keyDescriptor(signing1.certificatePem) + sso('HTTP-POST'), `https://idp${n}.example/`)).join('')}</md:EntitiesDescriptor>`],
    ['malformed', idpMetadata('<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>' + sso('HTTP-POST'))],
  ])('refuses with %s', (reason, xml) => {
    expect(parseIdpMetadata(xml)).toMatchObject({ ok: false, reason });
  });
});

describe('buildSpMetadata', () => {
  const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');

  it('declares entity ID, HTTP-POST ACS, NameID format and WantAssertionsSigned', () => {
    const doc = parse(buildSpMetadata({ ...SP, wantAssertionsSigned: true }));
    expect(doc.documentElement.getAttribute('entityID')).toBe(SP.entityId);
    const descriptor = doc.getElementsByTagNameNS(MD, 'SPSSODescriptor')[0] as Element;
    expect(descriptor.getAttribute('WantAssertionsSigned')).toBe('true');
    const acs = doc.getElementsByTagNameNS(MD, 'AssertionConsumerService')[0] as Element;
    expect(acs.getAttribute('Location')).toBe(SP.acsUrl);
    expect(acs.getAttribute('Binding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(doc.getElementsByTagNameNS(MD, 'NameIDFormat')[0]?.textContent).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    expect(doc.getElementsByTagNameNS(MD, 'KeyDescriptor').length).toBe(0);
  });

  it('publishes the encryption certificate when configured', () => {
    const xml = buildSpMetadata({ ...SP, wantAssertionsSigned: true, encryption: encryptionOnly, nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' });
    const key = parse(xml).getElementsByTagNameNS(MD, 'KeyDescriptor')[0] as Element;
    expect(key.getAttribute('use')).toBe('encryption');
    expect(key.textContent?.replace(/\s+/g, '')).toBe(body(encryptionOnly.certificatePem));
    expect(xml).toContain('nameid-format:persistent');
  });
});

describe('buildAuthnRequestRedirect', () => {
  const request = (url: string) => inflateRawSync(Buffer.from(new URL(url).searchParams.get('SAMLRequest') ?? '', 'base64')).toString();

  it('carries our request ID, our clock, ACS and issuer, and the RelayState', () => {
    const url = buildAuthnRequestRedirect({ sp: SP, idpSsoUrl: 'https://idp.example/sso', requestId: '_req_1', now: NOW, relayState: '/workspaces/1?tab=a' });
    expect(url.startsWith('https://idp.example/sso?SAMLRequest=')).toBe(true);
    expect(new URL(url).searchParams.get('RelayState')).toBe('/workspaces/1?tab=a');
    const xml = request(url);
    expect(xml).toContain('ID="_req_1"');
    expect(xml).toContain(`IssueInstant="${NOW.toISOString()}"`);
    expect(xml).toContain('Destination="https://idp.example/sso"');
    expect(xml).toContain(`AssertionConsumerServiceURL="${SP.acsUrl}"`);
    expect(xml).toContain(`<saml:Issuer>${SP.entityId}</saml:Issuer>`);
  });

  it('keeps the query string of the IdP URL (Google idpid)', () => {
    const url = new URL(buildAuthnRequestRedirect({ sp: SP, idpSsoUrl: 'https://accounts.google.com/o/saml2/idp?idpid=C02dfl1r1', requestId: '_r', now: NOW }));
    expect(url.searchParams.get('idpid')).toBe('C02dfl1r1');
    expect(url.searchParams.get('RelayState')).toBeNull();
  });

  it('refuses a request ID that is not an XML ID', () => {
    expect(() => buildAuthnRequestRedirect({ sp: SP, idpSsoUrl: 'https://idp.example/sso', requestId: '1 2"', now: NOW })).toThrow(TypeError);
  });
});

describe('certificateInfo', () => {
  it('reads expiry and fingerprint, with or without PEM headers', () => {
    const withHeaders = certificateInfo(signing1.certificatePem);
    const bare = certificateInfo(body(signing1.certificatePem));
    expect(bare).toEqual(withHeaders);
    expect(withHeaders.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(withHeaders.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(certificateInfo(readFixture('entra-id-2023-signed-assertion/idp-cert.pem')).notAfter.toISOString()).toBe('2026-11-16T20:41:29.000Z');
  });

  it('throws CertificateError on anything else', () => {
    expect(() => certificateInfo('hello')).toThrow(CertificateError);
    expect(() => certificateInfo('-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----')).toThrow(CertificateError);
  });
});
