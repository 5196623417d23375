/**
 * Single Logout messages (SAML core §3.7, profiles §4.4): the LogoutRequest and LogoutResponse we send
 * (signed: enveloped on HTTP-POST, in the query on HTTP-Redirect) and the ones an IdP sends us, verified
 * before anything in them is read. Pure: no I/O, `now` is a parameter.
 */
import { Buffer } from 'node:buffer';
import { SignedXml } from 'xml-crypto';
import { normalizeCertificatePem } from './certificate.js';
import { SIG_ALG_RSA_SHA256, signRedirectQuery, verifyRedirectQuery, withQuery } from './redirect-binding.js';
import type { RedirectField } from './redirect-binding.js';
import { trustedCertificates, verifyEnvelopedSignature } from './signature.js';
import { refuse } from './types.js';
import type { IdpTrust, SamlFailure } from './types.js';
import { NS, XmlRejected, attrValue, childrenNamed, decodeBase64Xml, optionalChild, parseRoot, textContent } from './xml.js';

export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
export const STATUS_REQUESTER = 'urn:oasis:names:tc:SAML:2.0:status:Requester';
export const STATUS_RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';
/** Core §3.2.2.2: "the responding provider does not recognize the principal specified or implied by the request". */
export const STATUS_UNKNOWN_PRINCIPAL = 'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal';
/** A logout message older than this (plus the skew) is refused: it is meant to be delivered at once. */
export const LOGOUT_MESSAGE_MAX_AGE_MS = 5 * 60_000;
/** Logout messages are small: the POST form value is refused past this many base64 characters. */
export const LOGOUT_POST_MAX_BASE64_LENGTH = 64 * 1024;

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export type LogoutBinding = 'redirect' | 'post';

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function header(kind: 'LogoutRequest' | 'LogoutResponse', attrs: Record<string, string | null | undefined>): string {
  const list = Object.entries(attrs)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([name, value]) => `${name}="${escapeXml(value)}"`);
  return `<samlp:${kind} xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ${list.join(' ')}>`;
}

function checkIdAndTime(id: string, now: Date): void {
  if (!NCNAME.test(id)) throw new TypeError('id must be an XML NCName (start with a letter or "_")');
  if (Number.isNaN(now.getTime())) throw new TypeError('now is not a valid date');
}

export interface LogoutRequestInput {
  id: string;
  now: Date;
  /** Our SP entity ID. */
  issuer: string;
  /** The IdP's SLO URL. */
  destination: string;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /** How long the IdP may act on it (optional in the schema; we always say). */
  notOnOrAfter?: Date | undefined;
}

/** The unsigned LogoutRequest XML (core §3.7.1). */
export function buildLogoutRequestXml(input: LogoutRequestInput): string {
  checkIdAndTime(input.id, input.now);
  return (
    header('LogoutRequest', {
      ID: input.id,
      Version: '2.0',
      IssueInstant: input.now.toISOString(),
      Destination: input.destination,
      NotOnOrAfter: input.notOnOrAfter?.toISOString(),
    }) +
    `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>` +
    `<saml:NameID${input.nameIdFormat ? ` Format="${escapeXml(input.nameIdFormat)}"` : ''}>${escapeXml(input.nameId)}</saml:NameID>` +
    (input.sessionIndex ? `<samlp:SessionIndex>${escapeXml(input.sessionIndex)}</samlp:SessionIndex>` : '') +
    '</samlp:LogoutRequest>'
  );
}

export interface LogoutResponseInput {
  id: string;
  now: Date;
  issuer: string;
  destination: string;
  inResponseTo: string;
  /** Top-level status code (default Success) and an optional second-level one. */
  status?: { code: string; subCode?: string | undefined; message?: string | undefined } | undefined;
}

/** The unsigned LogoutResponse XML (core §3.7.2: a StatusResponseType). */
export function buildLogoutResponseXml(input: LogoutResponseInput): string {
  checkIdAndTime(input.id, input.now);
  const status = input.status ?? { code: STATUS_SUCCESS };
  const sub = status.subCode ? `<samlp:StatusCode Value="${escapeXml(status.subCode)}"/>` : '';
  return (
    header('LogoutResponse', {
      ID: input.id,
      Version: '2.0',
      IssueInstant: input.now.toISOString(),
      Destination: input.destination,
      InResponseTo: input.inResponseTo,
    }) +
    `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${escapeXml(status.code)}">${sub}</samlp:StatusCode>` +
    (status.message ? `<samlp:StatusMessage>${escapeXml(status.message)}</samlp:StatusMessage>` : '') +
    '</samlp:Status></samlp:LogoutResponse>'
  );
}

