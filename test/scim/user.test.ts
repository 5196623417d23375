import { describe, expect, it } from 'vitest';
import { MAX_MULTI_VALUES, MAX_STRING_LENGTH, MAX_USERNAME_LENGTH, parseUserInput, renderUser } from '../../src/scim/index.js';
import type { ScimUserData } from '../../src/scim/index.js';
import { scimErrorOf } from './helpers.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const META = { created: new Date('2024-01-02T03:04:05Z'), lastModified: new Date('2024-02-03T04:05:06Z'), version: '7', location: 'https://sp.example/scim/v2/c1/Users/u-1' };


// NOTES §2.1: Okta's create body (OKTA-REF), with its password and empty groups.
const OKTA_CREATE = JSON.parse(`{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "test.user@okta.local",
  "name": {"givenName": "Test", "familyName": "User"},
  "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
  "displayName": "Test User",
  "locale": "en-US",
  "externalId": "00ujl29u0le5T6Aj10h7",
  "groups": [],
  "password": "1mz050nq",
  "active": true
}`) as unknown;

// NOTES §1.1 step 4: Entra's create body (ENTRA-TUT), with the readOnly meta it sends and roles: [].
const ENTRA_CREATE = JSON.parse(`{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": []
}`) as unknown;

// Older Entra payloads carried nulls (NOTES §1.2 item 11), the enterprise extension and a bare-string manager (item 8).
const ENTRA_CREATE_WITH_EXTENSION = JSON.parse(`{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "jdoe",
  "userName": "jdoe@contoso.com",
  "active": "True",
  "displayName": "John Doe",
  "title": "Engineer",
  "addresses": null,
  "phoneNumbers": null,
  "preferredLanguage": null,
  "emails": [{"primary": "true", "type": "work", "value": "jdoe@contoso.com"}],
  "meta": {"resourceType": "User"},
  "roles": [],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "department": "Retail", "costCenter": null, "manager": "mgr-id-1"}
}`) as unknown;

