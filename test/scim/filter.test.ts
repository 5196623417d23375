import { describe, expect, it } from 'vitest';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseAttrPath, parseFilter } from '../../src/scim/index.js';
import type { AttrPath, FilterValue, ScimFilter } from '../../src/scim/index.js';
import { scimErrorOf } from './helpers.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:user';

const path = (attribute: string, subAttribute: string | null = null, schema: string | null = null): AttrPath => ({ schema, attribute, subAttribute });
const cmp = (op: string, p: AttrPath | string, value: FilterValue): ScimFilter => ({
  kind: 'compare',
  op: op as 'eq',
  path: typeof p === 'string' ? path(p) : p,
  value,
});
const pr = (p: AttrPath | string): ScimFilter => ({ kind: 'present', path: typeof p === 'string' ? path(p) : p });
const and = (left: ScimFilter, right: ScimFilter): ScimFilter => ({ kind: 'and', left, right });
const or = (left: ScimFilter, right: ScimFilter): ScimFilter => ({ kind: 'or', left, right });
const not = (filter: ScimFilter): ScimFilter => ({ kind: 'not', filter });
const vp = (p: AttrPath | string, filter: ScimFilter): ScimFilter => ({ kind: 'valuePath', path: typeof p === 'string' ? path(p) : p, filter });


describe('parseFilter: operators', () => {
  it.each([
    ['userName eq "bjensen"', cmp('eq', 'username', 'bjensen')],
    ['title ne "Boss"', cmp('ne', 'title', 'Boss')],
    ['name.familyName co "O\'Malley"', cmp('co', path('name', 'familyname'), "O'Malley")],
    ['userName sw "J"', cmp('sw', 'username', 'J')],
    ['userName ew "@example.com"', cmp('ew', 'username', '@example.com')],
    ['title pr', pr('title')],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', cmp('gt', path('meta', 'lastmodified'), '2011-05-13T04:42:34Z')],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', cmp('ge', path('meta', 'lastmodified'), '2011-05-13T04:42:34Z')],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', cmp('lt', path('meta', 'lastmodified'), '2011-05-13T04:42:34Z')],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', cmp('le', path('meta', 'lastmodified'), '2011-05-13T04:42:34Z')],
  ])('%s', (input, expected) => {
    expect(parseFilter(input)).toEqual(expected);
  });

  it.each([
    ['operators and keywords are case-insensitive', 'userName EQ "x" AND title Pr OR NOT (active Eq TRUE)', or(and(cmp('eq', 'username', 'x'), pr('title')), not(cmp('eq', 'active', true)))],
    ['attribute names are lower-cased', 'USERNAME eq "Keep Case"', cmp('eq', 'username', 'Keep Case')],
    ['extra whitespace and tabs are tolerated', '  userName \t eq   "x"  ', cmp('eq', 'username', 'x')],
    ['no space before a string', 'userName eq"x"', cmp('eq', 'username', 'x')],
  ])('%s', (_name, input, expected) => {
    expect(parseFilter(input)).toEqual(expected);
  });
});

describe('parseFilter: values', () => {
  it.each<[string, FilterValue]>([
    ['"plain"', 'plain'],
    ['"with \\"quotes\\""', 'with "quotes"'],
    ['"back\\\\slash"', 'back\\slash'],
    ['"caf\\u00e9"', 'café'],
    ['"tab\\there"', 'tab\there'],
    ['"slash\\/"', 'slash/'],
    ['"café literal"', 'café literal'],
    ['""', ''],
    ['42', 42],
    ['-1.5', -1.5],
    ['0', 0],
    ['1e3', 1000],
    ['2.5E-1', 0.25],
    ['true', true],
    ['FALSE', false],
    ['null', null],
    ['Null', null],
  ])('userName eq %s', (literal, expected) => {
    expect(parseFilter(`userName eq ${literal}`)).toEqual(cmp('eq', 'username', expected));
  });

  it('keeps parentheses and brackets inside strings', () => {
    expect(parseFilter('displayName eq "a (b) [c] and or not"')).toEqual(cmp('eq', 'displayname', 'a (b) [c] and or not'));
  });
});

describe('parseFilter: precedence and grouping (not > and > or)', () => {
  const a = cmp('eq', 'a', 1);
  const b = cmp('eq', 'b', 2);
  const c = cmp('eq', 'c', 3);
  it.each([
    ['a eq 1 or b eq 2 and c eq 3', or(a, and(b, c))],
    ['a eq 1 and b eq 2 or c eq 3', or(and(a, b), c)],
    ['(a eq 1 or b eq 2) and c eq 3', and(or(a, b), c)],
    ['a eq 1 and (b eq 2 or c eq 3)', and(a, or(b, c))],
    ['a eq 1 and b eq 2 and c eq 3', and(and(a, b), c)],
    ['a eq 1 or b eq 2 or c eq 3', or(or(a, b), c)],
    ['not (a eq 1) and b eq 2', and(not(a), b)],
    ['not (a eq 1 or b eq 2)', not(or(a, b))],
    ['b eq 2 or not (a eq 1) and c eq 3', or(b, and(not(a), c))],
    ['((a eq 1))', a],
    ['not (not (a eq 1))', not(not(a))],
    ['not(a eq 1)', not(a)],
  ])('%s', (input, expected) => {
    expect(parseFilter(input)).toEqual(expected);
  });
});

