/**
 * Signature wrapping (XSW) and relocation edits on a genuine signed response, for the oracle corpus:
 * the signature stays cryptographically valid over the original element while an unsigned "evil"
 * copy (NameID admin@acme.test) sits where a careless verifier would read identity from.
 * The same shapes as test/saml/verify-signature.test.ts, rebuilt here so that file stays untouched.
 */
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';

const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
export const EVIL_NAME_ID = 'admin@acme.test';

type Wrap = (doc: Document, original: Element, evil: Element) => void;

const first = (parent: Document | Element, ns: string, name: string): Element => {
  const found = parent.getElementsByTagNameNS(ns, name)[0];
  if (!found) throw new Error(`no ${name} to wrap`);
  return found;
};

/** An evil Response: a copy of the signed root with the evil assertion in place of the original one. */
function evilResponse(signed: Element, evil: Element): Element {
  const root = signed.cloneNode(true) as Element;
  root.setAttribute('ID', '_evil_response');
  root.replaceChild(evil, first(root, NS_SAML, 'Assertion'));
  return root;
}

export const WRAPS = {
  'evil-assertion-before-signed-one': (_doc, original, evil) => original.parentNode?.insertBefore(evil, original),
  'signed-assertion-moved-into-extensions': (doc, original, evil) => {
    const root = doc.documentElement;
    const extensions = doc.createElementNS(NS_SAMLP, 'samlp:Extensions');
    root.replaceChild(evil, original);
    extensions.appendChild(original);
    root.insertBefore(extensions, first(root, NS_SAMLP, 'Status'));
  },
  'signed-assertion-inside-evil-one': (doc, original, evil) => {
    doc.documentElement.replaceChild(evil, original);
    evil.appendChild(original);
  },
  'same-id-evil-assertion-original-in-subjectconfirmationdata': (doc, original, evil) => {
    evil.setAttribute('ID', original.getAttribute('ID') ?? '');
    doc.documentElement.replaceChild(evil, original);
    first(evil, NS_SAML, 'SubjectConfirmationData').appendChild(original);
  },
  'xsw1-evil-response-wrapping-signed-response': (doc, _original, evil) => {
    const signed = doc.documentElement;
    const root = evilResponse(signed, evil);
    first(root, NS_DS, 'Signature').appendChild(signed.cloneNode(true));
    doc.replaceChild(root, signed);
  },
  'xsw2-signed-response-detached-next-to-evil-content': (doc, _original, evil) => {
    const signed = doc.documentElement;
    const root = evilResponse(signed, evil);
    root.appendChild(signed.cloneNode(true));
    doc.replaceChild(root, signed);
  },
} satisfies Record<string, Wrap>;

export type WrapName = keyof typeof WRAPS;

/** Applies `wrap` to the signed response XML; the evil assertion is the original minus its signatures, with NameID admin. */
export function wrapSigned(signedXml: string, name: WrapName): string {
  const doc = new DOMParser().parseFromString(signedXml, 'text/xml');
  const original = first(doc, NS_SAML, 'Assertion');
  const evil = original.cloneNode(true) as Element;
  for (const sig of Array.from(evil.getElementsByTagNameNS(NS_DS, 'Signature'))) sig.parentNode?.removeChild(sig);
  evil.setAttribute('ID', '_evil_assertion');
  first(evil, NS_SAML, 'NameID').textContent = EVIL_NAME_ID;
  WRAPS[name](doc, original, evil);
  return new XMLSerializer().serializeToString(doc);
}

/** The assertion's signature moved up to the Response (before Status): it still references the assertion. */
export function moveAssertionSignatureToResponse(signedXml: string): string {
  const doc = new DOMParser().parseFromString(signedXml, 'text/xml');
  const signature = first(doc, NS_DS, 'Signature');
  const root = doc.documentElement;
  signature.parentNode?.removeChild(signature);
  root.insertBefore(signature, first(root, NS_SAMLP, 'Status'));
  return new XMLSerializer().serializeToString(doc);
}

/** Changes one base64 character of the first element named `localName` (DigestValue, SignatureValue). */
export function flipFirst(xml: string, localName: 'DigestValue' | 'SignatureValue'): string {
  const match = new RegExp(`<ds:${localName}>([A-Za-z0-9+/])`).exec(xml);
  if (!match) throw new Error(`no ${localName}`);
  const at = match.index + match[0].length - 1;
  return xml.slice(0, at) + (xml[at] === 'A' ? 'B' : 'A') + xml.slice(at + 1);
}