describe('parseUserInput: what Okta and Entra send', () => {
  it('Okta create: password and groups dropped, everything else kept', () => {
    expect(parseUserInput(OKTA_CREATE)).toEqual<ScimUserData>({
      userName: 'test.user@okta.local',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
      displayName: 'Test User',
      attributes: {
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
        locale: 'en-US',
      },
    });
  });

  it('Entra create: meta ignored, empty roles unassigned', () => {
    expect(parseUserInput(ENTRA_CREATE)).toEqual<ScimUserData>({
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      active: true,
      displayName: null,
      attributes: {
        emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      },
    });
  });

  it('Entra create with nulls, string booleans, the enterprise extension and a bare manager id', () => {
    const data = parseUserInput(ENTRA_CREATE_WITH_EXTENSION);
    expect(data.active).toBe(true);
    expect(data.attributes).toEqual({
      title: 'Engineer',
      emails: [{ primary: true, type: 'work', value: 'jdoe@contoso.com' }],
      [ENTERPRISE]: { employeeNumber: '701984', department: 'Retail', manager: { value: 'mgr-id-1' } },
    });
  });

  it('maps any attribute casing to the canonical names', () => {
    const data = parseUserInput({
      USERNAME: 'casey',
      ExternalID: 'X1',
      DisplayName: 'Casey',
      Active: false,
      NAME: { GivenName: 'Ca', FAMILYNAME: 'Sey' },
      eMails: [{ VALUE: 'c@example.com', Type: 'work', Primary: true }],
      phonenumbers: [{ value: '+1 555' }],
      x509certificates: [{ value: 'MIIC' }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user': { EmployeeNumber: '42', MANAGER: { Value: 'boss', displayName: 'ignored (readOnly)' } },
    });
    expect(data).toEqual<ScimUserData>({
      userName: 'casey',
      externalId: 'X1',
      active: false,
      displayName: 'Casey',
      attributes: {
        name: { givenName: 'Ca', familyName: 'Sey' },
        emails: [{ value: 'c@example.com', type: 'work', primary: true }],
        phoneNumbers: [{ value: '+1 555' }],
        x509Certificates: [{ value: 'MIIC' }],
        [ENTERPRISE]: { employeeNumber: '42', manager: { value: 'boss' } },
      },
    });
  });

  it.each<[unknown, boolean]>([
    [true, true],
    [false, false],
    ['true', true],
    ['False', false],
    ['TRUE', true],
    [' false ', false],
    [undefined, true],
    [null, true],
  ])('active %j -> %s', (active, expected) => {
    expect(parseUserInput({ userName: 'a', active }).active).toBe(expected);
  });

  it('ignores readOnly and writeOnly attributes: id, meta, groups, password', () => {
    const data = parseUserInput({ userName: 'a', id: 'client-id', meta: { version: 'W/"1"' }, groups: [{ value: 'g' }], password: 'secret', Password: 'x' });
    expect(data).toEqual<ScimUserData>({ userName: 'a', externalId: null, active: true, displayName: null, attributes: {} });
    expect(JSON.stringify(data)).not.toContain('secret');
  });

  it('tolerates unknown schema URIs and drops attributes of unknown schemas', () => {
    const data = parseUserInput({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:example:custom:2.0:User', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User'],
      userName: 'a',
      favouriteColour: 'blue',
      'urn:example:custom:2.0:User': { shoeSize: 44 },
      'urn:example:custom:2.0:User:shoeSize': 44,
      name: { givenName: 'A', nickname: 'dropped: not a sub-attribute of name' },
    });
    expect(data.attributes).toEqual({ name: { givenName: 'A' } });
  });

  it('accepts dotted and URN-qualified keys in a body (as Entra sends them in PATCH values)', () => {
    const data = parseUserInput({
      'urn:ietf:params:scim:schemas:core:2.0:User:userName': 'qualified',
      'name.givenName': 'Given',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'Retail',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value': 'boss',
    });
    expect(data.userName).toBe('qualified');
    expect(data.attributes).toEqual({ name: { givenName: 'Given' }, [ENTERPRISE]: { department: 'Retail', manager: { value: 'boss' } } });
  });

  it('trims userName but keeps its case; null means unassigned; "" is unassigned', () => {
    const data = parseUserInput({ userName: '  Alice@Example.COM ', displayName: null, title: '', externalId: null, nickName: 'Al' });
    expect(data).toEqual<ScimUserData>({ userName: 'Alice@Example.COM', externalId: null, active: true, displayName: null, attributes: { nickName: 'Al' } });
  });

  it('keeps at most one primary value (the first)', () => {
    const data = parseUserInput({ userName: 'a', emails: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: 'True' }] });
    expect(data.attributes.emails).toEqual([
      { value: 'a@x', primary: true },
      { value: 'b@x', primary: false },
    ]);
  });

  it('accepts a single object for a multi-valued attribute and numbers for strings', () => {
    const data = parseUserInput({ userName: 'a', emails: { value: 'a@x' }, [ENTERPRISE]: { employeeNumber: 12345 } });
    expect(data.attributes).toEqual({ emails: [{ value: 'a@x' }], [ENTERPRISE]: { employeeNumber: '12345' } });
  });
});

