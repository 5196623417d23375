/**
 * Which text the product accepts from outside, in one place: the JSON API, SCIM bodies and filters,
 * and SAML XML all refuse the same characters at the door, with a 400 rather than a database error.
 *
 * Refused: unpaired UTF-16 surrogates (`"\ud800"` in JSON, `&#xD800;` in XML) and C0 control
 * characters (U+0000 to U+001F), except tab, line feed and carriage return where line breaks are
 * allowed. PostgreSQL jsonb refuses both a lone surrogate escape and U+0000, text refuses U+0000, and
 * none of them is ever part of a real name, email, group or identifier.
 *
 * Hand-written rather than a library: the check is `String.prototype.isWellFormed` (Node 20+,
 * workerd) plus one character class; a dependency would add nothing.
 */

// ES2024 string methods, present on every runtime this runs on (Node 20+, workerd); the project's
// `lib` is ES2023, so they are declared here rather than widening `lib` for two methods.
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** The name of the refusal, in the API's error code, the SCIM detail and the SAML reason. */
export const INVALID_CHARACTERS = 'invalid_characters';

// C0 controls; the second form keeps tab, line feed and carriage return.
const CONTROLS = /[\u0000-\u001f]/;
const CONTROLS_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

export interface TextRules {
  /** Tab, line feed and carriage return are allowed (default true: descriptions, pasted metadata XML). */
  lineBreaks?: boolean;
}

/** True when `text` has no lone surrogate and no C0 control (but tab/LF/CR unless `lineBreaks: false`). */
export function isWellFormedText(text: string, rules: TextRules = {}): boolean {
  if (!text.isWellFormed()) return false;
  return !(rules.lineBreaks === false ? CONTROLS : CONTROLS_BUT_LINE_BREAKS).test(text);
}

/**
 * The path (`emails.0.value`, `(key)` for an object key) of the first string in a parsed JSON value
 * that is not well-formed text, or null when every string and key is. Depth is bounded by the JSON
 * body limits the routes apply first; the walk is iterative anyway so no input can overflow the stack.
 */
export function findIllFormedText(value: unknown, rules: TextRules = {}): string | null {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (!isWellFormedText(current, rules)) return path || '(body)';
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push({ value: item, path: join(path, String(index)) }));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (!isWellFormedText(key, { lineBreaks: false })) return join(path, '(key)');
        stack.push({ value: item, path: join(path, key) });
      }
    }
  }
  return null;
}

// XML 1.0 `Char` (§2.2): what a character reference may name and what may appear raw.
const isXmlChar = (code: number) =>
  code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
const CHARACTER_REFERENCE = /&#(?:x([0-9a-fA-F]+)|([0-9]+));/g;

/**
 * Why an XML text is refused for its characters, or null when it is acceptable: a raw character or a
 * character reference (`&#xD800;`, `&#0;`) that XML 1.0 does not allow. The parser would otherwise hand
 * the lone surrogate or NUL on to NameIDs and attributes, and from there to the audit log.
 */
export function xmlCharacterProblem(xml: string): string | null {
  if (!isWellFormedText(xml)) return 'the XML contains a control character or an unpaired surrogate';
  for (const match of xml.matchAll(CHARACTER_REFERENCE)) {
    const digits = match[1] ?? match[2] ?? '';
    // Bounded before parsing so a reference of a thousand digits is not a float: anything past 8 digits is out of range.
    const code = digits.length > 8 ? -1 : Number.parseInt(digits, match[1] !== undefined ? 16 : 10);
    if (!isXmlChar(code)) return `the XML contains the character reference ${match[0].slice(0, 16)}, which names no allowed character`;
  }
  return null;
}

/**
 * Text made storable whatever it is: lone surrogates become U+FFFD (what a UTF-8 encoder writes
 * anyway) and U+0000, which no PostgreSQL text or jsonb can hold, becomes U+FFFD too, so the record
 * still shows where something was.
 */
export function toStorableText(text: string): string {
  return text.toWellFormed().replace(/\u0000/g, '\uFFFD');
}

/** A JSON value with every string and key made storable (see toStorableText). */
export function toStorableJson(value: unknown): unknown {
  if (typeof value === 'string') return toStorableText(value);
  if (Array.isArray(value)) return value.map(toStorableJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [toStorableText(key), toStorableJson(item)]));
  }
  return value;
}
