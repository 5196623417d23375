import { describe, expect, it } from 'vitest';
import { matchesFilter, parseFilter, renderGroup, renderUser } from '../../src/scim/index.js';
import type { ScimUserData } from '../../src/scim/index.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const META = { created: new Date('2010-01-23T04:56:22Z'), lastModified: new Date('2011-05-13T04:42:34Z'), version: '3', location: 'https://sp.example/scim/v2/c1/Users/id-1' };

const babs: ScimUserData = {
  userName: 'BJensen@Example.com',
  externalId: 'ext-AbC',
  active: true,
  displayName: 'Babs Jensen',
  attributes: {
    name: { familyName: 'Jensen', givenName: 'Barbara' },
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'mgr-1' } },
  },
};
const user = renderUser('id-1', babs, META);
const inactive = renderUser('id-2', { userName: 'gone', externalId: null, active: false, displayName: null, attributes: {} }, META);
const group = renderGroup('g-1', { displayName: 'Engineering', externalId: null, memberIds: ['u1', 'u2'] }, { ...META, location: 'https://sp.example/g-1' });
const emptyGroup = renderGroup('g-2', { displayName: 'Empty', externalId: 'E', memberIds: [] }, { ...META, location: 'https://sp.example/g-2' });

describe('matchesFilter over a rendered user', () => {
  it.each<[string, boolean]>([
    // caseExact false: userName, displayName, emails.value, name.*
    ['userName eq "bjensen@example.com"', true],
    ['USERNAME eq "BJENSEN@EXAMPLE.COM"', true],
    ['userName eq "bjensen"', false],
    ['displayName co "JENSEN"', true],
    ['name.familyName sw "jen"', true],
    ['name.givenName ew "RA"', true],
    // caseExact true: id, externalId
    ['id eq "id-1"', true],
    ['id eq "ID-1"', false],
    ['externalId eq "ext-AbC"', true],
    ['externalId eq "ext-abc"', false],
    ['externalId co "AbC"', true],
    ['externalId co "abc"', false],
    // multi-valued: any element; `emails` alone means emails.value
    ['emails eq "babs@jensen.org"', true],
    ['emails co "JENSEN.ORG"', true],
    ['emails.value ew "@example.com"', true],
    ['emails.type eq "other"', false],
    ['emails.primary eq true', true],
    ['emails[type eq "work" and value co "example"]', true],
    ['emails[type eq "home" and value co "example"]', false],
    ['emails[type eq "work"].value eq "BJENSEN@example.com"', true],
    ['emails[type eq "home"].value eq "bjensen@example.com"', false],
    ['emails[not (type eq "work")]', true],
    ['emails[primary eq true and type eq "home"]', false],
    // pr
    ['title pr', false],
    ['name.familyName pr', true],
    ['name.middleName pr', false],
    ['name pr', true],
    ['emails pr', true],
    ['emails.display pr', false],
    ['phoneNumbers pr', false],
    ['active pr', true],
    // null and ne
    ['title eq null', true],
    ['title ne null', false],
    ['displayName ne null', true],
    ['title ne "Boss"', true],
    ['userName ne "bjensen@example.com"', false],
    ['emails.type ne "work"', true],
    ['emails.type ne "other"', true],
    ['emails ne "x@y.z"', true],
    // booleans
    ['active eq true', true],
    ['active eq false', false],
    ['active ne false', true],
    ['active eq "true"', true],
    // ordering: strings (case-folded) and dates
    ['userName gt "a"', true],
    ['userName lt "A"', false],
    ['userName ge "BJENSEN@EXAMPLE.COM"', true],
    ['userName le "bjensen@example.com"', true],
    ['meta.lastModified gt "2011-05-13T04:42:33Z"', true],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', true],
    ['meta.lastModified gt "2011-05-13T04:42:34.000Z"', false],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', false],
    ['meta.lastModified le "2011-05-13T06:42:34+02:00"', true],
    ['meta.created lt "2011-01-01T00:00:00Z"', true],
    ['meta.resourceType eq "User"', true],
    ['meta.resourceType eq "user"', false],
    // enterprise extension, qualified and (unambiguous) unqualified
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"', true],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT co "tour"', true],
    ['employeeNumber eq "701984"', true],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "mgr-1"', true],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "mgr-1"', true],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter pr', false],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"', true],
    ['urn:example:unknown:2.0:User:userName eq "bjensen@example.com"', false],
    // logic
    ['not (userName sw "b")', false],
    ['userName eq "x" or emails co "jensen.org"', true],
    ['userName eq "x" or emails co "nowhere" and active eq true', false],
    ['(userName eq "x" or emails co "jensen.org") and active eq true', true],
    // unknown attributes select nothing
    ['foo eq "x"', false],
    ['foo pr', false],
    ['foo ne "x"', true],
    // numbers against strings compare as text
    ['employeeNumber eq 701984', true],
  ])('%s -> %s', (filter, expected) => {
    expect(matchesFilter(user, parseFilter(filter))).toBe(expected);
  });

  it('finds deactivated users too (Entra validator: disabled users stay visible)', () => {
    expect(matchesFilter(inactive, parseFilter('userName eq "GONE"'))).toBe(true);
    expect(matchesFilter(inactive, parseFilter('active eq false'))).toBe(true);
  });
});

describe('matchesFilter over a rendered group', () => {
  it.each<[Record<string, unknown>, string, boolean]>([
    [group, 'displayName eq "engineering"', true],
    [group, 'members eq "u1"', true],
    [group, 'members eq "U1"', false],
    [group, 'members.value eq "u2"', true],
    [group, 'members[value eq "u2"]', true],
    [group, 'members[value eq "u3"]', false],
    [group, 'members pr', true],
    [emptyGroup, 'members pr', false],
    [emptyGroup, 'externalId eq "E"', true],
    [emptyGroup, 'externalId eq "e"', false],
    [group, 'meta.resourceType eq "Group"', true],
    // A user-only attribute means nothing on a group.
    [group, 'userName pr', false],
  ])('%#: %s', (resource, filter, expected) => {
    expect(matchesFilter(resource, parseFilter(filter))).toBe(expected);
  });
});