describe('parseUserInput: bad input is a 400 with a clear detail', () => {
  it.each<[string, unknown, string, string]>([
    ['not an object (null)', null, 'invalidSyntax', 'JSON object'],
    ['not an object (array)', [{ userName: 'a' }], 'invalidSyntax', 'JSON object'],
    ['not an object (string)', 'userName=a', 'invalidSyntax', 'JSON object'],
    ['no userName', { displayName: 'x' }, 'invalidValue', 'userName is required'],
    ['empty userName', { userName: '' }, 'invalidValue', 'userName is required'],
    ['blank userName', { userName: '   ' }, 'invalidValue', 'userName is required'],
    ['userName not a string', { userName: 42 }, 'invalidValue', 'userName must be a string'],
    ['userName too long', { userName: 'a'.repeat(MAX_USERNAME_LENGTH + 1) }, 'invalidValue', 'longer than'],
    ['active not a boolean', { userName: 'a', active: 'yes' }, 'invalidValue', 'active must be true or false'],
    ['active a number', { userName: 'a', active: 1 }, 'invalidValue', 'active must be true or false'],
    ['string too long', { userName: 'a', title: 'x'.repeat(MAX_STRING_LENGTH + 1) }, 'invalidValue', 'title is longer than'],
    ['name not an object', { userName: 'a', name: ['x', 'y'] }, 'invalidValue', 'name is single-valued'],
    ['name a boolean', { userName: 'a', name: true }, 'invalidValue', 'name must be an object'],
    ['email element not an object', { userName: 'a', emails: [true] }, 'invalidValue', 'emails[0] must be an object'],
    ['email value not a string', { userName: 'a', emails: [{ value: { nested: 1 } }] }, 'invalidValue', 'emails[0].value must be a string'],
    ['primary not a boolean', { userName: 'a', emails: [{ value: 'a@x', primary: 'yes' }] }, 'invalidValue', 'emails[0].primary'],
    ['too many emails', { userName: 'a', emails: Array.from({ length: MAX_MULTI_VALUES + 1 }, (_, i) => ({ value: `${i}@x` })) }, 'invalidValue', 'more than'],
    ['enterprise extension not an object', { userName: 'a', [ENTERPRISE]: 'Retail' }, 'invalidValue', 'must be an object'],
    ['too many keys', Object.fromEntries([['userName', 'a'], ...Array.from({ length: 600 }, (_, i) => [`k${i}`, i])]), 'invalidValue', 'more than'],
  ])('%s', (_name, body, scimType, detail) => {
    const error = scimErrorOf(() => parseUserInput(body));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
    expect(error.detail).toContain(detail);
  });
});

describe('renderUser', () => {
  const data = parseUserInput(ENTRA_CREATE_WITH_EXTENSION);

  it('renders the full SCIM User with meta and the enterprise extension', () => {
    expect(renderUser('u-1', data, META)).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      id: 'u-1',
      externalId: 'jdoe',
      userName: 'jdoe@contoso.com',
      displayName: 'John Doe',
      title: 'Engineer',
      emails: [{ primary: true, type: 'work', value: 'jdoe@contoso.com' }],
      active: true,
      [ENTERPRISE]: { employeeNumber: '701984', department: 'Retail', manager: { value: 'mgr-id-1' } },
      meta: {
        resourceType: 'User',
        created: '2024-01-02T03:04:05.000Z',
        lastModified: '2024-02-03T04:05:06.000Z',
        version: 'W/"7"',
        location: 'https://sp.example/scim/v2/c1/Users/u-1',
      },
    });
  });

  it('omits null fields and the extension schema when there is no extension data; never a password', () => {
    const rendered = renderUser('u-2', parseUserInput(OKTA_CREATE), META);
    expect(rendered.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
    expect(JSON.stringify(rendered)).not.toContain('password');
    expect(JSON.stringify(rendered)).not.toContain('1mz050nq');
    const bare = renderUser('u-3', { userName: 'b', externalId: null, active: false, displayName: null, attributes: {} }, META);
    expect(Object.keys(bare)).toEqual(['schemas', 'id', 'userName', 'active', 'meta']);
    expect(bare.active).toBe(false);
  });

  it('renders groups when given, and keeps an already-formed ETag', () => {
    const rendered = renderUser('u-1', data, { ...META, version: 'W/"abc"' }, { groups: [{ value: 'g-1', display: 'Engineering' }] });
    expect(rendered.groups).toEqual([{ value: 'g-1', display: 'Engineering', type: 'direct' }]);
    expect((rendered.meta as Record<string, unknown>).version).toBe('W/"abc"');
  });

  it('returns fresh objects: mutating the output does not touch the data', () => {
    const rendered = renderUser('u-1', data, META);
    (rendered.emails as Record<string, unknown>[])[0]!.value = 'changed';
    expect((data.attributes.emails as Record<string, unknown>[])[0]!.value).toBe('jdoe@contoso.com');
  });

  it('round-trips: parsing a rendered user (Okta PUTs it back with id and meta) gives the same data', () => {
    for (const body of [OKTA_CREATE, ENTRA_CREATE, ENTRA_CREATE_WITH_EXTENSION]) {
      const parsed = parseUserInput(body);
      expect(parseUserInput(renderUser('u-9', parsed, META, { groups: [{ value: 'g' }] }))).toEqual(parsed);
    }
  });
});
