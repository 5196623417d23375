import { SignedXml } from 'xml-crypto';
import { refuse } from './types.js';
import type { SamlFailure } from './types.js';
import { NS, attrValue, childElements, childrenNamed, descendantElements, isNamed, optionalChild, parseRoot, textContent } from './xml.js';
import { CertificateError, certificateBody } from './certificate.js';
import { DIGESTS, ENVELOPED, SIGNATURES, SIGNED_INFO_C14N, checkEnveloped } from './dsig.js';
import { certificateFacts } from './key-cache.js';
import type { KeyObject } from 'node:crypto';

/** A configured IdP certificate, already validated; `index` is its position in the company's list. */
export interface TrustedCertificate {
  index: number;
  pem: string;
  body: string;
  /** Past its notAfter at the verifier's `now`: tried after every unexpired one. */
  expired: boolean;
  /** The certificate's public key, built once per process (key-cache.ts). */
  key: KeyObject;
}

export interface VerifiedSignature {
  /**
   * Exactly what the signature covers: the signed element itself when dsig.ts checked it (its
   * canonical form, which the digest matched, is that element without its own Signature and
   * comments, which textContent skips too), else xml-crypto's canonical XML parsed again.
   */
  signedElement: Element;
  certificateIndex: number;
  usedSha1: boolean;
}

const SHA1_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const SHA1_DIGEST = 'http://www.w3.org/2000/09/xmldsig#sha1';
// The algorithms accepted are the ones dsig.ts knows how to check.
const SIGNATURE_ALGORITHMS = new Set(Object.keys(SIGNATURES));
const DIGEST_ALGORITHMS = new Set(Object.keys(DIGESTS));
const CANONICALIZATIONS = new Set(Object.keys(SIGNED_INFO_C14N));

/**
 * Reads the SignedInfo of an enveloped SAML signature and applies our policy before any crypto:
 * one Reference, to the element the signature sits in (SAML core 5.4.2); known algorithms only;
 * SHA-1 only when the company allows it. xml-crypto itself would accept a Reference to any element.
 */
function checkSignedInfo(signature: Element, signedElement: Element, allowSha1: boolean): SamlFailure | { usedSha1: boolean } {
  const where = signedElement.localName;
  const signedInfo = optionalChild(signature, NS.ds, 'SignedInfo');
  if (!signedInfo) return refuse('signature_invalid', `${where} signature has no SignedInfo`);
  const c14n = optionalChild(signedInfo, NS.ds, 'CanonicalizationMethod');
  const c14nAlg = c14n ? attrValue(c14n, 'Algorithm') : null;
  if (!c14nAlg || !CANONICALIZATIONS.has(c14nAlg)) {
    return refuse('signature_invalid', `${where} signature: unsupported canonicalization ${c14nAlg ?? '(none)'}`);
  }
  const method = optionalChild(signedInfo, NS.ds, 'SignatureMethod');
  const sigAlg = method ? attrValue(method, 'Algorithm') : null;
  if (!sigAlg || !SIGNATURE_ALGORITHMS.has(sigAlg)) {
    return refuse('signature_invalid', `${where} signature: unsupported signature algorithm ${sigAlg ?? '(none)'}`);
  }
  const references = childrenNamed(signedInfo, NS.ds, 'Reference');
  const reference = references[0];
  if (references.length !== 1 || !reference) {
    return refuse('signature_invalid', `${where} signature has ${references.length} references, expected 1`);
  }
  const id = attrValue(signedElement, 'ID');
  if (!id || reference.getAttribute('URI') !== `#${id}`) {
    return refuse('signature_invalid', `${where} signature does not reference its own ${where} (signature wrapping)`);
  }
  const transforms = optionalChild(reference, NS.ds, 'Transforms');
  for (const transform of transforms ? childElements(transforms) : []) {
    const alg = isNamed(transform, NS.ds, 'Transform') ? attrValue(transform, 'Algorithm') : null;
    if (!alg || (alg !== ENVELOPED && !CANONICALIZATIONS.has(alg))) {
      return refuse('signature_invalid', `${where} signature: unsupported transform ${alg ?? '(none)'}`);
    }
  }
  const digest = optionalChild(reference, NS.ds, 'DigestMethod');
  const digestAlg = digest ? attrValue(digest, 'Algorithm') : null;
  if (!digestAlg || !DIGEST_ALGORITHMS.has(digestAlg)) {
    return refuse('signature_invalid', `${where} signature: unsupported digest ${digestAlg ?? '(none)'}`);
  }
  const usedSha1 = sigAlg === SHA1_SIGNATURE || digestAlg === SHA1_DIGEST;
  if (usedSha1 && !allowSha1) {
    return refuse('sha1_not_allowed', `${where} is signed with SHA-1 (${sigAlg}, digest ${digestAlg}) and SHA-1 is not allowed for this IdP`);
  }
  return { usedSha1 };
}

