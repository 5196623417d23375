import { describe, expect, it } from 'vitest';
import { foldIdentifier, normaliseDomain, normaliseEmail, parseEmail } from '../../src/core/email.js';

describe('normaliseEmail', () => {
  it.each([
    ['Jon.Smith@DecorumSoft.COM', 'jon.smith@decorumsoft.com', 'decorumsoft.com'],
    ['  jane@decorumsoft.com ', 'jane@decorumsoft.com', 'decorumsoft.com'],
    ['a@Bücher.de', 'a@xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['a@xn--bcher-kva.de', 'a@xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['C@BÜCHER.DE', 'c@xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['x@eu.decorumsoft.com', 'x@eu.decorumsoft.com', 'eu.decorumsoft.com'],
    ['first+tag@decorumsoft.com', 'first+tag@decorumsoft.com', 'decorumsoft.com'],
    // NFC: a decomposed é (e + U+0301) is the same address as the precomposed one.
    ['e\u0301mile@d.example', '\u00e9mile@d.example', 'd.example'],
    ['\u00c9mile@d.example', '\u00e9mile@d.example', 'd.example'],
    // Letters of other scripts are lower-cased; they never become ASCII.
    ['ΔΗΜΗΤΡΗΣ@d.example', 'δημητρης@d.example'.replace(/σ$/, 'ς'), 'd.example'],
    ['straße@d.example', 'straße@d.example', 'd.example'],
    // Combining marks (PRECIS Mn/Mc) are part of the letters of many scripts.
    ['नमस्ते@d.example', 'नमस्ते@d.example', 'd.example'],
  ])('%s -> %s', (input, normalised, domain) => {
    expect(normaliseEmail(input)).toMatchObject({ normalised, domain, original: input.trim() });
  });

  it.each(['', 'plain', '@decorumsoft.com', 'a@', 'a@b', 'a@1.2.3.4', 'a b@x.com', 'a@x..com', 'a@-x.com', '"q"@x.com', 'a@x.com/evil', `${'l'.repeat(65)}@x.com`])(
    'refuses %j',
    (input) => {
      expect(normaliseEmail(input)).toBeNull();
    },
  );
});

describe('parseEmail: refusals and their problem', () => {
  it.each([
    // Case mappings or compatibility forms that land in ASCII: another person's address.
    ['\u212Aate@d.example', 'ambiguous_character', 'U+212A'], // KELVIN SIGN -> k
    ['\u0130nci@d.example', 'ambiguous_character', 'U+0130'], // İ -> i + U+0307
    ['\u017Fam@d.example', 'ambiguous_character', 'U+017F'], // LONG S -> S
    ['\u0131lker@d.example', 'ambiguous_character', 'U+0131'], // DOTLESS I -> I
    ['\uFF4Bate@d.example', 'ambiguous_character', 'U+FF4B'], // FULLWIDTH k
    ['x@\uFF44.example', 'ambiguous_character', 'U+FF44'], // FULLWIDTH d in the domain
    ['x@\u212Ad.example', 'ambiguous_character', 'U+212A'], // Kelvin sign in the domain
    ['\uFB01le@d.example', 'ambiguous_character', 'U+FB01'], // ﬁ ligature
    // Invisible, format and control characters are refused, never kept or stripped.
    ['ka\u00ADte@d.example', 'invisible_character', 'U+00AD'],
    ['ka\u200Bte@d.example', 'invisible_character', 'U+200B'],
    ['ka\u200Cte@d.example', 'invisible_character', 'U+200C'],
    ['ka\u200Dte@d.example', 'invisible_character', 'U+200D'],
    ['ka\u2060te@d.example', 'invisible_character', 'U+2060'],
    ['\uFEFFkate@d.example', 'invisible_character', 'U+FEFF'],
    ['kate@d.example\u200E', 'invisible_character', 'U+200E'],
    ['ka\u202Ete@d.example', 'invisible_character', 'U+202E'],
    ['ka\u2066te@d.example', 'invisible_character', 'U+2066'],
    ['ka\u0000te@d.example', 'invisible_character', 'U+0000'],
    ['ka\uFE0Fte@d.example', 'invisible_character', 'U+FE0F'], // variation selector (default ignorable)
    ['x@d\u00AD.example', 'invisible_character', 'U+00AD'], // URL would silently drop it from a domain
    ['\uD800@d.example', 'invalid', 'U+D800'],
    // Shape.
    ['x@d.', 'invalid', 'ends with a dot'],
    ['jane@decorumsoft.com.', 'invalid', 'ends with a dot'],
    ['x@d\u3002example', 'invalid', 'not a letter, digit, hyphen or dot'], // ideographic full stop
  ])('%j is refused as %s naming %s', (input, problem, named) => {
    const parsed = parseEmail(input);
    expect(parsed).toMatchObject({ ok: false, problem });
    if (!parsed.ok) {
      expect(parsed.detail).toContain(named);
      // The detail never carries the invisible or broken character itself: safe to show, log and store.
      expect(parsed.detail).not.toMatch(/[\u00AD\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF\uFE0F\u0000\uD800]/);
    }
  });

  it('never maps a non-ASCII character onto an ASCII one: the Kelvin sign is not kate', () => {
    expect(normaliseEmail('kate@d.example')?.normalised).toBe('kate@d.example');
    expect(normaliseEmail('\u212Aate@d.example')).toBeNull();
    expect(normaliseEmail('KATE@D.EXAMPLE')?.normalised).toBe('kate@d.example');
  });

  it('leaves no ASCII in a normalised local part that was not ASCII in the input', () => {
    // Every BMP letter outside ASCII: if it is accepted, its lower-cased form contains no ASCII.
    for (let cp = 0x80; cp < 0x10000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const char = String.fromCodePoint(cp);
      const email = normaliseEmail(`${char}x@d.example`);
      if (email !== null) expect(email.normalised.slice(0, -'x@d.example'.length), `U+${cp.toString(16)}`).toMatch(/^[^\x00-\x7f]+$/);
    }
  });
});

describe('normaliseDomain', () => {
  it('treats a subdomain as another domain and compares case-insensitively', () => {
    expect(normaliseDomain('DecorumSoft.com')).toBe('decorumsoft.com');
    expect(normaliseDomain('eu.decorumsoft.com')).not.toBe(normaliseDomain('decorumsoft.com'));
  });

  it('follows the email rule: no trailing dot, no full-width letters, IDN to punycode', () => {
    expect(normaliseDomain('decorumsoft.com.')).toBeNull();
    expect(normaliseDomain('\uFF44.example')).toBeNull();
    expect(normaliseDomain('d\u00AD.example')).toBeNull();
    expect(normaliseDomain('Bücher.de')).toBe('xn--bcher-kva.de');
  });
});

describe('foldIdentifier (SCIM userName and emails)', () => {
  it('lower-cases plain text and NFC-normalises it', () => {
    expect(foldIdentifier('Kate@D.example')).toBe('kate@d.example');
    expect(foldIdentifier('E\u0301mile')).toBe('\u00e9mile');
  });

  it('keeps text with a refused character exactly as given, so it never folds onto another identity', () => {
    expect(foldIdentifier('\u212Aate@d.example')).toBe('\u212Aate@d.example');
    expect(foldIdentifier('\u212Aate@d.example')).not.toBe(foldIdentifier('kate@d.example'));
    expect(foldIdentifier('ka\u00ADte@d.example')).toBe('ka\u00ADte@d.example');
  });
});
