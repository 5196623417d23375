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
 * SP-initiated login: the IdP URL carrying a deflated, unsigned AuthnRequest (HTTP-Redirect binding)
 * and the RelayState. samlify does the encoding and keeps any query string the IdP URL already has.
 */
export function buildAuthnRequestRedirect(input: AuthnRequestInput): string {
  const xml = buildAuthnRequestXml(input);
  const sp = ServiceProvider({
    entityID: input.sp.entityId,
    assertionConsumerService: [{ Binding: POST, Location: input.sp.acsUrl }],
    authnRequestsSigned: false,
  });
  const idp = IdentityProvider({
    entityID: 'urn:invalid:unused-idp-entity',
    wantAuthnRequestsSigned: false,
    singleSignOnService: [{ Binding: REDIRECT, Location: input.idpSsoUrl }],
    singleLogoutService: [{ Binding: REDIRECT, Location: input.idpSsoUrl }],
  });
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

/** SP-initiated login for an IdP that takes the (unsigned) AuthnRequest only by HTTP-POST: the form's fields. */
export function buildAuthnRequestPost(input: AuthnRequestInput): AuthnRequestPost {
  const xml = buildAuthnRequestXml(input);
  return {
    action: input.idpSsoUrl,
    samlRequest: Buffer.from(xml, 'utf8').toString('base64'),
    ...(input.relayState !== undefined ? { relayState: input.relayState } : {}),
  };
}
