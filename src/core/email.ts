/**
 * Email and domain normalisation shared by every rule that compares or stores addresses: the ACS and
 * JIT, `jit/explain`, invitations, support look-ups and the directory (SCIM userName and emails).
 * Pure: only web-standard globals (URL does IDNA/UTS-46 mapping in Node and workerd alike).
 *
 * The rule (one identity, one spelling; never merge two people by folding):
 *  1. Trim ASCII white space only (a leading U+FEFF or NBSP is not silently dropped).
 *  2. Refuse invisible characters anywhere: controls (Cc), format characters (Cf: soft hyphen U+00AD,
 *     zero-width U+200B-U+200D, word joiner U+2060, U+FEFF, bidi controls U+200E/F, U+202A-E,
 *     U+2066-9), line/paragraph separators and every Default_Ignorable_Code_Point (variation selectors,
 *     Hangul fillers...). They make two addresses that look the same compare different, or the reverse.
 *     Reason `email_invisible_character`.
 *  3. Refuse, before NFC (NFC itself turns U+212A KELVIN SIGN into K), every non-ASCII code point that
 *     another system could read as a different, ASCII one: those with a compatibility mapping (NFKC
 *     changes them: fullwidth `ｄ`, Kelvin sign, ligatures, superscripts; PRECIS IdentifierClass
 *     disallows them too), and those whose lower case contains ASCII (U+212A -> k, U+0130 -> i + dot)
 *     or whose upper case is one ASCII letter (U+017F long s -> S, U+0131 dotless i -> I). Reason
 *     `email_ambiguous_character`. After this, ASCII in the result only ever comes from ASCII input.
 *  4. NFC: an `é` sent decomposed (e + U+0301) is the same person as the precomposed one.
 *  5. Local part: a dot-atom of ASCII letters, digits and the RFC 5322 atext specials, plus the
 *     letters, digits and combining marks of other scripts (PRECIS IdentifierClass LetterDigits:
 *     Ll Lu Lo Lm Nd Mn Mc). Lower-cased (safe after step 3: ASCII stays ASCII, other letters stay
 *     non-ASCII). Quoted local parts are refused.
 *  6. Domain: labels of letters, digits, marks and hyphens separated by ASCII dots only (the
 *     ideographic full stop U+3002 that UTS-46 silently reads as a dot is refused); no trailing dot
 *     (`x@d.` is refused, not repaired: RFC 5321 has no such address); then IDNA via URL: Unicode
 *     labels become punycode (`bücher.de` -> `xn--bcher-kva.de`), ASCII is lower-cased; refused unless
 *     every label comes out LDH and an IP address is not given.
 * Anything else that does not fit is `email_invalid`. Every caller goes through `parseEmail` (or
 * `normaliseEmail`, its nullable form), so `jit/explain` and the ACS decide on the very same string.
 */

export interface NormalisedEmail {
  /** The address as given (trimmed), kept for display. */
  readonly original: string;
  /** Lower-case local part @ ASCII (punycode) lower-case domain. */
  readonly normalised: string;
  /** The ASCII, lower-case domain: the unit of the JIT domain rule. */
  readonly domain: string;
}

/** Why an address was refused: `invalid` (shape), or one of the two character rules above. */
export type EmailProblem = 'invalid' | 'invisible_character' | 'ambiguous_character';

export type EmailParse =
  | { ok: true; email: NormalisedEmail }
  | { ok: false; problem: EmailProblem; detail: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\p{Ll}\\p{Lu}\\p{Lo}\\p{Lm}\\p{Nd}\\p{Mn}\\p{Mc}]+";