/**
 * Unexpired certificates first (a renewed certificate may share its key with the expired one, and
 * the signature must then count as the valid one's); within each, one that KeyInfo names first.
 * KeyInfo never decides trust.
 */
function candidateOrder(signature: Element, certificates: readonly TrustedCertificate[]): TrustedCertificate[] {
  const named = new Set<string>();
  for (const el of descendantElements(signature)) {
    if (!isNamed(el, NS.ds, 'X509Certificate')) continue;
    try {
      named.add(certificateBody(textContent(el)));
    } catch {
      // an unreadable KeyInfo certificate changes nothing: KeyInfo is not trusted
    }
  }
  return [...certificates].sort((a, b) => Number(a.expired) - Number(b.expired) || Number(named.has(b.body)) - Number(named.has(a.body)));
}

/**
 * Verifies one enveloped signature with xml-crypto against the configured certificates only
 * (KeyInfo is ignored). On success returns the canonical XML that the signature covers: callers read
 * identity and conditions from that text alone, never from the original document.
 */
export function verifyEnvelopedSignature(args: {
  xml: string;
  signature: Element;
  signedElement: Element;
  certificates: readonly TrustedCertificate[];
  allowSha1: boolean;
}): VerifiedSignature | SamlFailure {
  const { xml, signature, signedElement } = args;
  const where = signedElement.localName;
  const policy = checkSignedInfo(signature, signedElement, args.allowSha1);
  if ('ok' in policy) return policy;

  const noKey = `${where} signature does not verify with any of the ${args.certificates.length} configured certificate(s)`;
  const fast = checkEnveloped(signature, signedElement);
  if (fast.kind === 'malformed') return refuse('signature_invalid', `${where} signature: ${fast.detail}`);
  if (fast.kind === 'digest_mismatch') {
    return refuse('signature_invalid', `${where} signature digest mismatch: the signed content was changed after signing`);
  }
  if (fast.kind === 'checked') {
    for (const cert of candidateOrder(signature, args.certificates)) {
      let valid = false;
      try {
        valid = fast.verifyWith(cert.key);
      } catch {
        // a SignatureValue of the wrong size for this key: not this key's signature
      }
      if (valid) return { signedElement, certificateIndex: cert.index, usedSha1: policy.usedSha1 };
    }
    return refuse('signature_invalid', noKey);
  }
  // Any other shape of signature: xml-crypto, which re-reads the whole document.
  let lastError = 'no certificate configured';
  for (const cert of candidateOrder(signature, args.certificates)) {
    // getCertFromKeyInfo returning null makes xml-crypto use publicCert, never the KeyInfo certificate.
    const signed = new SignedXml({ publicCert: cert.pem, getCertFromKeyInfo: () => null });
    let valid: boolean;
    try {
      signed.loadSignature(signature);
      valid = signed.checkSignature(xml);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A wrong key fails only at the SignatureValue step; anything else fails for every key.
      if (message.includes('signature value')) {
        lastError = noKey;
        continue;
      }
      return refuse('signature_invalid', `${where} signature: ${message.slice(0, 200)}`);
    }
    if (!valid) {
      return refuse('signature_invalid', `${where} signature digest mismatch: the signed content was changed after signing`);
    }
    const references = signed.getSignedReferences();
    const signedXml = references[0];
    if (references.length !== 1 || signedXml === undefined) {
      return refuse('signature_invalid', `${where} signature covers ${references.length} references, expected 1`);
    }
    return { signedElement: parseRoot(signedXml), certificateIndex: cert.index, usedSha1: policy.usedSha1 };
  }
  return refuse('signature_invalid', lastError);
}

/** The configured certificates as the verifier tries them, each marked expired or not at `now`; a certificate that cannot be read is config_invalid. */
export function trustedCertificates(pems: readonly string[], now: Date): TrustedCertificate[] | SamlFailure {
  const out: TrustedCertificate[] = [];
  for (const [index, pem] of pems.entries()) {
    try {
      const facts = certificateFacts(pem);
      out.push({ index, pem: facts.pem, body: facts.body, expired: facts.notAfterMs <= now.getTime(), key: facts.key });
    } catch (error) {
      if (!(error instanceof CertificateError)) throw error;
      return refuse('config_invalid', `IdP certificate #${index + 1}: ${error.message}`);
    }
  }
  return out.length > 0 ? out : refuse('config_invalid', 'no IdP signing certificate configured');
}