/** An enveloped RSA-SHA256 signature placed after the Issuer, where the protocol schema wants it. */
export function signEnveloped(xml: string, privateKeyPem: string, certificatePem: string): string {
  const signed = new SignedXml({
    privateKey: privateKeyPem,
    publicCert: normalizeCertificatePem(certificatePem),
    signatureAlgorithm: SIG_ALG_RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signed.addReference({ xpath: '/*', transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 });
  signed.computeSignature(xml, { prefix: 'ds', location: { reference: `/*/*[local-name(.)='Issuer']`, action: 'after' } });
  return signed.getSignedXml();
}

export interface LogoutPostForm {
  action: string;
  field: RedirectField;
  /** The signed message, base64 (not deflated: bindings §3.5.4). */
  value: string;
  relayState?: string | undefined;
}

export type OutgoingLogout = { binding: 'redirect'; location: string } | { binding: 'post'; form: LogoutPostForm };

/** A logout message ready to send in the IdP's binding, signed with our SP signing key. */
export function encodeLogoutMessage(args: {
  xml: string;
  field: RedirectField;
  binding: LogoutBinding;
  endpoint: string;
  relayState?: string | null | undefined;
  signing: { privateKeyPem: string; certificatePem: string };
}): OutgoingLogout {
  if (args.binding === 'redirect') {
    const query = signRedirectQuery({ field: args.field, xml: args.xml, relayState: args.relayState, privateKeyPem: args.signing.privateKeyPem });
    return { binding: 'redirect', location: withQuery(args.endpoint, query) };
  }
  const signed = signEnveloped(args.xml, args.signing.privateKeyPem, args.signing.certificatePem);
  return {
    binding: 'post',
    form: { action: args.endpoint, field: args.field, value: Buffer.from(signed, 'utf8').toString('base64'), ...(args.relayState ? { relayState: args.relayState } : {}) },
  };
}

/** What arrived at our SLO endpoint: the raw query (Redirect) or the form fields (POST). */
export type IncomingLogout =
  | { binding: 'redirect'; rawQuery: string }
  | { binding: 'post'; field: RedirectField; value: string; relayState: string | null };

interface Common {
  id: string;
  issuer: string;
  relayState: string | null;
  binding: LogoutBinding;
}

export type LogoutMessage =
  | (Common & { kind: 'LogoutRequest'; nameId: string; nameIdFormat: string | null; sessionIndexes: string[] })
  | (Common & { kind: 'LogoutResponse'; inResponseTo: string | null; statusCode: string; subStatusCode: string | null });

export type ReadLogoutResult = { ok: true; message: LogoutMessage } | SamlFailure;

function parse(xml: string, what: string): Element | SamlFailure {
  try {
    return parseRoot(xml);
  } catch (error) {
    if (error instanceof XmlRejected) return refuse(error.kind, `${what}: ${error.message}`);
    throw error;
  }
}

/** The verified message's root: from the signed canonical XML (POST) or the signed query (Redirect). */
function verifiedRoot(incoming: IncomingLogout, idp: IdpTrust, now: Date): { root: Element; relayState: string | null } | SamlFailure {
  if (incoming.binding === 'redirect') {
    const verified = verifyRedirectQuery({ rawQuery: incoming.rawQuery, certificatesPem: idp.certificatesPem, allowSha1: idp.allowSha1 });
    if ('ok' in verified) return verified;
    const root = parse(verified.xml, verified.field);
    return 'ok' in root ? root : { root, relayState: verified.relayState };
  }
  let xml: string;
  try {
    xml = decodeBase64Xml(incoming.value, LOGOUT_POST_MAX_BASE64_LENGTH);
  } catch (error) {
    if (error instanceof XmlRejected) return refuse(error.kind, `${incoming.field}: ${error.message}`);
    throw error;
  }
  const root = parse(xml, incoming.field);
  if ('ok' in root) return root;
  const certificates = trustedCertificates(idp.certificatesPem, now);
  if ('ok' in certificates) return certificates;
  let signature: Element | null;
  try {
    signature = optionalChild(root, NS.ds, 'Signature');
  } catch (error) {
    if (error instanceof XmlRejected) return refuse('signature_invalid', error.message);
    throw error;
  }
  if (!signature) return refuse('signature_missing', `the ${root.localName} is not signed`);
  const verified = verifyEnvelopedSignature({ xml, signature, signedElement: root, certificates, allowSha1: idp.allowSha1 });
  if ('ok' in verified) return verified;
  // Only what the signature covers is read from here on.
  return { root: verified.signedElement, relayState: incoming.relayState };
}

function instant(el: Element, name: string): Date | null | SamlFailure {
  const value = attrValue(el, name);
  if (value === null) return null;
  const date = new Date(value);
  return /^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(date.getTime()) ? date : refuse('malformed', `${el.localName} ${name} is not a date: ${value.slice(0, 40)}`);
}

/**
 * Verifies and reads a LogoutRequest or LogoutResponse from the connection's IdP: signed by one of
 * its certificates (enveloped on POST, the query on Redirect), its Issuer, our SLO URL as Destination
 * when it names one, and its times within the skew.
 */
export function readLogoutMessage(args: { incoming: IncomingLogout; idp: IdpTrust; sloUrl: string; now: Date; clockSkewMs: number }): ReadLogoutResult {
  const opened = verifiedRoot(args.incoming, args.idp, args.now);
  if ('ok' in opened) return opened;
  const { root, relayState } = opened;
  const kind = root.localName;
  if (root.namespaceURI !== NS.protocol || (kind !== 'LogoutRequest' && kind !== 'LogoutResponse')) {
    return refuse('malformed', `expected a LogoutRequest or LogoutResponse, got ${root.localName}`);
  }
  const expectedField = kind === 'LogoutRequest' ? 'SAMLRequest' : 'SAMLResponse';
  if (args.incoming.binding === 'post' && args.incoming.field !== expectedField) return refuse('malformed', `a ${kind} must come as ${expectedField}`);
  const id = attrValue(root, 'ID');
  if (!id || attrValue(root, 'Version') !== '2.0') return refuse('malformed', `the ${kind} has no ID or is not SAML 2.0`);
  try {
    const issuerEl = optionalChild(root, NS.assertion, 'Issuer');
    const issuer = issuerEl ? textContent(issuerEl) : null;
    if (issuer !== args.idp.entityId) return refuse('issuer_mismatch', `the ${kind} Issuer is ${issuer ?? '(none)'}, expected ${args.idp.entityId}`);
    const destination = attrValue(root, 'Destination');
    if (destination !== null && destination !== args.sloUrl) return refuse('destination_mismatch', `the ${kind} Destination is ${destination}, expected ${args.sloUrl}`);

    const now = args.now.getTime();
    const issued = instant(root, 'IssueInstant');
    if (issued === null) return refuse('malformed', `the ${kind} has no IssueInstant`);
    if ('ok' in issued) return issued;
    if (issued.getTime() > now + args.clockSkewMs) return refuse('assertion_not_yet_valid', `the ${kind} IssueInstant ${issued.toISOString()} is in the future`);
    if (issued.getTime() < now - args.clockSkewMs - LOGOUT_MESSAGE_MAX_AGE_MS) return refuse('assertion_expired', `the ${kind} was issued at ${issued.toISOString()}, too long ago`);
    const common = { id, issuer, relayState, binding: args.incoming.binding };

    if (kind === 'LogoutRequest') {
      const notOnOrAfter = instant(root, 'NotOnOrAfter');
      if (notOnOrAfter && 'ok' in notOnOrAfter) return notOnOrAfter;
      if (notOnOrAfter && now >= notOnOrAfter.getTime() + args.clockSkewMs) return refuse('assertion_expired', `the LogoutRequest expired at ${notOnOrAfter.toISOString()}`);
      const nameIdEl = optionalChild(root, NS.assertion, 'NameID');
      if (!nameIdEl) return refuse('subject_missing', 'the LogoutRequest has no NameID (an EncryptedID or BaseID is not supported)');
      const nameId = textContent(nameIdEl);
      if (nameId === '') return refuse('subject_missing', 'the LogoutRequest NameID is empty');
      const sessionIndexes = childrenNamed(root, NS.protocol, 'SessionIndex').map(textContent).filter((s) => s !== '');
      return { ok: true, message: { ...common, kind, nameId, nameIdFormat: attrValue(nameIdEl, 'Format'), sessionIndexes } };
    }
    const status = optionalChild(root, NS.protocol, 'Status');
    const code = status ? optionalChild(status, NS.protocol, 'StatusCode') : null;
    const statusCode = code ? attrValue(code, 'Value') : null;
    if (!code || !statusCode) return refuse('malformed', 'the LogoutResponse has no StatusCode');
    const sub = optionalChild(code, NS.protocol, 'StatusCode');
    return {
      ok: true,
      message: { ...common, kind, inResponseTo: attrValue(root, 'InResponseTo'), statusCode, subStatusCode: sub ? attrValue(sub, 'Value') : null },
    };
  } catch (error) {
    if (error instanceof XmlRejected) return refuse('malformed', error.message);
    throw error;
  }
}
