/**
 * The HTTP-Redirect binding with signatures (SAML bindings §3.4.4.1): the message is DEFLATE (raw) +
 * base64 in the query, and the signature covers the octet string
 * `SAMLRequest=…[&RelayState=…]&SigAlg=…` (or SAMLResponse) built from the query *as received*: the
 * URL-encoded values exactly as they arrived, never decoded and re-encoded (encoders differ on case and
 * on which characters they escape, and the signer's encoding is the one signed).
 */
import { Buffer } from 'node:buffer';
import { createPublicKey, sign as rsaSign, verify as rsaVerify } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CertificateError, normalizeCertificatePem } from './certificate.js';
import { refuse } from './types.js';
import type { SamlFailure } from './types.js';
import { XmlRejected, assertNoDtd } from './xml.js';

export const SIG_ALG_RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SIG_ALG_RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const HASH_OF: Record<string, string> = { [SIG_ALG_RSA_SHA256]: 'sha256', [SIG_ALG_RSA_SHA1]: 'sha1' };

/** A logout message is ~1–3 KiB of XML; anything inflating past this is refused (no zip bombs). */
export const REDIRECT_MESSAGE_MAX_XML_BYTES = 64 * 1024;
/** The query is refused before any decoding past this length. */
export const REDIRECT_QUERY_MAX_LENGTH = 32 * 1024;

export type RedirectField = 'SAMLRequest' | 'SAMLResponse';

/** DEFLATE (raw, RFC 1951) then base64: the message as it goes in the query (before URL-encoding). */
export function deflateMessage(xml: string): string {
  return deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
}

/**
 * The signed query string (without `?`) carrying `xml` as `field`: we encode each value once with
 * encodeURIComponent and sign exactly the encoded octets we send.
 */
export function signRedirectQuery(args: { field: RedirectField; xml: string; relayState?: string | null | undefined; privateKeyPem: string }): string {
  const parts = [`${args.field}=${encodeURIComponent(deflateMessage(args.xml))}`];
  if (args.relayState) parts.push(`RelayState=${encodeURIComponent(args.relayState)}`);
  parts.push(`SigAlg=${encodeURIComponent(SIG_ALG_RSA_SHA256)}`);
  const signed = parts.join('&');
  const signature = rsaSign('sha256', Buffer.from(signed, 'utf8'), args.privateKeyPem).toString('base64');
  return `${signed}&Signature=${encodeURIComponent(signature)}`;
}

/** `endpoint` with the query appended (an IdP SLO URL may already carry a query of its own). */
export function withQuery(endpoint: string, query: string): string {
  return `${endpoint}${endpoint.includes('?') ? '&' : '?'}${query}`;
}

export interface VerifiedRedirectMessage {
  field: RedirectField;
  xml: string;
  relayState: string | null;
  certificateIndex: number;
  usedSha1: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeParam(raw: string, plusIsSpace: boolean): string | null {
  try {
    return decodeURIComponent(plusIsSpace ? raw.replace(/\+/g, ' ') : raw);
  } catch {
    return null;
  }
}

function publicKeyOf(pem: string) {
  try {
    return createPublicKey(normalizeCertificatePem(pem));
  } catch (error) {
    if (error instanceof CertificateError || error instanceof Error) return null;
    throw error;
  }
}

/**
 * Verifies a signed HTTP-Redirect message from `rawQuery` (the URL's query without `?`, undecoded)
 * against any of the IdP's certificates, then inflates it with a bound. Unsigned, wrongly signed,
 * unknown SigAlg, SHA-1 unless allowed, duplicated parameters and oversize messages are refused.
 */
export function verifyRedirectQuery(args: {
  rawQuery: string;
  certificatesPem: readonly string[];
  allowSha1: boolean;
  maxXmlBytes?: number | undefined;
}): VerifiedRedirectMessage | SamlFailure {
  if (args.rawQuery.length > REDIRECT_QUERY_MAX_LENGTH) {
    return refuse('too_large', `the query is ${args.rawQuery.length} characters, the limit is ${REDIRECT_QUERY_MAX_LENGTH}`);
  }
  const raw = new Map<string, string>();
  for (const pair of args.rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (!['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature'].includes(name)) continue;
    // Two values of one parameter: which one was signed is ambiguous, so neither is accepted.
    if (raw.has(name)) return refuse('malformed', `the query has ${name} more than once`);
    raw.set(name, eq < 0 ? '' : pair.slice(eq + 1));
  }
  const fields = (['SAMLRequest', 'SAMLResponse'] as const).filter((f) => raw.has(f));
  const field = fields[0];
  if (fields.length !== 1 || !field) return refuse('malformed', 'the query must carry exactly one of SAMLRequest and SAMLResponse');
  const rawSigAlg = raw.get('SigAlg');
  const rawSignature = raw.get('Signature');
  if (!rawSigAlg || !rawSignature) return refuse('signature_missing', `the ${field} carries no SigAlg and Signature (HTTP-Redirect messages must be signed)`);
  const sigAlg = decodeParam(rawSigAlg, true);
  const hash = sigAlg ? HASH_OF[sigAlg] : undefined;
  if (!sigAlg || !hash) return refuse('signature_invalid', `unsupported SigAlg ${(sigAlg ?? rawSigAlg).slice(0, 100)}`);
  if (hash === 'sha1' && !args.allowSha1) return refuse('sha1_not_allowed', `the ${field} is signed with RSA-SHA1 and SHA-1 is not allowed for this IdP`);
  const signatureB64 = decodeParam(rawSignature, false)?.replace(/\s+/g, '');
  if (!signatureB64 || !BASE64.test(signatureB64)) return refuse('signature_invalid', 'the Signature is not base64');
  const signature = Buffer.from(signatureB64, 'base64');

  // §3.4.4.1: the octets as received, in this order, whatever order the query had.
  const rawRelay = raw.get('RelayState');
  const signedOctets = [`${field}=${raw.get(field)}`, ...(rawRelay !== undefined ? [`RelayState=${rawRelay}`] : []), `SigAlg=${rawSigAlg}`].join('&');
  let certificateIndex = -1;
  for (const [index, pem] of args.certificatesPem.entries()) {
    const key = publicKeyOf(pem);
    if (key && rsaVerify(hash, Buffer.from(signedOctets, 'utf8'), key, signature)) {
      certificateIndex = index;
      break;
    }
  }
  if (certificateIndex < 0) {
    return refuse('signature_invalid', `the ${field} signature does not verify with any of the ${args.certificatesPem.length} configured certificate(s)`);
  }

  const message = decodeParam(raw.get(field)!, false)?.replace(/\s+/g, '');
  if (!message || !BASE64.test(message)) return refuse('malformed', `${field} is not base64`);
  const max = args.maxXmlBytes ?? REDIRECT_MESSAGE_MAX_XML_BYTES;
  let xml: string;
  try {
    // maxOutputLength stops inflating at the bound instead of allocating whatever the input expands to.
    const inflated = inflateRawSync(Buffer.from(message, 'base64'), { maxOutputLength: max });
    xml = new TextDecoder('utf-8', { fatal: true }).decode(inflated);
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      return refuse('too_large', `${field} inflates to more than ${max} bytes`);
    }
    return refuse('malformed', `${field} is not DEFLATE-compressed UTF-8 XML`);
  }
  try {
    assertNoDtd(xml);
  } catch (error) {
    if (error instanceof XmlRejected) return refuse('dtd_forbidden', error.message);
    throw error;
  }
  const relayState = rawRelay !== undefined ? decodeParam(rawRelay, true) : null;
  return { field, xml, relayState, certificateIndex, usedSha1: hash === 'sha1' };
}