describe('parseFilter: value paths, sub-attributes and URNs', () => {
  it.each([
    ['emails[type eq "work" and value co "@example.com"]', vp('emails', and(cmp('eq', 'type', 'work'), cmp('co', 'value', '@example.com')))],
    ['members[value eq "2819c223"]', vp('members', cmp('eq', 'value', '2819c223'))],
    ['emails[not (type eq "work")]', vp('emails', not(cmp('eq', 'type', 'work')))],
    ['emails[type eq "work" or (primary eq true and value pr)]', vp('emails', or(cmp('eq', 'type', 'work'), and(cmp('eq', 'primary', true), pr('value'))))],
    ['emails[type eq "work"] and userName sw "a"', and(vp('emails', cmp('eq', 'type', 'work')), cmp('sw', 'username', 'a'))],
    ['userName eq "x" or emails[value ew ".org"]', or(cmp('eq', 'username', 'x'), vp('emails', cmp('ew', 'value', '.org')))],
    ['name.givenName eq "Barbara"', cmp('eq', path('name', 'givenname'), 'Barbara')],
    ['emails.value co "@"', cmp('co', path('emails', 'value'), '@')],
    ['members.$ref pr', pr(path('members', '$ref'))],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"', cmp('eq', path('username', null, CORE_USER), 'x')],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"', cmp('eq', path('employeenumber', null, ENTERPRISE), '701984')],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"', cmp('eq', path('manager', 'value', ENTERPRISE), 'm1')],
    ['URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:DEPARTMENT pr', pr(path('department', null, ENTERPRISE))],
  ])('%s', (input, expected) => {
    expect(parseFilter(input)).toEqual(expected);
  });

  // Entra's configurable matching attribute (NOTES §1.1 item 3) and the form its docs once printed.
  it.each([
    ['emails[type eq "work"].value eq "user@contoso.com"', vp('emails', and(cmp('eq', 'type', 'work'), cmp('eq', 'value', 'user@contoso.com')))],
    ['emails[type eq "work"] eq "user@contoso.com"', vp('emails', and(cmp('eq', 'type', 'work'), cmp('eq', 'value', 'user@contoso.com')))],
    ['emails[type eq "work"].value pr', vp('emails', and(cmp('eq', 'type', 'work'), pr('value')))],
  ])('Entra matching form %s', (input, expected) => {
    expect(parseFilter(input)).toEqual(expected);
  });
});

describe('parseFilter: malformed input is invalidFilter with a helpful detail', () => {
  it.each([
    '',
    '   ',
    'userName',
    'userName eq',
    'userName eq "x" and',
    'userName eq "x" or',
    'and userName eq "x"',
    'userName eq "x" userName eq "y"',
    '(userName eq "x"',
    'userName eq "x")',
    '((userName eq "x")',
    'userName eq "x" and (title eq "y"))',
    'userName xx "x"',
    'userName = "x"',
    'userName eq x',
    'userName eq tru',
    'userName eq "x',
    'userName eq "\\q"',
    'userName eq "\\u12"',
    'userName eq "a\tb"',
    'userName eq \'x\'',
    'userName eq 01',
    'userName eq 1.',
    'userName eq -',
    'userName eq ""x',
    'userName pr "x"',
    'emails[type eq "work"',
    'emails type eq "work"]',
    'emails[]',
    'emails[type eq "work"]]',
    'emails[type[value eq "x"] pr]',
    'emails[urn:x:y:type eq "w"]',
    'emails[name.x eq "w"]',
    'name.givenName[type eq "a"]',
    'not userName eq "x"',
    'not (userName eq "x"',
    'userName gt true',
    'userName lt null',
    'userName ge false',
    'userName co 5',
    'userName sw true',
    'userName ew null',
    '1userName eq "x"',
    'user..name eq "x"',
    'name.given.family eq "x"',
    'urn: eq "x"',
    ':userName eq "x"',
    'userName eq "x" & title eq "y"',
    '{"userName":"x"}',
    'userName eq "x" not (title pr)',
    'emails[type eq "work"].value',
    'emails[type eq "work"]. value eq "x"',
    '()',
    'userName eq "x" ()',
  ])('%j', (input) => {
    const error = scimErrorOf(() => parseFilter(input));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toMatch(/^Invalid filter: .{10,}/);
  });

  it('points at what went wrong', () => {
    expect(scimErrorOf(() => parseFilter('userName xx "a"')).detail).toContain('expected an operator');
    expect(scimErrorOf(() => parseFilter('userName xx "a"')).detail).toContain('position 10');
    expect(scimErrorOf(() => parseFilter('userName eq "\\q"')).detail).toContain('invalid escape');
    expect(scimErrorOf(() => parseFilter('(userName eq "x"')).detail).toContain('expected ")"');
    expect(scimErrorOf(() => parseFilter('not userName eq "x"')).detail).toContain('parenthesised');
  });

  it('refuses non-string input', () => {
    expect(scimErrorOf(() => parseFilter(42 as unknown as string)).scimType).toBe('invalidFilter');
  });
});

