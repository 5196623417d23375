import { Buffer } from 'node:buffer';
import { IdentityProvider, ServiceProvider } from 'samlify';
import { NAMEID_FORMAT_EMAIL } from './metadata.js';
import type { SpIdentity } from './types.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
/** xs:ID is an NCName: the caller's stored request ID must be one, or IdPs reject the request. */
const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export interface AuthnRequestInput {
  sp: SpIdentity;
  idpSsoUrl: string;
  /** Generated and stored by the caller (e.g. `_` + random hex) so the response's InResponseTo can be matched. */
  requestId: string;
  now: Date;
  relayState?: string | undefined;
  nameIdFormat?: string | undefined;
  forceAuthn?: boolean | undefined;
  /**
   * Sign the request with the SP signing key (RSA-SHA256): on HTTP-Redirect the signature is over the
   * query string (SAMLRequest, RelayState, SigAlg; bindings §3.4.4.1), on HTTP-POST an enveloped XML
   * signature after the Issuer. samlify does both; the key is the connection's, unsealed by the caller.
   */
  sign?: { privateKeyPem: string; certificatePem: string } | undefined;
}

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

/** The samlify SP and IdP a request is built with (the IdP entity is a placeholder: only its endpoint is used). */
function samlifyPair(input: AuthnRequestInput, binding: string) {
  const signed = input.sign !== undefined;
  const sp = ServiceProvider({
    entityID: input.sp.entityId,
    assertionConsumerService: [{ Binding: POST, Location: input.sp.acsUrl }],
    authnRequestsSigned: signed,
    ...(input.sign ? { privateKey: input.sign.privateKeyPem, signingCert: input.sign.certificatePem, requestSignatureAlgorithm: RSA_SHA256 } : {}),
  });
  const idp = IdentityProvider({
    entityID: 'urn:invalid:unused-idp-entity',
    wantAuthnRequestsSigned: signed,
    singleSignOnService: [{ Binding: binding, Location: input.idpSsoUrl }],
    singleLogoutService: [{ Binding: binding, Location: input.idpSsoUrl }],
  });
  return { sp, idp };
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The unsigned AuthnRequest XML (our `now`, not samlify's clock). */
export function buildAuthnRequestXml(input: AuthnRequestInput): string {
  if (!NCNAME.test(input.requestId)) throw new TypeError('requestId must be an XML NCName (start with a letter or "_")');
  if (Number.isNaN(input.now.getTime())) throw new TypeError('now is not a valid date');
  const attrs = [
    `ID="${escapeXml(input.requestId)}"`,
    'Version="2.0"',
    `IssueInstant="${input.now.toISOString()}"`,
    `Destination="${escapeXml(input.idpSsoUrl)}"`,
    `ProtocolBinding="${POST}"`,
    `AssertionConsumerServiceURL="${escapeXml(input.sp.acsUrl)}"`,
    ...(input.forceAuthn ? ['ForceAuthn="true"'] : []),
  ];
  return (
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ${attrs.join(' ')}>` +
    `<saml:Issuer>${escapeXml(input.sp.entityId)}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="${escapeXml(input.nameIdFormat ?? NAMEID_FORMAT_EMAIL)}" AllowCreate="true"/>` +
    '</samlp:AuthnRequest>'
  );
}

/**
 * SP-initiated login: the IdP URL carrying a deflated AuthnRequest (HTTP-Redirect binding), the
 * RelayState, and SigAlg + Signature when signed. samlify does the encoding and keeps any query string
 * the IdP URL already has.
 */
export function buildAuthnRequestRedirect(input: AuthnRequestInput): string {
  const xml = buildAuthnRequestXml(input);
  const { sp, idp } = samlifyPair(input, REDIRECT);
  const result = sp.createLoginRequest(idp, 'redirect', {
    ...(input.relayState !== undefined ? { relayState: input.relayState } : {}),
    customTagReplacement: () => ({ id: input.requestId, context: xml }),
  });
  return result.context;
}

export interface AuthnRequestPost {
  /** Where the browser posts the form: the IdP's HTTP-POST SSO URL, as configured. */
  action: string;
  /** The AuthnRequest XML in base64, not deflated (HTTP-POST binding, SAML bindings §3.5.4). */
  samlRequest: string;
  relayState?: string;
}

/** SP-initiated login for an IdP that takes the AuthnRequest only by HTTP-POST: the form's fields. */
export function buildAuthnRequestPost(input: AuthnRequestInput): AuthnRequestPost {
  const xml = buildAuthnRequestXml(input);
  let samlRequest = Buffer.from(xml, 'utf8').toString('base64');
  if (input.sign) {
    const { sp, idp } = samlifyPair(input, POST);
    samlRequest = (sp.createLoginRequest(idp, 'post', { customTagReplacement: () => ({ id: input.requestId, context: xml }) }) as { context: string }).context;
  }
  return {
    action: input.idpSsoUrl,
    samlRequest,
    ...(input.relayState !== undefined ? { relayState: input.relayState } : {}),
  };
}
