import { refuse } from './types.js';
import type { SamlFailure } from './types.js';
import { NS, attrValue, childElements, childrenNamed, descendantElements, isNamed, optionalChild, textContent } from './xml.js';

/** Where the parts of a SAML Response sit, after the shape checks below passed. */
export interface ResponseShape {
  root: Element;
  responseSignature: Element | null;
  /** Exactly one of `assertion` / `encryptedAssertion` is set. */
  assertion: Element | null;
  encryptedAssertion: Element | null;
  /** The ds:Signature that is a direct child of the (plain) assertion. */
  assertionSignature: Element | null;
}

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ROOT_CHILDREN = new Set([
  `${NS.assertion} Issuer`,
  `${NS.ds} Signature`,
  `${NS.protocol} Extensions`,
  `${NS.protocol} Status`,
  `${NS.assertion} Assertion`,
  `${NS.assertion} EncryptedAssertion`,
]);
/** xml-crypto resolves references through any of these attribute names. */
const ID_ATTRIBUTES = ['ID', 'Id', 'id'];

/** The root must be a SAML 2.0 protocol Response with an ID. */
export function checkRoot(root: Element): SamlFailure | null {
  if (!isNamed(root, NS.protocol, 'Response')) {
    return refuse('malformed', `root element is {${root.namespaceURI ?? ''}}${root.localName}, expected samlp:Response`);
  }
  if (root.getAttribute('Version') !== '2.0') return refuse('malformed', 'Response Version is not 2.0');
  if (!attrValue(root, 'ID')) return refuse('malformed', 'Response has no ID');
  return null;
}

/**
 * Status must be Success. Checked before the signature on purpose: IdPs send their error responses
 * (user not assigned to the app, ...) unsigned, and a refusal read from unsigned data grants nothing.
 */
export function checkStatus(root: Element): SamlFailure | null {
  const status = optionalChild(root, NS.protocol, 'Status');
  if (!status) return refuse('malformed', 'Response has no Status');
  const code = optionalChild(status, NS.protocol, 'StatusCode');
  const value = code ? attrValue(code, 'Value') : null;
  if (value === SUCCESS) return null;
  const second = code ? optionalChild(code, NS.protocol, 'StatusCode') : null;
  const message = optionalChild(status, NS.protocol, 'StatusMessage');
  const parts = [`status ${value ?? '(none)'}`];
  if (second) parts.push(`second-level ${attrValue(second, 'Value') ?? '(none)'}`);
  if (message) parts.push(`message "${textContent(message).slice(0, 200)}"`);
  return refuse('status_not_success', parts.join(', '));
}

/** Unique IDs and no nested Response: the first tell-tales of signature wrapping. */
function scanIds(all: readonly Element[], root: Element): SamlFailure | null {
  const ids = new Set<string>();
  for (const el of all) {
    for (const name of ID_ATTRIBUTES) {
      const id = el.hasAttribute(name) ? el.getAttribute(name) : null;
      if (id === null) continue;
      if (ids.has(id)) return refuse('signature_invalid', `duplicate ID "${id.slice(0, 80)}" (signature wrapping)`);
      ids.add(id);
    }
    if (el !== root && el.localName === 'Response') {
      return refuse('signature_invalid', 'a Response nested inside the Response (signature wrapping)');
    }
  }
  return null;
}

/** ds:Signature may only be a direct child of the allowed parents. */
function scanSignatures(all: readonly Element[], parents: readonly Element[]): SamlFailure | null {
  for (const el of all) {
    if (isNamed(el, NS.ds, 'Signature') && !parents.includes(el.parentNode as Element)) {
      return refuse('signature_invalid', 'a signature outside Response/Signature and Assertion/Signature (signature wrapping)');
    }
  }
  return null;
}

/**
 * Structural rules that make signature wrapping impossible to express: one assertion, directly under
 * the root; no second Response; unique IDs; signatures only on the root or on that assertion.
 */
export function inspectResponse(root: Element): { ok: true; shape: ResponseShape } | SamlFailure {
  const all = descendantElements(root);
  const idFailure = scanIds(all, root);
  if (idFailure) return idFailure;
  for (const child of childElements(root)) {
    if (!ROOT_CHILDREN.has(`${child.namespaceURI ?? ''} ${child.localName}`)) {
      return refuse('malformed', `unexpected element ${child.localName} in Response`);
    }
  }
  const responseSignatures = childrenNamed(root, NS.ds, 'Signature');
  if (responseSignatures.length > 1) return refuse('signature_invalid', 'Response carries several signatures');
  if (childrenNamed(root, NS.assertion, 'Issuer').length > 1) return refuse('malformed', 'Response has several Issuers');

  const direct = childElements(root).filter(
    (c) => isNamed(c, NS.assertion, 'Assertion') || isNamed(c, NS.assertion, 'EncryptedAssertion'),
  );
  const anywhere = all.filter((el) => el.localName === 'Assertion' || el.localName === 'EncryptedAssertion');
  if (direct.length === 0) return refuse('assertion_count', 'Response contains no assertion');
  if (direct.length > 1) return refuse('assertion_count', `Response contains ${direct.length} assertions`);
  if (anywhere.length !== 1) {
    return refuse('assertion_count', `${anywhere.length} assertion elements in the document (only one, directly under Response, is allowed)`);
  }
  const only = direct[0] as Element;
  const plain = only.localName === 'Assertion' ? only : null;

  const assertionSignatures = plain ? childrenNamed(plain, NS.ds, 'Signature') : [];
  if (assertionSignatures.length > 1) return refuse('signature_invalid', 'Assertion carries several signatures');
  const signatureFailure = scanSignatures(all, plain ? [root, plain] : [root]);
  if (signatureFailure) return signatureFailure;
  if (plain && !attrValue(plain, 'ID')) return refuse('malformed', 'Assertion has no ID');

  return {
    ok: true,
    shape: {
      root,
      responseSignature: responseSignatures[0] ?? null,
      assertion: plain,
      encryptedAssertion: plain ? null : only,
      assertionSignature: assertionSignatures[0] ?? null,
    },
  };
}

/** The same rules for a decrypted assertion, which is its own document. Returns its signature, if any. */
export function inspectDecryptedAssertion(assertion: Element): { ok: true; signature: Element | null } | SamlFailure {
  if (!isNamed(assertion, NS.assertion, 'Assertion')) return refuse('decryption_failed', 'the decrypted content is not an Assertion');
  if (!attrValue(assertion, 'ID')) return refuse('malformed', 'Assertion has no ID');
  const all = descendantElements(assertion);
  const idFailure = scanIds(all, assertion);
  if (idFailure) return idFailure;
  const nested = all.filter((el) => el !== assertion && (el.localName === 'Assertion' || el.localName === 'EncryptedAssertion'));
  if (nested.length > 0) return refuse('assertion_count', 'an assertion nested inside the decrypted Assertion');
  const signatures = childrenNamed(assertion, NS.ds, 'Signature');
  if (signatures.length > 1) return refuse('signature_invalid', 'Assertion carries several signatures');
  const signatureFailure = scanSignatures(all, [assertion]);
  return signatureFailure ?? { ok: true, signature: signatures[0] ?? null };
}
