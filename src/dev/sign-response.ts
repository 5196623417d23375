/**
 * The development test IdP's signer: a minimal SAML Response with one assertion signed (RSA-SHA256,
 * exclusive C14N) by xml-crypto, the same library the verifier uses. Development only; never bundled
 * into the Worker.
 */
import { randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';

const escape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const id = () => `_${randomUUID().replace(/-/g, '')}`;

export interface DevResponseInput {
  idpEntityId: string;
  privateKeyPem: string;
  certificatePem: string;
  sp: { entityId: string; acsUrl: string };
  email: string;
  firstName?: string;
  lastName?: string;
  inResponseTo?: string | undefined;
  now: Date;
}

/** A base64 SAMLResponse as an IdP would post it to the ACS. */
export function signDevResponse(input: DevResponseInput): string {
  const issued = input.now.toISOString();
  const notOnOrAfter = new Date(input.now.getTime() + 5 * 60_000).toISOString();
  const assertionId = id();
  const inResponseTo = input.inResponseTo ? ` InResponseTo="${escape(input.inResponseTo)}"` : '';
  const attribute = (name: string, value: string | undefined) =>
    value ? `<saml:Attribute Name="${name}"><saml:AttributeValue>${escape(value)}</saml:AttributeValue></saml:Attribute>` : '';
  const assertion =
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}" Version="2.0" IssueInstant="${issued}">` +
    `<saml:Issuer>${escape(input.idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${escape(input.email)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${escape(input.sp.acsUrl)}"${inResponseTo}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${issued}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${escape(input.sp.entityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${issued}" SessionIndex="${id()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attribute('email', input.email)}${attribute('firstName', input.firstName)}${attribute('lastName', input.lastName)}</saml:AttributeStatement>` +
    '</saml:Assertion>';

  const signer = new SignedXml({
    privateKey: input.privateKeyPem,
    publicCert: input.certificatePem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signer.addReference({
    xpath: `//*[@ID='${assertionId}']`,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  // The signature goes right after the Issuer, where the SAML schema puts it.
  signer.computeSignature(assertion, { location: { reference: `//*[local-name()='Issuer']`, action: 'after' } });

  const response =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${id()}" Version="2.0" IssueInstant="${issued}" Destination="${escape(input.sp.acsUrl)}"${inResponseTo}>` +
    `<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${escape(input.idpEntityId)}</saml:Issuer>` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    signer.getSignedXml() +
    '</samlp:Response>';
  return Buffer.from(response, 'utf8').toString('base64');
}
