/**
 * Single Logout helpers for tests, written apart from the product code: the test IdP's LogoutRequest /
 * LogoutResponse, signed on either binding (xml-crypto for HTTP-POST; node:crypto over the query for
 * HTTP-Redirect, with an encoder of the test's choosing), and checks of what the SP sends back.
 */
import { createPublicKey, sign, verify } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { SignedXml } from 'xml-crypto';
import type { ServiceDeps } from '../../src/services/deps.js';
import { sealSigningKey } from '../../src/services/sp-keys.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { samlConnections } from '../../src/store/schema.js';
import { testConfig } from './app.js';
import { escapeXml, newSamlId, toBase64 } from './test-idp.js';
import type { KeyPair } from './test-idp.js';

const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
export const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** Gives a connection an SP signing key, as the admin API will (the columns, set directly). */
export async function setSpSigningKey(handle: DatabaseHandle, connectionId: string, keys: KeyPair, previous: KeyPair | null = null): Promise<void> {
  const deps = { sessionSecret: testConfig.sessionSecret } as ServiceDeps;
  await handle.db
    .update(samlConnections)
    .set({ spSigningCertificate: keys.certificatePem, spSigningKeySealed: sealSigningKey(deps, keys.privateKeyPem), spSigningPreviousCertificate: previous?.certificatePem ?? null })
    .where(eq(samlConnections.id, connectionId));
}

export function logoutRequestXml(o: { issuer: string; destination?: string | null; nameId: string; sessionIndexes?: string[]; now: Date; id?: string }): string {
  return (
    `<samlp:LogoutRequest xmlns:samlp="${NS_SAMLP}" xmlns:saml="${NS_SAML}" ID="${o.id ?? newSamlId()}" Version="2.0" IssueInstant="${o.now.toISOString()}"` +
    (o.destination ? ` Destination="${escapeXml(o.destination)}"` : '') +
    `><saml:Issuer>${escapeXml(o.issuer)}</saml:Issuer><saml:NameID Format="${EMAIL_FORMAT}">${escapeXml(o.nameId)}</saml:NameID>` +
    (o.sessionIndexes ?? []).map((s) => `<samlp:SessionIndex>${escapeXml(s)}</samlp:SessionIndex>`).join('') +
    '</samlp:LogoutRequest>'
  );
}

export function logoutResponseXml(o: { issuer: string; destination?: string | null; inResponseTo: string; now: Date; status?: string }): string {
  return (
    `<samlp:LogoutResponse xmlns:samlp="${NS_SAMLP}" xmlns:saml="${NS_SAML}" ID="${newSamlId()}" Version="2.0" IssueInstant="${o.now.toISOString()}"` +
    (o.destination ? ` Destination="${escapeXml(o.destination)}"` : '') +
    ` InResponseTo="${escapeXml(o.inResponseTo)}"><saml:Issuer>${escapeXml(o.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></samlp:Status></samlp:LogoutResponse>`
  );
}

/** Enveloped signature after the Issuer, base64: the HTTP-POST form value. */
export function signPost(xml: string, keys: KeyPair): string {
  const signed = new SignedXml({ privateKey: keys.privateKeyPem, publicCert: keys.certificatePem, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
  signed.addReference({ xpath: '/*', transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
  signed.computeSignature(xml, { prefix: 'ds', location: { reference: `/*/*[local-name(.)='Issuer']`, action: 'after' } });
  return toBase64(signed.getSignedXml());
}

/** Lower-case percent escapes, and '*' escaped too: a valid encoding other than encodeURIComponent's. */
export const otherEncoding = (value: string): string =>
  encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()).replace(/\*/g, '%2a');

/**
 * An HTTP-Redirect query (no `?`) carrying `xml`, signed over the octets as encoded by `encode`;
 * `sign: false` leaves SigAlg and Signature out, `keys` picks the signer.
 */
export function signRedirect(
  field: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  keys: KeyPair,
  o: { relayState?: string; encode?: (value: string) => string; sign?: boolean; sigAlg?: string } = {},
): string {
  const encode = o.encode ?? encodeURIComponent;
  const parts = [`${field}=${encode(deflateRawSync(Buffer.from(xml)).toString('base64'))}`];
  if (o.relayState !== undefined) parts.push(`RelayState=${encode(o.relayState)}`);
  if (o.sign === false) return parts.join('&');
  const sigAlg = o.sigAlg ?? RSA_SHA256;
  parts.push(`SigAlg=${encode(sigAlg)}`);
  const octets = parts.join('&');
  const signature = sign(sigAlg === RSA_SHA1 ? 'sha1' : 'sha256', Buffer.from(octets), keys.privateKeyPem).toString('base64');
  return `${octets}&Signature=${encode(signature)}`;
}

/** Checks the SP's signed HTTP-Redirect message at `location` with its certificate; the XML and RelayState. */
export function readSpRedirect(location: string, certificatePem: string): { xml: string; field: string; relayState: string | null; endpoint: string } {
  const at = location.indexOf('?');
  const endpoint = location.slice(0, at);
  const pairs = location.slice(at + 1).split('&').map((p) => p.split('=') as [string, string]);
  const raw = new Map(pairs);
  const field = raw.has('SAMLRequest') ? 'SAMLRequest' : 'SAMLResponse';
  const octets = [`${field}=${raw.get(field)}`, ...(raw.has('RelayState') ? [`RelayState=${raw.get('RelayState')}`] : []), `SigAlg=${raw.get('SigAlg')}`].join('&');
  if (decodeURIComponent(raw.get('SigAlg')!) !== RSA_SHA256) throw new Error(`SigAlg ${raw.get('SigAlg')}`);
  const ok = verify('sha256', Buffer.from(octets), createPublicKey(certificatePem), Buffer.from(decodeURIComponent(raw.get('Signature')!), 'base64'));
  if (!ok) throw new Error('the SP redirect signature does not verify');
  const xml = inflateRawSync(Buffer.from(decodeURIComponent(raw.get(field)!), 'base64')).toString('utf8');
  return { xml, field, relayState: raw.has('RelayState') ? decodeURIComponent(raw.get('RelayState')!) : null, endpoint };
}

/** Checks the SP's auto-posting page: the form's action and its enveloped-signed message (XML). */
export function readSpPostPage(html: string, certificatePem: string): { action: string; field: string; xml: string } {
  const action = /<form[^>]* action="([^"]+)"/.exec(html)?.[1];
  const input = /<input type="hidden" name="(SAMLRequest|SAMLResponse)" value="([^"]+)"/.exec(html);
  if (!action || !input) throw new Error(`no SAML form in ${html.slice(0, 300)}`);
  const xml = Buffer.from(input[2]!, 'base64').toString('utf8');
  const check = new SignedXml({ publicCert: certificatePem, getCertFromKeyInfo: () => null });
  const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(xml)?.[0];
  if (!signature) throw new Error('the SP post message is not signed');
  check.loadSignature(signature);
  if (!check.checkSignature(xml)) throw new Error('the SP post signature does not verify');
  return { action: action.replace(/&amp;/g, '&'), field: input[1]!, xml };
}

export const attrOf = (xml: string, name: string): string | null => new RegExp(`\\s${name}="([^"]*)"`).exec(xml)?.[1] ?? null;
export const statusCodesOf = (xml: string): string[] => [...xml.matchAll(/StatusCode Value="([^"]+)"/g)].map((m) => m[1]!);
