import { Buffer } from 'node:buffer';
import { DOMParser } from '@xmldom/xmldom';
import { xmlCharacterProblem } from '../core/text.js';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/** 256 KiB of base64 (192 KiB of XML): real responses are 3–30 KiB, Entra with many groups ~60 KiB. */
export const SAML_RESPONSE_MAX_BASE64_LENGTH = 256 * 1024;

export class XmlRejected extends Error {
  constructor(
    readonly kind: 'malformed' | 'dtd_forbidden' | 'too_large' | 'invalid_characters',
    message: string,
  ) {
    super(message);
    this.name = 'XmlRejected';
  }
}

const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Base64 form value -> XML text. Size is checked before any decoding; invalid base64 or UTF-8 is refused. */
export function decodeBase64Xml(value: string, maxLength = SAML_RESPONSE_MAX_BASE64_LENGTH): string {
  if (value.length > maxLength) {
    throw new XmlRejected('too_large', `SAMLResponse is ${value.length} characters, the limit is ${maxLength}`);
  }
  // IdPs wrap base64 at 64 or 76 columns; whitespace is not data.
  const compact = value.replace(/[\r\n\t ]+/g, '');
  if (compact.length === 0) throw new XmlRejected('malformed', 'SAMLResponse is empty');
  if (!BASE64_BODY.test(compact) || compact.length % 4 === 1) {
    throw new XmlRejected('malformed', 'SAMLResponse is not base64');
  }
  let text: string;
  try {
    text = utf8.decode(Buffer.from(compact, 'base64'));
  } catch {
    throw new XmlRejected('malformed', 'SAMLResponse is not UTF-8 XML');
  }
  assertNoDtd(text);
  return text;
}

/**
 * Refuses DOCTYPE and ENTITY declarations before any parser sees the text. xmldom ignores internal
 * subsets, but a parser that honours them is one dependency bump away; a SAML message never has one.
 */
export function assertNoDtd(xml: string): void {
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(xml)) {
    throw new XmlRejected('dtd_forbidden', 'XML contains a DOCTYPE or ENTITY declaration');
  }
}

/**
 * Parses XML, treating every xmldom warning and error as fatal. Every XML the product reads passes
 * here (the posted response, a decrypted assertion, pasted IdP metadata), so each is checked for
 * characters src/core/text.ts refuses before the parser can hand a NUL or a lone surrogate on to
 * NameIDs, attributes, entity IDs and from there to the database and the audit log.
 */
export function parseXmlStrict(xml: string): Document {
  assertNoDtd(xml);
  const problem = xmlCharacterProblem(xml);
  if (problem !== null) throw new XmlRejected('invalid_characters', problem);
  const fail = (level: string) => (message: unknown) => {
    throw new XmlRejected('malformed', `XML ${level}: ${String(message).split('\n')[0]}`);
  };
  const parser = new DOMParser({
    errorHandler: { warning: fail('warning'), error: fail('error'), fatalError: fail('fatal error') },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(xml, 'text/xml');
  } catch (error) {
    if (error instanceof XmlRejected) throw error;
    throw new XmlRejected('malformed', `XML parse error: ${String(error)}`);
  }
  if (!doc || !doc.documentElement) throw new XmlRejected('malformed', 'XML has no root element');
  return doc;
}

/** The root element of a strictly parsed document. */
export function parseRoot(xml: string): Element {
  return parseXmlStrict(xml).documentElement;
}

export function isElement(node: Node | null | undefined): node is Element {
  return node != null && node.nodeType === ELEMENT_NODE;
}

export function isNamed(el: Element, ns: string, localName: string): boolean {
  return el.namespaceURI === ns && el.localName === localName;
}

export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (isElement(n)) out.push(n);
  return out;
}

export function childrenNamed(el: Element, ns: string, localName: string): Element[] {
  return childElements(el).filter((c) => isNamed(c, ns, localName));
}

/** The single child with that name, null when absent; throws when there are several. */
export function optionalChild(el: Element, ns: string, localName: string): Element | null {
  const found = childrenNamed(el, ns, localName);
  if (found.length > 1) throw new XmlRejected('malformed', `${el.localName} has ${found.length} ${localName} elements`);
  return found[0] ?? null;
}

/** Every element below `root` (inclusive), document order. */
export function descendantElements(root: Element): Element[] {
  const out: Element[] = [];
  const walk = (el: Element): void => {
    out.push(el);
    for (let n = el.firstChild; n; n = n.nextSibling) if (isElement(n)) walk(n);
  };
  walk(root);
  return out;
}

/** Attribute value, or null when absent (xmldom returns '' for absent attributes). */
export function attr(el: Element, name: string): string | null {
  return el.hasAttribute(name) ? el.getAttribute(name) : null;
}

/** Non-empty trimmed attribute value, or null. */
export function attrValue(el: Element, name: string): string | null {
  const value = attr(el, name)?.trim();
  return value ? value : null;
}

/**
 * The full character content of an element: every text and CDATA node, comments skipped and the
 * pieces joined (NameID comment injection: `ross@<!---->octolabs.io` reads as the whole string,
 * never as the first or last text node). Trimmed.
 */
export function textContent(el: Element): string {
  let out = '';
  const walk = (node: Node): void => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) out += n.nodeValue ?? '';
      else if (isElement(n)) walk(n);
    }
  };
  walk(el);
  return out.trim();
}
