/**
 * Inputs for the fuzz test (test/http/fuzz.test.ts): a seeded PRNG and generators of hostile text,
 * emails, SCIM filters and mutations of signed SAML XML. Deterministic for a given seed.
 */

/** mulberry32: a tiny seeded PRNG, so a failure replays exactly with the same seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
export type Rng = ReturnType<typeof prng>;

const HOSTILE_PIECES = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\u212A',
  '\u0130',
  '\u017F',
  '\u00AD',
  '\u200B',
  '\u202E',
  '\uFEFF',
  '\uFF44',
  'e\u0301',
  '💩',
  "'; drop table users; --",
  '"',
  '\\',
  '%00',
  '&#xD800;',
  '<x/>',
  '\r\n',
  '\t',
  '${x}',
  '__proto__',
];
const SAFE_WORDS = ['alpha', 'Bravo', 'charlie', 'Delta', 'écho', 'fox', 'Golf', 'hôtel', 'india', 'jülia', 'kilo', 'lima'];

/** A string that is sometimes clean and sometimes hostile, and sometimes very long. */
export function text(rng: Rng, clean = 0.5, long = 0.05): string {
  if (rng.chance(clean)) return `${rng.pick(SAFE_WORDS)} ${rng.int(1_000_000)}`;
  let out = '';
  const parts = 1 + rng.int(4);
  for (let i = 0; i < parts; i += 1) out += rng.chance(0.5) ? rng.pick(HOSTILE_PIECES) : rng.pick(SAFE_WORDS);
  if (rng.chance(long)) out = out.repeat(200 + rng.int(2000));
  return out;
}

function localPart(rng: Rng): string {
  return rng.chance(0.7) ? `${rng.pick(SAFE_WORDS).normalize('NFD').replace(/[^a-z]/gi, '').toLowerCase()}.${rng.int(1_000_000)}` : text(rng, 0);
}

export const DOMAIN = 'fuzz.example';
export function email(rng: Rng): string {
  const domain = rng.chance(0.85) ? DOMAIN : rng.pick([`${DOMAIN}.`, 'ｆuzz.example', 'FUZZ.example', 'other.example', '']);
  return `${localPart(rng)}@${domain}`;
}

const SCIM_ATTRS = ['userName', 'displayName', 'externalId', 'active', 'emails.value', 'emails', 'name.givenName', 'meta.created', 'meta.lastModified', 'id', 'title', 'nope'];
const SCIM_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'xx'];
function scimValue(rng: Rng): string {
  return rng.pick([
    JSON.stringify(text(rng)),
    '"2024-01-01T00:00:00Z"',
    '"2024-13-45T99:00:00Z"',
    '"not a date"',
    'true',
    'null',
    '42',
    '"\\u0000"',
    '"\\ud800"',
    '"unterminated',
  ]);
}
export function scimFilter(rng: Rng): string {
  const clause = () => {
    const op = rng.pick(SCIM_OPS);
    return op === 'pr' ? `${rng.pick(SCIM_ATTRS)} pr` : `${rng.pick(SCIM_ATTRS)} ${op} ${scimValue(rng)}`;
  };
  let filter = clause();
  for (let i = rng.int(3); i > 0; i -= 1) filter = rng.chance(0.2) ? `not (${filter})` : `${filter} ${rng.pick(['and', 'or'])} ${clause()}`;
  if (rng.chance(0.1)) filter = filter.slice(0, rng.int(filter.length));
  return filter;
}

/** Mutations of a signed response's XML: each must be refused (or accepted only if still valid). */
export const XML_MUTATIONS: ((xml: string, rng: Rng) => string)[] = [
  (xml, rng) => {
    const at = rng.int(xml.length);
    return xml.slice(0, at) + rng.pick(['&#xD800;', '&#0;', '\u0000', '<!DOCTYPE x [<!ENTITY e "e">]>', '&e;', '"', '<', '💩']) + xml.slice(at);
  },
  (xml, rng) => {
    const at = rng.int(xml.length);
    return xml.slice(0, at) + xml.slice(at + 1 + rng.int(40));
  },
  (xml) => xml.replace(/<saml:AttributeValue>([^<]*)</, '<saml:AttributeValue>$1&#xD800;<'),
  (xml) => xml.replace(/(<saml:NameID[^>]*>)([^<]*)</, '$1$2&#0;<'),
  (xml) => xml.replace(/<ds:SignatureValue>[^<]{8}/, '<ds:SignatureValue>AAAAAAAA'),
  (xml) => `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "${'x'.repeat(100)}"><!ENTITY b "&a;&a;&a;&a;&a;">]>${xml.replace(/^<\?xml[^>]*\?>/, '')}`,
];

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Percent-encodes like a careless client: a lone surrogate goes out as its (invalid) 3-byte form. */
export function formEncode(value: string): string {
  return value
    .split(LONE_SURROGATE)
    .map((part) => encodeURIComponent(part))
    .join('%ED%A0%80');
}
