/** The Issuer a SAMLResponse claims, before anything is verified: only to choose which IdP to verify it against. */
import { NS, decodeBase64Xml, optionalChild, parseRoot, textContent } from './xml.js';

/**
 * The Response's Issuer, else its (plain) Assertion's, trimmed; null when the response cannot be read or
 * names none. Unverified: a hint of which trusted IdP to try, never a fact to act on.
 */
export function claimedIssuer(samlResponse: string): string | null {
  try {
    const root = parseRoot(decodeBase64Xml(samlResponse));
    const assertion = optionalChild(root, NS.assertion, 'Assertion');
    const issuer = optionalChild(root, NS.assertion, 'Issuer') ?? (assertion ? optionalChild(assertion, NS.assertion, 'Issuer') : null);
    const value = issuer ? textContent(issuer).trim() : '';
    return value === '' ? null : value;
  } catch {
    return null;
  }
}
