import { describe, expect, it } from 'vitest';
import { ScimError, applyUserPatch } from '../../src/scim/index.js';
import type { ScimUserData } from '../../src/scim/index.js';
import { scimErrorOf, patchBody as body, PATCH_OP } from './helpers.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';



function base(): ScimUserData {
  return {
    userName: 'jdoe@contoso.com',
    externalId: 'jdoe',
    active: true,
    displayName: 'John Doe',
    attributes: {
      name: { givenName: 'John', familyName: 'Doe', formatted: 'John Doe' },
      emails: [
        { value: 'jdoe@contoso.com', type: 'work', primary: true },
        { value: 'john@home.example', type: 'home' },
      ],
      [ENTERPRISE]: { employeeNumber: '1', department: 'Sales' },
    },
  };
}

describe('applyUserPatch: every shape in NOTES', () => {
  it('Entra without the flag: {"op":"Replace","path":"active","value":"False"} (§1.2 item 2)', () => {
    const next = applyUserPatch(base(), body('{"op":"Replace","path":"active","value":"False"}'));
    expect(next.active).toBe(false);
    expect(applyUserPatch(next, body('{"op":"Replace","path":"active","value":"True"}')).active).toBe(true);
  });

  it('Entra with the flag: "value": false', () => {
    expect(applyUserPatch(base(), body('{"op":"replace","path":"active","value":false}')).active).toBe(false);
  });

  it('Okta deactivate: {"op":"replace","value":{"active":false}} (§2.1)', () => {
    const next = applyUserPatch(base(), body('{"op":"replace","value":{"active":false}}'));
    expect(next).toEqual({ ...base(), active: false });
  });

  it('Entra with the flag: one replace, no path, dotted and URN-qualified keys (§1.2 item 3)', () => {
    const next = applyUserPatch(
      base(),
      body('{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}'),
    );
    expect(next.displayName).toBe('Bjfe');
    expect(next.attributes.name).toEqual({ givenName: 'Kkom', familyName: 'Unua', formatted: 'John Doe' });
    expect(next.attributes[ENTERPRISE]).toEqual({ employeeNumber: 'Aklq', department: 'Sales' });
  });

  it('replace through a value filter: {"op":"Replace","path":"emails[type eq \\"work\\"].value","value":"..."} (§1.2 item 6)', () => {
    const next = applyUserPatch(base(), body('{"op":"Replace","path":"emails[type eq \\"work\\"].value","value":"john.doe@contoso.com"}'));
    expect(next.attributes.emails).toEqual([
      { value: 'john.doe@contoso.com', type: 'work', primary: true },
      { value: 'john@home.example', type: 'home' },
    ]);
  });

  it('replace through a value filter creates the entry when there is none (no noTarget: scim-for-keycloak#73)', () => {
    const start = { ...base(), attributes: {} };
    const next = applyUserPatch(start, body('{"op":"Replace","path":"emails[type eq \\"work\\"].value","value":"new@contoso.com"}'));
    expect(next.attributes.emails).toEqual([{ type: 'work', value: 'new@contoso.com' }]);
  });

  it('add through a value filter creates the entry: {"op":"Add","path":"addresses[type eq \\"work\\"].formatted","value":"18/2111"}', () => {
    const next = applyUserPatch(base(), body('{"op":"Add","path":"addresses[type eq \\"work\\"].formatted","value":"18/2111"}'));
    expect(next.attributes.addresses).toEqual([{ type: 'work', formatted: '18/2111' }]);
    const again = applyUserPatch(next, body('{"op":"Add","path":"addresses[type eq \\"work\\"].formatted","value":"19/2111"}'));
    expect(again.attributes.addresses).toEqual([{ type: 'work', formatted: '19/2111' }]);
  });

  it('enterprise attribute by full URN path: {"op":"Add","path":"urn:...:enterprise:2.0:User:department","value":"Retail"} (§1.2 item 7)', () => {
    const next = applyUserPatch(base(), body('{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Retail"}'));
    expect(next.attributes[ENTERPRISE]).toEqual({ employeeNumber: '1', department: 'Retail' });
    const fresh = applyUserPatch({ ...base(), attributes: {} }, body('{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Aklq"}'));
    expect(fresh.attributes[ENTERPRISE]).toEqual({ employeeNumber: 'Aklq' });
  });

  it('manager as a bare string id (§1.2 item 8) is stored in the RFC complex form', () => {
    const next = applyUserPatch(base(), body('{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"mgr-42"}'));
    expect(next.attributes[ENTERPRISE]).toEqual({ employeeNumber: '1', department: 'Sales', manager: { value: 'mgr-42' } });
  });

  it('manager as Entra docs Example 5: {"op":"Add","path":"manager","value":[{"$ref":...,"value":...}]}', () => {
    const withOld = applyUserPatch(base(), body('{"op":"Add","path":"manager","value":[{"$ref":"https://old/Users/m1","value":"m1"}]}'));
    expect((withOld.attributes[ENTERPRISE] as Record<string, unknown>).manager).toEqual({ $ref: 'https://old/Users/m1', value: 'm1' });
    // A new manager replaces the whole reference (no stale $ref left behind).
    const next = applyUserPatch(withOld, body('{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m2"}}'));
    expect((next.attributes[ENTERPRISE] as Record<string, unknown>).manager).toEqual({ value: 'm2' });
    const removed = applyUserPatch(next, body('{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}'));
    expect(removed.attributes[ENTERPRISE]).toEqual({ employeeNumber: '1', department: 'Sales' });
  });

  it('single-valued attribute value sent plainly: "value":"User X" (§1.2 item 10)', () => {
    expect(applyUserPatch(base(), body('{"op":"Replace","path":"displayName","value":"User X"}')).displayName).toBe('User X');
  });

  it('a PATCH that sends the user\'s password (Okta password sync) is accepted and the password dropped', () => {
    const next = applyUserPatch(base(), body('{"op":"replace","value":{"password":"s3cret!"}}', '{"op":"replace","path":"password","value":"s3cret!"}'));
    expect(next).toEqual(base());
  });
});

