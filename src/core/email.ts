/**
 * Email and domain normalisation shared by every rule that compares addresses.
 * Pure: only web-standard globals (URL does IDNA/UTS-46 mapping in Node and workerd alike).
 */

export interface NormalisedEmail {
  /** The address as given (trimmed), kept for display. */
  readonly original: string;
  /** Lower-case local part @ ASCII (punycode) lower-case domain. */
  readonly normalised: string;
  /** The ASCII, lower-case domain: the unit of the JIT domain rule. */
  readonly domain: string;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// RFC 5321 dot-atom local part, plus the UTF-8 letters that SMTPUTF8 allows.
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;

/** Returns the ASCII form of a domain (IDN to punycode, lower case), or null when it is not a valid DNS name. */
export function normaliseDomain(input: string): string | null {
  const trimmed = input.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > 253) return null;
  // Characters URL would silently accept or strip in a host but that never belong to a domain.
  if (/[\s/\\?#@:%[\]]/.test(trimmed)) return null;
  let ascii: string;
  try {
    ascii = new URL(`http://${trimmed}`).hostname;
  } catch {
    return null;
  }
  if (ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2) return null;
  if (!labels.every((label) => LABEL.test(label))) return null;
  // A purely numeric top label is an IP address, not a domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return null;
  return ascii;
}

/** Normalises an email address, or returns null when it is not a usable address. */
export function normaliseEmail(input: string): NormalisedEmail | null {
  const original = input.trim();
  if (original.length === 0 || original.length > 320) return null;
  const at = original.lastIndexOf('@');
  if (at <= 0 || at === original.length - 1) return null;
  const local = original.slice(0, at).normalize('NFC');
  if (local.length > 64 || !LOCAL_PART.test(local)) return null;
  const domain = normaliseDomain(original.slice(at + 1));
  if (domain === null) return null;
  return { original, normalised: `${local.toLowerCase()}@${domain}`, domain };
}
