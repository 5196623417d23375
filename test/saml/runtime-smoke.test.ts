/**
 * A runtime-neutral smoke test: no fs, no child_process, fixtures bundled as text. It runs in the
 * default Node project and is meant to run unchanged inside workerd (vitest-pool-workers,
 * nodejs_compat) to prove src/saml works there: signature, decryption, metadata, AuthnRequest.
 */
import { describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/saml/index.js';
import { buildAuthnRequestPost, buildAuthnRequestRedirect, buildSpMetadata, certificateInfo, parseIdpMetadata, verifySamlResponse } from '../../src/saml/index.js';
import entraCert from '../fixtures/saml/entra-id-2023-signed-assertion/idp-cert.pem?raw';
import entraMetadata from '../fixtures/saml/entra-id-2023-signed-assertion/idp-metadata.xml?raw';
import entraResponse from '../fixtures/saml/entra-id-2023-signed-assertion/response.b64?raw';
import oktaCert from '../fixtures/saml/okta-2017-encrypted-assertion/idp-cert.pem?raw';
import oktaResponse from '../fixtures/saml/okta-2017-encrypted-assertion/response.b64?raw';
import oktaSpCert from '../fixtures/saml/okta-2017-encrypted-assertion/sp-encryption-cert.pem?raw';
import oktaSpKey from '../fixtures/saml/okta-2017-encrypted-assertion/sp-encryption-key.pem?raw';

/** The NameID, or the whole refusal so that a failure explains itself. */
const nameIdOf = (result: VerifyResult): unknown => (result.ok ? result.assertion.nameId : result);

describe('src/saml without Node-only APIs', () => {
  it('verifies a signed Entra response and refuses it for another audience', async () => {
    const input = {
      samlResponse: entraResponse,
      idp: { entityId: 'https://sts.windows.net/a9054a0f-2011-4e31-b3ac-fd8c354146ec/', certificatesPem: [entraCert], allowSha1: false },
      sp: { entityId: 'http://localhost:8080/accounts/8155d0cc-d51b-461a-a062-821b6bd574b1/saml', acsUrl: 'http://localhost:8080/accounts/8155d0cc-d51b-461a-a062-821b6bd574b1/saml/acs' },
      now: new Date('2023-11-17T18:39:35.314Z'),
    };
    const result = await verifySamlResponse(input);
    expect(nameIdOf(result)).toBe('ulysse.carion_codomaindata.com#EXT#@ulyssecarioncodomaindata.onmicrosoft.com');
    const refused = await verifySamlResponse({ ...input, sp: { ...input.sp, entityId: 'https://other/' } });
    expect(refused.ok ? 'accepted' : refused.reason).toBe('audience_mismatch');
  });

  it('decrypts an Okta encrypted assertion', async () => {
    const result = await verifySamlResponse({
      samlResponse: oktaResponse,
      idp: { entityId: 'http://www.okta.com/exkbb59wb20X96NY20h7', certificatesPem: [oktaCert], allowSha1: false },
      sp: {
        entityId: 'https://saml.test.nope/session/sso/saml/spentityid/skv8dv26wh',
        acsUrl: 'https://saml.test.nope/session/sso/saml/acs/skv8dv26wh',
        encryption: { privateKeyPem: oktaSpKey, certificatePem: oktaSpCert },
      },
      now: new Date('2017-09-06T22:13:15.144Z'),
    });
    expect(nameIdOf(result)).toBe('fronkey@skyportsystems.com');
  });

  it('reads signed metadata, builds SP metadata and an AuthnRequest, reads certificates', () => {
    const metadata = parseIdpMetadata(entraMetadata);
    expect(metadata.ok && metadata.metadata.certificatesPem.length).toBe(1);
    expect(buildSpMetadata({ entityId: 'https://sp/', acsUrl: 'https://sp/acs', wantAssertionsSigned: true })).toContain('https://sp/acs');
    const url = buildAuthnRequestRedirect({ sp: { entityId: 'https://sp/', acsUrl: 'https://sp/acs' }, idpSsoUrl: 'https://idp/sso', requestId: '_r1', now: new Date(0) });
    expect(url).toMatch(/^https:\/\/idp\/sso\?SAMLRequest=/);
    const form = buildAuthnRequestPost({ sp: { entityId: 'https://sp/', acsUrl: 'https://sp/acs' }, idpSsoUrl: 'https://idp/sso', requestId: '_r2', now: new Date(0), relayState: '/x' });
    expect(form).toMatchObject({ action: 'https://idp/sso', relayState: '/x' });
    expect(atob(form.samlRequest)).toMatch(/^<samlp:AuthnRequest [^>]*ID="_r2"[^>]*Destination="https:\/\/idp\/sso"/);
    expect(certificateInfo(entraCert).notAfter.toISOString()).toBe('2026-11-16T20:41:29.000Z');
  });
});