const LOCAL_PART = new RegExp(`^${ATOM}(\\.${ATOM})*$`, 'u');
// Letters, digits, marks and hyphens between ASCII dots; URL then decides what a valid IDN label is.
const DOMAIN_CHARS = /^[\p{L}\p{M}\p{Nd}.-]+$/u;
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const UNUSABLE = /[\p{Cs}\p{Co}\p{Cn}]/u;
const ASCII = /[\x00-\x7f]/;
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const ASCII_TRIM = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/** `U+212A` style name of a code point, for the reasons shown to admins. */
function codePointName(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** True when `char` (one non-ASCII code point) could be read as another, ASCII, character (rule 3). */
function isAmbiguous(char: string): boolean {
  if (char.normalize('NFKC') !== char) return true;
  const upper = char.toUpperCase();
  return ASCII.test(char.toLowerCase()) || ([...upper].length === 1 && ASCII.test(upper));
}

/** The first character of `text` that rule 2 or 3 refuses, with the problem it raises. */
function firstRefusedCharacter(text: string): { problem: EmailProblem; char: string } | null {
  for (const char of text) {
    if (INVISIBLE.test(char)) return { problem: 'invisible_character', char };
    if (UNUSABLE.test(char)) return { problem: 'invalid', char };
    if (!ASCII.test(char) && isAmbiguous(char)) return { problem: 'ambiguous_character', char };
  }
  return null;
}

/** True when `text` contains a character the email rule refuses as ambiguous or invisible. */
export function hasAmbiguousCharacter(text: string): boolean {
  return firstRefusedCharacter(text) !== null;
}

/**
 * Case-insensitive form of an identifier that may be an email (SCIM userName, emails[].value, a
 * filter value compared to them): NFC lower case, except that text with a character rule 2 or 3
 * refuses is kept exactly as given, so that a `\u212Aate@…` directory entry can never be folded onto
 * `kate@…` (such an entry matches only itself, case-sensitively). Domains are not converted to
 * punycode here, so rows stored before this rule keep matching; JIT looks up both forms.
 */
export function foldIdentifier(text: string): string {
  if (hasAmbiguousCharacter(text)) return text;
  return text.normalize('NFC').toLowerCase();
}

type DomainParse = { ok: true; domain: string } | { ok: false; problem: EmailProblem; detail: string };

function parseDomainPart(input: string): DomainParse {
  const invalid = (detail: string): DomainParse => ({ ok: false, problem: 'invalid', detail });
  const domain = input.normalize('NFC');
  if (domain === '') return invalid('The domain is empty.');
  if (domain.endsWith('.')) return invalid(`The domain "${domain}" ends with a dot; write it without the final dot.`);
  if (domain.length > 253) return invalid('The domain is longer than 253 characters.');
  if (!DOMAIN_CHARS.test(domain)) return invalid(`The domain "${domain}" contains a character that is not a letter, digit, hyphen or dot.`);
  let ascii: string;
  try {
    ascii = new URL(`http://${domain}`).hostname;
  } catch {
    return invalid(`The domain "${domain}" is not a valid internationalised domain name.`);
  }
  const labels = ascii.split('.');
  const given = domain.split('.');
  const valid =
    ascii.length <= 253 &&
    labels.length >= 2 &&
    labels.length === given.length &&
    labels.every((label) => LABEL.test(label)) &&
    // ASCII labels only change case; Unicode ones become punycode. Anything else means UTS-46 mapped a character away.
    labels.every((label, i) => (ASCII_ONLY.test(given[i]!) ? label === given[i]!.toLowerCase() : label.startsWith('xn--')));
  if (!valid) return invalid(`The domain "${domain}" is not a valid domain name.`);
  // A purely numeric top label is an IP address, not a domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return invalid(`"${domain}" is an IP address, not a domain.`);
  return { ok: true, domain: ascii };
}

/** How `char` (ambiguous) is read elsewhere: its compatibility form, else its lower, else its upper case. */
function readingOf(char: string): string {
  const compatible = char.normalize('NFKC');
  if (compatible !== char) return compatible;
  return ASCII.test(char.toLowerCase()) ? char.toLowerCase() : char.toUpperCase();
}

/** `address` with every character the rule refuses written as <U+XXXX>: readable, and safe to log or store. */
export function visibleAddress(address: string): string {
  return [...address].map((char) => (firstRefusedCharacter(char) !== null ? `<${codePointName(char)}>` : char)).join('');
}

function describeRefusedCharacter(address: string, refused: { problem: EmailProblem; char: string }): string {
  const name = codePointName(refused.char);
  const shown = visibleAddress(address);
  switch (refused.problem) {
    case 'invisible_character':
      return `"${shown}" contains the invisible or control character ${name}; such characters are refused, not kept or removed.`;
    case 'ambiguous_character':
      return `"${shown}" contains ${name}, which other systems read as "${readingOf(refused.char)}"; it is refused so that it cannot stand for another person's address.`;
    case 'invalid':
      return `"${shown}" contains ${name}, an unassigned, private-use or unpaired surrogate code point.`;
  }
}

/** Normalises an email address by the rule above, or says which part of it is refused and why. */
export function parseEmail(input: string): EmailParse {
  const original = input.replace(ASCII_TRIM, '');
  const invalid = (detail: string): EmailParse => ({ ok: false, problem: 'invalid', detail });
  if (original.length === 0) return invalid('The email address is empty.');
  const refused = firstRefusedCharacter(original);
  if (refused !== null) return { ok: false, problem: refused.problem, detail: describeRefusedCharacter(original, refused) };
  if (original.length > 320) return invalid('The email address is longer than 320 characters.');
  const nfc = original.normalize('NFC');
  const at = nfc.lastIndexOf('@');
  if (at <= 0 || at === nfc.length - 1) return invalid(`"${original}" is not of the form name@domain.`);
  const local = nfc.slice(0, at);
  if (local.length > 64) return invalid('The part before the @ is longer than 64 characters.');
  if (!LOCAL_PART.test(local)) return invalid(`The part before the @ in "${original}" contains a character or dot that an email address cannot have there.`);
  const domain = parseDomainPart(nfc.slice(at + 1));
  if (!domain.ok) return domain;
  // Safe after the character rule: lower-casing keeps ASCII ASCII and other letters non-ASCII.
  const lowerLocal = local.toLowerCase().normalize('NFC');
  return { ok: true, email: { original, normalised: `${lowerLocal}@${domain.domain}`, domain: domain.domain } };
}

/** Normalises an email address, or returns null when it is not a usable address (see `parseEmail` for why). */
export function normaliseEmail(input: string): NormalisedEmail | null {
  const parsed = parseEmail(input);
  return parsed.ok ? parsed.email : null;
}

/** Returns the ASCII form of a domain (IDN to punycode, lower case), or null when the email rule refuses it. */
export function normaliseDomain(input: string): string | null {
  const trimmed = input.replace(ASCII_TRIM, '');
  if (firstRefusedCharacter(trimmed) !== null) return null;
  const parsed = parseDomainPart(trimmed);
  return parsed.ok ? parsed.domain : null;
}