describe('parseFilter: hostile input is refused fast', () => {
  it.each([
    ['a huge string value', `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`, 'longer than'],
    ['a huge attribute name', `${'a'.repeat(MAX_FILTER_LENGTH + 1)} pr`, 'longer than'],
    ['deep parentheses', `${'('.repeat(1000)}userName pr${')'.repeat(1000)}`, 'nested deeper'],
    ['deep not', `${'not ('.repeat(600)}userName pr${')'.repeat(600)}`, 'nested deeper'],
    ['an unterminated long string', `userName eq "${'\\"'.repeat(2000)}`, 'unterminated'],
  ])('%s', (_name, input, detail) => {
    const started = performance.now();
    const error = scimErrorOf(() => parseFilter(input));
    expect(performance.now() - started).toBeLessThan(200);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toContain(detail);
  });

  it(`accepts exactly ${MAX_FILTER_DEPTH} levels of nesting`, () => {
    const ok = `${'('.repeat(MAX_FILTER_DEPTH)}userName pr${')'.repeat(MAX_FILTER_DEPTH)}`;
    expect(parseFilter(ok)).toEqual(pr('username'));
    const tooDeep = `(${ok})`;
    expect(scimErrorOf(() => parseFilter(tooDeep)).detail).toContain('nested deeper');
  });

  it('parses a long flat chain quickly', () => {
    const input = Array.from({ length: 180 }, (_, i) => `userName eq "u${i}"`).join(' or ');
    expect(input.length).toBeLessThan(MAX_FILTER_LENGTH);
    const started = performance.now();
    const filter = parseFilter(input);
    expect(performance.now() - started).toBeLessThan(100);
    expect(filter.kind).toBe('or');
  });
});

describe('parseAttrPath (PATCH paths)', () => {
  it.each([
    ['active', { path: path('active'), valueFilter: null, subAttribute: null }],
    ['name.givenName', { path: path('name', 'givenname'), valueFilter: null, subAttribute: null }],
    ['members[value eq "2819c223-7f76-453a-919d-413861904646"]', { path: path('members'), valueFilter: cmp('eq', 'value', '2819c223-7f76-453a-919d-413861904646'), subAttribute: null }],
    ['emails[type eq "work"].value', { path: path('emails'), valueFilter: cmp('eq', 'type', 'work'), subAttribute: 'value' }],
    ['addresses[type eq "work"].formatted', { path: path('addresses'), valueFilter: cmp('eq', 'type', 'work'), subAttribute: 'formatted' }],
    ['emails[type eq "work" and primary eq true].Value', { path: path('emails'), valueFilter: and(cmp('eq', 'type', 'work'), cmp('eq', 'primary', true)), subAttribute: 'value' }],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', { path: path('employeenumber', null, ENTERPRISE), valueFilter: null, subAttribute: null }],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value', { path: path('manager', 'value', ENTERPRISE), valueFilter: null, subAttribute: null }],
    ['urn:ietf:params:scim:schemas:core:2.0:User:name.familyName', { path: path('name', 'familyname', CORE_USER), valueFilter: null, subAttribute: null }],
    ['  displayName  ', { path: path('displayname'), valueFilter: null, subAttribute: null }],
  ])('%s', (input, expected) => {
    expect(parseAttrPath(input)).toEqual(expected);
  });

  it.each([
    '',
    'emails[',
    'emails[type eq]',
    'emails[type eq "w"].',
    'emails[type eq "w"] eq "x"',
    'emails[type eq "w"].value.x',
    'name.givenName[type eq "x"]',
    'display name',
    'name..givenName',
    '"active"',
    'active eq true',
    'emails[type eq "w"][value pr]',
    'emails[]',
    `a${'b'.repeat(MAX_FILTER_LENGTH)}`,
  ])('%j is invalidPath', (input) => {
    const error = scimErrorOf(() => parseAttrPath(input));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidPath');
  });
});
