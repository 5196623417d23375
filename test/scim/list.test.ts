import { describe, expect, it } from 'vitest';
import { DEFAULT_LIST_COUNT, MAX_LIST_COUNT, listResponse, parseListQuery, project, renderGroup, renderUser } from '../../src/scim/index.js';
import type { ScimListQuery } from '../../src/scim/index.js';
import { scimErrorOf } from './helpers.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const META = { created: new Date('2024-01-02T03:04:05Z'), lastModified: new Date('2024-02-03T04:05:06Z'), version: '1', location: 'https://sp.example/Users/u-1' };


const defaults: ScimListQuery = { filter: null, startIndex: 1, count: DEFAULT_LIST_COUNT, attributes: null, excludedAttributes: null };

describe('parseListQuery', () => {
  it.each<[string, Record<string, string | undefined>, Partial<ScimListQuery>]>([
    ['nothing', {}, {}],
    ["Okta's connector test", { startIndex: '1', count: '2' }, { count: 2 }],
    ["Okta's import pages", { startIndex: '101', count: '100' }, { startIndex: 101, count: 100 }],
    ['startIndex below 1 is 1 (RFC 7644 §3.4.2.4)', { startIndex: '0' }, { startIndex: 1 }],
    ['negative startIndex is 1', { startIndex: '-5' }, { startIndex: 1 }],
    ['negative count is 0', { count: '-1' }, { count: 0 }],
    ['count 0 (totalResults only)', { count: '0' }, { count: 0 }],
    [`count above ${MAX_LIST_COUNT} is lowered`, { count: '1000' }, { count: MAX_LIST_COUNT }],
    ['huge startIndex is bounded', { startIndex: '99999999999999999999999' }, { startIndex: 2_147_483_647 }],
    ['whitespace around integers', { count: ' 5 ' }, { count: 5 }],
    ['an explicit + sign', { count: '+5' }, { count: 5 }],
    ['empty values mean absent', { count: '', startIndex: '', filter: '  ', attributes: '' }, {}],
    ["Entra's aadOptscim062020 and sorting are ignored", { aadOptscim062020: '', sortBy: 'userName', sortOrder: 'descending' }, {}],
    ['parameter names are case-insensitive', { STARTINDEX: '3', Count: '4' }, { startIndex: 3, count: 4 }],
    ["Entra's group match", { excludedAttributes: 'members', filter: 'displayName eq "Group1"' }, {
      excludedAttributes: ['members'],
      filter: { kind: 'compare', op: 'eq', path: { schema: null, attribute: 'displayname', subAttribute: null }, value: 'Group1' },
    }],
    ['attribute lists are split and trimmed', { attributes: 'userName, name.familyName ,,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department' }, {
      attributes: ['userName', 'name.familyName', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'],
    }],
  ])('%s', (_name, query, expected) => {
    expect(parseListQuery(query)).toEqual({ ...defaults, ...expected });
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['count not an integer', { count: 'ten' }, 'invalidValue'],
    ['count a decimal', { count: '1.5' }, 'invalidValue'],
    ['startIndex with junk', { startIndex: '1; drop table' }, 'invalidValue'],
    ['startIndex hexadecimal', { startIndex: '0x10' }, 'invalidValue'],
    ['a bad filter', { filter: 'userName eq' }, 'invalidFilter'],
    ['a bad attribute path', { attributes: 'emails[type eq "work"]' }, 'invalidValue'],
    ['a bad excluded attribute', { excludedAttributes: 'name..x' }, 'invalidValue'],
  ])('%s -> 400 %s', (_name, query, scimType) => {
    const error = scimErrorOf(() => parseListQuery(query));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
  });
});

describe('listResponse', () => {
  it('wraps resources with integer counters and the ListResponse schema', () => {
    expect(listResponse([{ id: 'a' }], { totalResults: 3, startIndex: 2, itemsPerPage: 1 })).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 3,
      startIndex: 2,
      itemsPerPage: 1,
      Resources: [{ id: 'a' }],
    });
  });

  it("answers an empty page (Entra's Test Connection) with Resources: [] and totalResults 0", () => {
    const empty = listResponse([], { totalResults: 0, startIndex: 1, itemsPerPage: 0 });
    expect(empty.totalResults).toBe(0);
    expect(empty.Resources).toEqual([]);
    expect(JSON.parse(JSON.stringify(empty)).itemsPerPage).toBe(0);
  });
});