describe('applyUserPatch: RFC 7644 §3.5.2 semantics', () => {
  it.each<[string, string, (data: ScimUserData) => unknown, unknown]>([
    ['remove by value filter', '{"op":"remove","path":"emails[type eq \\"home\\"]"}', (d) => d.attributes.emails, [{ value: 'jdoe@contoso.com', type: 'work', primary: true }]],
    ['remove a sub-attribute', '{"op":"remove","path":"name.formatted"}', (d) => d.attributes.name, { givenName: 'John', familyName: 'Doe' }],
    ['remove a whole attribute', '{"op":"remove","path":"emails"}', (d) => d.attributes.emails, undefined],
    ['remove through a value filter and sub-attribute', '{"op":"remove","path":"emails[type eq \\"work\\"].primary"}', (d) => d.attributes.emails, [{ value: 'jdoe@contoso.com', type: 'work' }, { value: 'john@home.example', type: 'home' }]],
    ['remove with a filter matching nothing is a no-op', '{"op":"remove","path":"emails[type eq \\"other\\"]"}', (d) => d.attributes.emails, base().attributes.emails],
    ['remove the last enterprise attribute drops the extension', '{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}', (d) => d.attributes[ENTERPRISE], undefined],
    ['remove externalId', '{"op":"remove","path":"externalId"}', (d) => d.externalId, null],
    ['replace a complex attribute merges sub-attributes (§3.5.2.3)', '{"op":"replace","path":"name","value":{"givenName":"Jon"}}', (d) => d.attributes.name, { givenName: 'Jon', familyName: 'Doe', formatted: 'John Doe' }],
    ['replace a multi-valued attribute replaces all values', '{"op":"replace","path":"emails","value":[{"value":"only@x.example"}]}', (d) => d.attributes.emails, [{ value: 'only@x.example' }]],
    ['replace a multi-valued attribute with [] unassigns it', '{"op":"replace","path":"emails","value":[]}', (d) => d.attributes.emails, undefined],
    ['add to a multi-valued attribute appends, without duplicates', '{"op":"add","path":"emails","value":[{"value":"john@home.example","type":"home"},{"value":"new@x.example","type":"other"}]}', (d) => (d.attributes.emails as unknown[]).length, 3],
    ['replace a matched element entirely (§3.5.2.3)', '{"op":"replace","path":"emails[type eq \\"home\\"]","value":{"value":"h@x.example","type":"home"}}', (d) => d.attributes.emails, [{ value: 'jdoe@contoso.com', type: 'work', primary: true }, { value: 'h@x.example', type: 'home' }]],
    ['add to a matched element merges', '{"op":"add","path":"emails[type eq \\"home\\"]","value":{"display":"Home"}}', (d) => (d.attributes.emails as unknown[])[1], { value: 'john@home.example', type: 'home', display: 'Home' }],
    ['a whole-extension add merges', '{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"division":"EMEA"}}', (d) => d.attributes[ENTERPRISE], { employeeNumber: '1', department: 'Sales', division: 'EMEA' }],
    ['a whole-extension value under a lower-case URN key', '{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"Department":"Ops"}}}', (d) => d.attributes[ENTERPRISE], { employeeNumber: '1', department: 'Ops' }],
    ['a core-URN-qualified path', '{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:userName","value":"renamed@contoso.com"}', (d) => d.userName, 'renamed@contoso.com'],
    ['unqualified enterprise attribute', '{"op":"replace","path":"costCenter","value":"CC-9"}', (d) => (d.attributes[ENTERPRISE] as Record<string, unknown>).costCenter, 'CC-9'],
    ['null value unassigns', '{"op":"replace","path":"displayName","value":null}', (d) => d.displayName, null],
    ['attribute names in paths are case-insensitive', '{"op":"replace","path":"NAME.GIVENNAME","value":"J"}', (d) => (d.attributes.name as Record<string, unknown>).givenName, 'J'],
    ['emails.type without a filter applies to every element', '{"op":"replace","path":"emails.type","value":"other"}', (d) => (d.attributes.emails as Record<string, unknown>[]).map((e) => e.type), ['other', 'other']],
    ['emails.value with no emails yet creates one', '{"op":"add","path":"phoneNumbers.value","value":"+1 555 0199"}', (d) => d.attributes.phoneNumbers, [{ value: '+1 555 0199' }]],
    ['userName is trimmed', '{"op":"replace","path":"userName","value":"  spaced@contoso.com "}', (d) => d.userName, 'spaced@contoso.com'],
  ])('%s', (_name, operation, pick, expected) => {
    expect(pick(applyUserPatch(base(), body(operation)))).toEqual(expected);
  });

  it('a new primary value takes primary from the others (RFC 7643 §2.4)', () => {
    const added = applyUserPatch(base(), body('{"op":"add","path":"emails","value":[{"value":"new@x.example","type":"other","primary":true}]}'));
    expect((added.attributes.emails as Record<string, unknown>[]).map((e) => e.primary)).toEqual([false, undefined, true]);
    const viaFilter = applyUserPatch(base(), body('{"op":"Replace","path":"emails[type eq \\"home\\"].primary","value":"True"}'));
    expect((viaFilter.attributes.emails as Record<string, unknown>[]).map((e) => e.primary)).toEqual([false, true]);
  });

  it('several operations apply in order', () => {
    const next = applyUserPatch(
      base(),
      body(
        '{"op":"Add","path":"title","value":"CTO"}',
        '{"op":"Replace","path":"title","value":"CEO"}',
        '{"op":"Remove","path":"emails[type eq \\"home\\"]"}',
        '{"op":"Add","path":"phoneNumbers[type eq \\"mobile\\"].value","value":"+1 555 0100"}',
      ),
    );
    expect(next.attributes.title).toBe('CEO');
    expect(next.attributes.emails).toEqual([{ value: 'jdoe@contoso.com', type: 'work', primary: true }]);
    expect(next.attributes.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
  });

  it('tolerates a missing schemas member, "operations" casing and any op casing', () => {
    const next = applyUserPatch(base(), { operations: [{ OP: 'REPLACE', Path: 'title', Value: 'x' }] });
    expect(next.attributes.title).toBe('x');
  });

  it('tolerates readOnly attributes inside a no-path value, and an id equal to the user\'s own', () => {
    const next = applyUserPatch(base(), body('{"op":"replace","value":{"id":"u-1","meta":{"version":"W/\\"9\\""},"groups":[],"schemas":[],"title":"T"}}'), { id: 'u-1' });
    expect(next).toEqual({ ...base(), attributes: { ...base().attributes, title: 'T' } });
  });
});

describe('applyUserPatch: failures', () => {
  it.each<[string, unknown, number, string, string]>([
    ['remove without a path', body('{"op":"remove"}'), 400, 'noTarget', 'needs a "path"'],
    ['Entra-style remove without path', body('{"op":"Remove","value":{"title":"x"}}'), 400, 'noTarget', 'needs a "path"'],
    ['unknown attribute path', body('{"op":"replace","path":"favouriteColour","value":"blue"}'), 400, 'invalidPath', 'unknown attribute'],
    ['unknown attribute in a no-path value', body('{"op":"replace","value":{"favouriteColour":"blue"}}'), 400, 'invalidPath', 'unknown attribute'],
    ['unknown extension attribute', body('{"op":"add","path":"urn:example:custom:2.0:User:shoeSize","value":44}'), 400, 'invalidPath', 'unknown attribute'],
    ['unknown sub-attribute', body('{"op":"replace","path":"name.nickname","value":"x"}'), 400, 'invalidPath', 'unknown attribute'],
    ['unknown sub-attribute after a filter', body('{"op":"replace","path":"emails[type eq \\"work\\"].colour","value":"x"}'), 400, 'invalidPath', 'no sub-attribute'],
    ['filter on a single-valued attribute', body('{"op":"replace","path":"name[givenName eq \\"x\\"]","value":{}}'), 400, 'invalidPath', 'single-valued'],
    ['malformed path', body('{"op":"replace","path":"emails[type eq","value":"x"}'), 400, 'invalidPath', 'Invalid path'],
    ['path not a string', body('{"op":"replace","path":42,"value":"x"}'), 400, 'invalidPath', 'must be a string'],
    ['id changed', body('{"op":"replace","path":"id","value":"other"}'), 400, 'mutability', '"id" is readOnly'],
    ['id changed in a no-path value', body('{"op":"replace","value":{"id":"other"}}'), 400, 'mutability', '"id" is readOnly'],
    ['id removed', body('{"op":"remove","path":"id"}'), 400, 'mutability', 'readOnly'],
    ['meta by path', body('{"op":"replace","path":"meta.lastModified","value":"2020-01-01T00:00:00Z"}'), 400, 'mutability', 'readOnly'],
    ['groups by path', body('{"op":"add","path":"groups","value":[{"value":"g"}]}'), 400, 'mutability', 'readOnly'],
    ['manager.displayName by path', body('{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}'), 400, 'mutability', 'readOnly'],
    ['userName removed', body('{"op":"remove","path":"userName"}'), 400, 'mutability', 'userName is required'],
    ['userName emptied', body('{"op":"replace","path":"userName","value":""}'), 400, 'mutability', 'userName is required'],
    ['active not a boolean', body('{"op":"replace","path":"active","value":"maybe"}'), 400, 'invalidValue', 'must be true or false'],
    ['filter that cannot describe an entry to create', body('{"op":"replace","path":"emails[type co \\"wo\\" and value ew \\".org\\"].display","value":"x"}'), 400, 'noTarget', 'no value matches'],
    ['no-path value not an object', body('{"op":"replace","value":"x"}'), 400, 'invalidSyntax', 'object "value"'],
    ['unknown op', body('{"op":"copy","path":"title","value":"x"}'), 400, 'invalidSyntax', 'must be "add", "replace" or "remove"'],
    ['add without value', body('{"op":"add","path":"title"}'), 400, 'invalidSyntax', 'needs a "value"'],
    ['operation not an object', body('"replace"'), 400, 'invalidSyntax', 'must be an object'],
    ['no Operations', { schemas: [PATCH_OP] }, 400, 'invalidSyntax', 'Operations'],
    ['Operations not an array', { Operations: { op: 'add' } }, 400, 'invalidSyntax', 'Operations'],
    ['body not an object', 'op=add', 400, 'invalidSyntax', 'JSON object'],
  ])('%s', (_name, patch, status, scimType, detail) => {
    const error = scimErrorOf(() => applyUserPatch(base(), patch, { id: 'u-1' }));
    expect(error.status).toBe(status);
    expect(error.scimType).toBe(scimType);
    expect(error.detail).toContain(detail);
  });

  it('names the failing operation', () => {
    const error = scimErrorOf(() => applyUserPatch(base(), body('{"op":"add","path":"title","value":"x"}', '{"op":"add","path":"nope","value":"x"}')));
    expect(error.detail).toMatch(/^Operations\[1\]: /);
  });

  it('is atomic: a failing operation leaves the input untouched', () => {
    const current = base();
    const snapshot = structuredClone(current);
    const patch = body(
      '{"op":"replace","path":"active","value":false}',
      '{"op":"remove","path":"emails[type eq \\"home\\"]"}',
      '{"op":"replace","path":"name.givenName","value":"Changed"}',
      '{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Retail"}',
      '{"op":"replace","path":"unknownAttribute","value":"boom"}',
    );
    expect(() => applyUserPatch(current, patch)).toThrow(ScimError);
    expect(current).toEqual(snapshot);
  });

  it('never modifies the input on success either', () => {
    const current = base();
    const snapshot = structuredClone(current);
    applyUserPatch(current, body('{"op":"replace","path":"emails[type eq \\"work\\"].value","value":"x@y.example"}', '{"op":"remove","path":"name"}'));
    expect(current).toEqual(snapshot);
  });
});
