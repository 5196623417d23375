import { Buffer } from 'node:buffer';
import { constants, createHash, createVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { C14nCanonicalization, C14nCanonicalizationWithComments, ExclusiveCanonicalization, ExclusiveCanonicalizationWithComments } from 'xml-crypto';
import { findAncestorNsForElement } from 'xml-crypto/lib/utils.js';
import { NS, attrValue, childElements, isNamed, optionalChild, textContent } from './xml.js';

/**
 * XML-DSig reference processing and signature verification on the DOM the verifier already has,
 * for the shape every IdP uses: one same-document Reference to the element the Signature sits in,
 * transforms `enveloped-signature` then at most one canonicalization. xml-crypto's
 * `checkSignature` re-parses the whole document from text, finds the reference with document-wide
 * XPath for three ID attribute names, deep-clones the element and builds the public key from PEM on
 * every call; here the element is the one structure.ts located by its SAML position, only its own
 * Signature is set aside while it is canonicalised, and the key is a cached KeyObject. The
 * canonicalisation itself is xml-crypto's (its C14N classes are well tested; we only feed them).
 * Any other shape returns `unsupported`, and signature.ts hands it to xml-crypto whole.
 */

export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const EXC_C14N_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';
const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
const C14N_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments';

type Canonicalizer = { process(node: Node, options: Record<string, unknown>): string };
/** For a same-document Reference, comments are dropped whatever the algorithm says (XML-DSig 4.4.3.3). */
const REFERENCE_C14N: Record<string, () => Canonicalizer> = {
  [EXC_C14N]: () => new ExclusiveCanonicalization(),
  [EXC_C14N_COMMENTS]: () => new ExclusiveCanonicalization(),
  [C14N]: () => new C14nCanonicalization(),
  [C14N_COMMENTS]: () => new C14nCanonicalization(),
};
export const SIGNED_INFO_C14N: Record<string, () => Canonicalizer> = {
  [EXC_C14N]: () => new ExclusiveCanonicalization(),
  [EXC_C14N_COMMENTS]: () => new ExclusiveCanonicalizationWithComments(),
  [C14N]: () => new C14nCanonicalization(),
  [C14N_COMMENTS]: () => new C14nCanonicalizationWithComments(),
};

export const DIGESTS: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};
export const SIGNATURES: Record<string, { hash: string; pss: boolean }> = {
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': { hash: 'RSA-SHA1', pss: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { hash: 'RSA-SHA256', pss: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'RSA-SHA512', pss: false },
  'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1': { hash: 'RSA-SHA256', pss: true },
};

const isExclusive = (alg: string) => alg === EXC_C14N || alg === EXC_C14N_COMMENTS;

function prefixList(method: Element): string[] {
  for (const child of childElements(method)) {
    if (child.localName === 'InclusiveNamespaces' && child.namespaceURI === EXC_C14N) {
      return (child.getAttribute('PrefixList') ?? '').split(/\s+/).filter(Boolean);
    }
  }
  return [];
}

/**
 * Canonical form of `node` with `algorithm`. Exclusive C14N with an InclusiveNamespaces list makes
 * xml-crypto declare the listed ancestor namespaces on the node it is given, so it gets a copy then;
 * in every other case it only reads the node.
 */
function canonical(node: Element, algorithm: string, make: () => Canonicalizer, prefixes: string[]): string {
  const ancestorNamespaces = findAncestorNsForElement(node);
  const target = isExclusive(algorithm) && prefixes.length > 0 ? (node.cloneNode(true) as Element) : node;
  return make().process(target, { inclusiveNamespacesPrefixList: prefixes, ancestorNamespaces });
}

export type DsigOutcome =
  | { kind: 'unsupported' }
  | { kind: 'malformed'; detail: string }
  | { kind: 'digest_mismatch' }
  | { kind: 'checked'; verifyWith: (key: KeyObject) => boolean };

/**
 * Checks the Reference digest of an enveloped `signature` (a direct child of `signedElement`, its
 * SignedInfo already vetted by signature.ts) and returns how to check the SignatureValue with a key.
 */
export function checkEnveloped(signature: Element, signedElement: Element): DsigOutcome {
  if (signature.parentNode !== signedElement) return { kind: 'unsupported' };
  const signedInfo = optionalChild(signature, NS.ds, 'SignedInfo');
  const method = signedInfo && optionalChild(signedInfo, NS.ds, 'CanonicalizationMethod');
  const sigMethod = signedInfo && optionalChild(signedInfo, NS.ds, 'SignatureMethod');
  const reference = signedInfo && optionalChild(signedInfo, NS.ds, 'Reference');
  if (!signedInfo || !method || !sigMethod || !reference) return { kind: 'unsupported' };
  const c14nAlg = attrValue(method, 'Algorithm') ?? '';
  const makeSignedInfo = SIGNED_INFO_C14N[c14nAlg];
  const signer = SIGNATURES[attrValue(sigMethod, 'Algorithm') ?? ''];
  const digestMethod = optionalChild(reference, NS.ds, 'DigestMethod');
  const digestName = DIGESTS[(digestMethod && attrValue(digestMethod, 'Algorithm')) ?? ''];
  if (!makeSignedInfo || !signer || !digestName) return { kind: 'unsupported' };

  // enveloped-signature, then at most one canonicalization (none: inclusive C14N of the node-set).
  const transformsEl = optionalChild(reference, NS.ds, 'Transforms');
  const transforms = transformsEl ? childElements(transformsEl) : [];
  const [first, second, ...rest] = transforms;
  if (!first || rest.length > 0 || !isNamed(first, NS.ds, 'Transform') || attrValue(first, 'Algorithm') !== ENVELOPED) return { kind: 'unsupported' };
  const referenceAlg = second ? (attrValue(second, 'Algorithm') ?? '') : C14N;
  const makeReference = REFERENCE_C14N[referenceAlg];
  if (!makeReference) return { kind: 'unsupported' };

  const digestValue = optionalChild(reference, NS.ds, 'DigestValue');
  const signatureValue = optionalChild(signature, NS.ds, 'SignatureValue');
  if (!digestValue) return { kind: 'malformed', detail: 'Reference has no DigestValue' };
  if (!signatureValue) return { kind: 'malformed', detail: 'Signature has no SignatureValue' };

  // The enveloped-signature transform: this Signature is left out while the element is canonicalised.
  const next = signature.nextSibling;
  signedElement.removeChild(signature);
  let referenceXml: string;
  try {
    referenceXml = canonical(signedElement, referenceAlg, makeReference, second ? prefixList(second) : []);
  } finally {
    signedElement.insertBefore(signature, next);
  }
  const expected = Buffer.from(textContent(digestValue).replace(/\s+/g, ''), 'base64');
  const actual = createHash(digestName).update(referenceXml, 'utf8').digest();
  if (!actual.equals(expected)) return { kind: 'digest_mismatch' };

  // (canonical() copies what it would otherwise change: the Response's digest covers the Assertion's Signature.)
  const signedInfoXml = canonical(signedInfo, c14nAlg, makeSignedInfo, isExclusive(c14nAlg) ? prefixList(method) : []);
  const value = Buffer.from(textContent(signatureValue).replace(/\s+/g, ''), 'base64');
  return {
    kind: 'checked',
    verifyWith: (key) => {
      const verifier = createVerify(signer.hash);
      verifier.update(signedInfoXml, 'utf8');
      return signer.pss
        ? verifier.verify({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, value)
        : verifier.verify(key, value);
    },
  };
}