describe('project (RFC 7644 §3.4.2.5)', () => {
  const user = renderUser(
    'u-1',
    {
      userName: 'bjensen',
      externalId: 'ext',
      active: true,
      displayName: 'Babs',
      attributes: {
        name: { givenName: 'Barbara', familyName: 'Jensen' },
        emails: [{ value: 'b@example.com', type: 'work', primary: true }, { value: 'h@example.com', type: 'home' }],
        [ENTERPRISE]: { department: 'Tour', employeeNumber: '7' },
      },
    },
    META,
  );
  const group = renderGroup('g-1', { displayName: 'G', externalId: null, memberIds: ['u-1'] }, META);

  it.each<[string, string[] | null, string[] | null, Record<string, unknown>]>([
    ['attributes=userName keeps id and schemas', ['userName'], null, { schemas: [CORE_USER], id: 'u-1', userName: 'bjensen' }],
    ['names are case-insensitive', ['USERNAME', 'DisplayName'], null, { schemas: [CORE_USER], id: 'u-1', userName: 'bjensen', displayName: 'Babs' }],
    ['a sub-attribute of a complex attribute', ['name.familyName'], null, { schemas: [CORE_USER], id: 'u-1', name: { familyName: 'Jensen' } }],
    ['a sub-attribute of a multi-valued attribute', ['emails.value'], null, { schemas: [CORE_USER], id: 'u-1', emails: [{ value: 'b@example.com' }, { value: 'h@example.com' }] }],
    ['two sub-attributes of the same attribute', ['emails.value', 'emails.type'], null, {
      schemas: [CORE_USER],
      id: 'u-1',
      emails: [{ value: 'b@example.com', type: 'work' }, { value: 'h@example.com', type: 'home' }],
    }],
    ['an extension attribute by URN', [`${ENTERPRISE}:department`], null, { schemas: [CORE_USER, ENTERPRISE], id: 'u-1', [ENTERPRISE]: { department: 'Tour' } }],
    ['a whole extension by URN', [ENTERPRISE], null, { schemas: [CORE_USER, ENTERPRISE], id: 'u-1', [ENTERPRISE]: { department: 'Tour', employeeNumber: '7' } }],
    ['meta only when asked', ['meta.lastModified'], null, { schemas: [CORE_USER], id: 'u-1', meta: { lastModified: '2024-02-03T04:05:06.000Z' } }],
    ['unknown attributes are ignored', ['shoeSize'], null, { schemas: [CORE_USER], id: 'u-1' }],
    ['id cannot be excluded', null, ['id', 'meta', 'emails', 'name', ENTERPRISE, 'externalId', 'active', 'displayName'], { schemas: [CORE_USER], id: 'u-1', userName: 'bjensen' }],
    ['a sub-attribute can be excluded', null, ['name.givenName', 'emails.type', 'emails.primary', 'meta', ENTERPRISE, 'externalId', 'active'], {
      schemas: [CORE_USER],
      id: 'u-1',
      userName: 'bjensen',
      displayName: 'Babs',
      name: { familyName: 'Jensen' },
      emails: [{ value: 'b@example.com' }, { value: 'h@example.com' }],
    }],
    ['excluding every extension attribute drops the extension from schemas', ['userName', ENTERPRISE], [`${ENTERPRISE}:department`, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER'], {
      schemas: [CORE_USER],
      id: 'u-1',
      userName: 'bjensen',
    }],
  ])('%s', (_name, attributes, excluded, expected) => {
    expect(project(user, attributes, excluded)).toEqual(expected);
  });

  it("excludedAttributes=members on a group (Entra's group GET)", () => {
    const projected = project(group, null, ['members']);
    expect(projected.members).toBeUndefined();
    expect(projected.displayName).toBe('G');
    expect(projected.meta).toEqual(group.meta);
  });

  it('returns the resource unchanged (but copied) without parameters', () => {
    const projected = project(user, null, null);
    expect(projected).toEqual(user);
    expect(projected).not.toBe(user);
    (projected.emails as unknown[]).pop();
    expect((user.emails as unknown[]).length).toBe(2);
  });
});
