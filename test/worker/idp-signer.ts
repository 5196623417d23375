/**
 * The openssl-free half of a test IdP: builds an IdP-initiated SAML Response and signs its assertion
 * with xml-crypto, from a key pair made elsewhere. Runs in Node and in workerd (nodejs_compat), so
 * the Workers suite signs inside the Worker isolate and the Node global setup signs the same way.
 * The XML shape and signing options follow test/support/test-idp.ts.
 */
import { Buffer } from 'node:buffer';
import { SignedXml } from 'xml-crypto';

export interface IdpKeys {
  privateKeyPem: string;
  certificatePem: string;
}

export interface IdpInitiatedOptions {
  /** Whom the response is for: Audience, Recipient and Destination. */
  sp: { entityId: string; acsUrl: string };
  /** IssueInstant and NotBefore; NotOnOrAfter is 5 minutes later. */
  now: Date;
  /** An email address, sent as an emailAddress NameID. */
  email: string;
  /** Several values: one AttributeValue each (Okta's groups). */
  attributes?: Record<string, string | string[]>;
  /** An answer to our AuthnRequest (SP-initiated): its ID, on the Response and the SubjectConfirmationData. */
  inResponseTo?: string;
}

const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const escapeXml = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const newSamlId = (): string => `_${crypto.randomUUID().replace(/-/g, '')}`;

/** The SP identifiers the app derives from PUBLIC_URL for a company. */
export function spFor(publicUrl: string, companyId: string) {
  return { entityId: `${publicUrl}/saml/${companyId}`, acsUrl: `${publicUrl}/saml/${companyId}/acs` };
}

function signAssertion(xml: string, keys: IdpKeys): string {
  const signed = new SignedXml({
    privateKey: keys.privateKeyPem,
    publicCert: keys.certificatePem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signed.addReference({ xpath: '/*', transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 });
  signed.computeSignature(xml, { prefix: 'ds', location: { reference: `/*/*[local-name(.)='Issuer']`, action: 'after' } });
  return signed.getSignedXml();
}

function attributeStatement(attributes: Record<string, string | string[]>): string {
  const items = Object.entries(attributes).map(
    ([name, value]) =>
      `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
      (Array.isArray(value) ? value : [value]).map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`).join('') +
      '</saml:Attribute>',
  );
  return items.length > 0 ? `<saml:AttributeStatement>${items.join('')}</saml:AttributeStatement>` : '';
}

/** A signed-assertion Response (IdP-initiated, or answering `inResponseTo`), base64 as the browser posts it to the ACS. */
export function signIdpInitiatedResponse(entityId: string, keys: IdpKeys, o: IdpInitiatedOptions): string {
  const issued = o.now.toISOString();
  const expires = new Date(o.now.getTime() + 5 * 60_000).toISOString();
  const assertionId = newSamlId();
  const inResponseTo = o.inResponseTo ? ` InResponseTo="${escapeXml(o.inResponseTo)}"` : '';
  const assertion =
    `<saml:Assertion xmlns:saml="${NS_SAML}" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
    ` ID="${assertionId}" Version="2.0" IssueInstant="${issued}">` +
    `<saml:Issuer>${escapeXml(entityId)}</saml:Issuer>` +
    '<saml:Subject>' +
    `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${escapeXml(o.email)}</saml:NameID>` +
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
    `<saml:SubjectConfirmationData NotOnOrAfter="${expires}" Recipient="${escapeXml(o.sp.acsUrl)}"${inResponseTo}/>` +
    '</saml:SubjectConfirmation></saml:Subject>' +
    `<saml:Conditions NotBefore="${issued}" NotOnOrAfter="${expires}">` +
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(o.sp.entityId)}</saml:Audience></saml:AudienceRestriction>` +
    '</saml:Conditions>' +
    `<saml:AuthnStatement AuthnInstant="${issued}" SessionIndex="_session${assertionId}">` +
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>' +
    '</saml:AuthnStatement>' +
    attributeStatement(o.attributes ?? {}) +
    '</saml:Assertion>';
  const response =
    `<samlp:Response xmlns:samlp="${NS_SAMLP}" xmlns:saml="${NS_SAML}" ID="${newSamlId()}" Version="2.0"` +
    ` IssueInstant="${issued}" Destination="${escapeXml(o.sp.acsUrl)}"${inResponseTo}>` +
    `<saml:Issuer>${escapeXml(entityId)}</saml:Issuer>` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    signAssertion(assertion, keys) +
    '</samlp:Response>';
  return Buffer.from(response, 'utf8').toString('base64');
}
