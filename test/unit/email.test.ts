import { describe, expect, it } from 'vitest';
import { normaliseDomain, normaliseEmail } from '../../src/core/email.js';

describe('normaliseEmail', () => {
  it.each([
    ['Jon.Smith@DecorumSoft.COM', 'jon.smith@decorumsoft.com', 'decorumsoft.com'],
    ['  jane@decorumsoft.com ', 'jane@decorumsoft.com', 'decorumsoft.com'],
    ['a@Bücher.de', 'a@xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['a@xn--bcher-kva.de', 'a@xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['x@eu.decorumsoft.com', 'x@eu.decorumsoft.com', 'eu.decorumsoft.com'],
    ['first+tag@decorumsoft.com', 'first+tag@decorumsoft.com', 'decorumsoft.com'],
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

describe('normaliseDomain', () => {
  it('treats a subdomain as another domain and compares case-insensitively', () => {
    expect(normaliseDomain('DecorumSoft.com')).toBe('decorumsoft.com');
    expect(normaliseDomain('eu.decorumsoft.com')).not.toBe(normaliseDomain('decorumsoft.com'));
    expect(normaliseDomain('decorumsoft.com.')).toBe('decorumsoft.com');
  });
});
