import { describe, expect, it } from 'vitest';
import { ScimError, applyGroupPatch, parseGroupInput, renderGroup } from '../../src/scim/index.js';
import type { ScimGroupData } from '../../src/scim/index.js';
import { scimErrorOf, patchBody as body } from './helpers.js';

const META = { created: new Date('2024-01-02T03:04:05Z'), lastModified: new Date('2024-02-03T04:05:06Z'), version: '2', location: 'https://sp.example/scim/v2/c1/Groups/g-1' };



const group = (memberIds: string[], displayName = 'Engineering'): ScimGroupData => ({ displayName, externalId: null, memberIds });

describe('parseGroupInput', () => {
  it('Okta group push: {schemas, displayName, members: []} (§2.1)', () => {
    expect(parseGroupInput(JSON.parse('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}'))).toEqual(
      group([], 'Test SCIMv2'),
    );
  });

  it("Entra group create: Microsoft's ADSCIM schema URI and meta are tolerated (§1.2 item 9)", () => {
    const entra = JSON.parse(`{
      "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
      "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
      "displayName": "Group1DisplayName",
      "meta": {"resourceType": "Group"}
    }`) as unknown;
    expect(parseGroupInput(entra)).toEqual({ displayName: 'Group1DisplayName', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', memberIds: [] });
  });

  it('members -> memberIds: $ref null, display and type User tolerated, duplicates dropped, order kept', () => {
    const data = parseGroupInput({
      DisplayName: ' Engineering ',
      id: 'ignored',
      Members: [{ value: 'u2', $ref: null }, { Value: 'u1', display: 'Alice', type: 'User' }, { value: 'u2', $ref: 'https://x/Users/u2' }],
    });
    expect(data).toEqual(group(['u2', 'u1']));
  });

  it.each<[string, unknown, string, string]>([
    ['not an object', ['x'], 'invalidSyntax', 'JSON object'],
    ['no displayName', { members: [] }, 'invalidValue', 'displayName is required'],
    ['blank displayName', { displayName: '  ' }, 'invalidValue', 'displayName is required'],
    ['displayName not a string', { displayName: 5 }, 'invalidValue', 'displayName must be a string'],
    ['displayName too long', { displayName: 'g'.repeat(300) }, 'invalidValue', 'longer than'],
    ['member without value', { displayName: 'g', members: [{ display: 'Alice' }] }, 'invalidValue', 'members[0].value is required'],
    ['member not an object', { displayName: 'g', members: [true] }, 'invalidValue', 'members[0] must be an object'],
    ['nested group member', { displayName: 'g', members: [{ value: 'g2', type: 'Group' }] }, 'invalidValue', 'no nested groups'],
  ])('%s', (_name, input, scimType, detail) => {
    const error = scimErrorOf(() => parseGroupInput(input));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
    expect(error.detail).toContain(detail);
  });
});

describe('renderGroup', () => {
  it('renders members with display and $ref when known, and meta', () => {
    const rendered = renderGroup('g-1', { displayName: 'Engineering', externalId: 'ext-1', memberIds: ['u1', 'u2'] }, META, {
      memberDisplay: new Map([['u1', 'alice@example.com']]),
      memberRef: (id) => `https://sp.example/scim/v2/c1/Users/${id}`,
    });
    expect(rendered).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id: 'g-1',
      externalId: 'ext-1',
      displayName: 'Engineering',
      members: [
        { value: 'u1', display: 'alice@example.com', $ref: 'https://sp.example/scim/v2/c1/Users/u1', type: 'User' },
        { value: 'u2', $ref: 'https://sp.example/scim/v2/c1/Users/u2', type: 'User' },
      ],
      meta: { resourceType: 'Group', created: '2024-01-02T03:04:05.000Z', lastModified: '2024-02-03T04:05:06.000Z', version: 'W/"2"', location: META.location },
    });
  });

  it('renders an empty group with members: [] and no externalId', () => {
    const rendered = renderGroup('g-2', group([]), META);
    expect(rendered.members).toEqual([]);
    expect('externalId' in rendered).toBe(false);
  });

  it('round-trips through parseGroupInput', () => {
    const data = { displayName: 'G', externalId: 'e', memberIds: ['a', 'b'] };
    expect(parseGroupInput(renderGroup('g', data, META, { memberDisplay: new Map([['a', 'A']]) }))).toEqual(data);
  });
});

describe('applyGroupPatch: Okta (§2.1)', () => {
  it('membership update: remove by filter and add with display, in one PATCH', () => {
    const next = applyGroupPatch(
      group(['u1', 'u2']),
      body('{"op":"remove","path":"members[value eq \\"u1\\"]"}', '{"op":"add","path":"members","value":[{"value":"u3","display":"carol@example.com"}]}'),
    );
    expect(next.memberIds).toEqual(['u2', 'u3']);
  });

  it('rename with the group\'s own id in the value: {"op":"replace","value":{"id":"<gid>","displayName":"..."}}', () => {
    const rename = body('{"op":"replace","value":{"id":"g-1","displayName":"Engineering EMEA"}}');
    expect(applyGroupPatch(group(['u1']), rename)).toEqual(group(['u1'], 'Engineering EMEA'));
    expect(applyGroupPatch(group(['u1']), rename, { id: 'g-1' })).toEqual(group(['u1'], 'Engineering EMEA'));
    const error = scimErrorOf(() => applyGroupPatch(group(['u1']), rename, { id: 'g-other' }));
    expect(error.scimType).toBe('mutability');
  });

  it('full push: replace members with a list, and with [] for an empty group (SCIM-SDK#757)', () => {
    expect(applyGroupPatch(group(['u1', 'u2']), body('{"op":"replace","path":"members","value":[{"value":"u3"},{"value":"u2"}]}')).memberIds).toEqual(['u3', 'u2']);
    expect(applyGroupPatch(group(['u1', 'u2']), body('{"op":"replace","path":"members","value":[]}')).memberIds).toEqual([]);
  });

  it('removing a member that is not there is a no-op', () => {
    expect(applyGroupPatch(group(['u1']), body('{"op":"remove","path":"members[value eq \\"u9\\"]"}')).memberIds).toEqual(['u1']);
  });
});

describe('applyGroupPatch: Entra (§1.2)', () => {
  it('add members carrying "$ref": null: {"op":"Add","path":"members","value":[{"$ref":null,"value":"<id>"}]} (item 5)', () => {
    const next = applyGroupPatch(group(['u1']), body('{"op":"Add","path":"members","value":[{"$ref":null,"value":"u2"}]}'));
    expect(next.memberIds).toEqual(['u1', 'u2']);
  });

  it('adding an existing member keeps one copy', () => {
    expect(applyGroupPatch(group(['u1']), body('{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"}]}')).memberIds).toEqual(['u1']);
  });

  it('legacy removal {"op":"Remove","path":"members","value":[{"value":"u1091"}]} removes ONLY those (item 4, SCIMReferenceCode#10)', () => {
    const next = applyGroupPatch(group(['u1090', 'u1091', 'u1092']), body('{"op":"Remove","path":"members","value":[{"value":"u1091"}]}'));
    expect(next.memberIds).toEqual(['u1090', 'u1092']);
  });

  it('compliant removal {"op":"remove","path":"members[value eq \\"<id>\\"]"}', () => {
    const next = applyGroupPatch(group(['u1', 'u2']), body('{"op":"remove","path":"members[value eq \\"u2\\"]"}'));
    expect(next.memberIds).toEqual(['u1']);
  });

  it('several membership changes in one PATCH (gallery checklist)', () => {
    const next = applyGroupPatch(
      group(['u1', 'u2', 'u3']),
      body(
        '{"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"},{"$ref":null,"value":"u5"}]}',
        '{"op":"Remove","path":"members","value":[{"value":"u1"},{"value":"u3"}]}',
        '{"op":"Replace","path":"displayName","value":"Renamed"}',
      ),
    );
    expect(next).toEqual(group(['u2', 'u4', 'u5'], 'Renamed'));
  });
});

describe('applyGroupPatch: other shapes', () => {
  it.each<[string, string, ScimGroupData]>([
    ['remove members without a value removes all', '{"op":"remove","path":"members"}', group([])],
    ['remove by a filter with or', '{"op":"remove","path":"members[value eq \\"u1\\" or value eq \\"u3\\"]"}', group(['u2'])],
    ['member ids compare case-exactly', '{"op":"remove","path":"members[value eq \\"U1\\"]"}', group(['u1', 'u2', 'u3'])],
    ['replace displayName through its path', '{"op":"replace","path":"displayName","value":"New"}', group(['u1', 'u2', 'u3'], 'New')],
    ['no-path replace with members replaces them', '{"op":"replace","value":{"members":[{"value":"u9"}]}}', group(['u9'])],
    ['no-path add with members adds them', '{"op":"add","value":{"members":[{"value":"u9"}]}}', group(['u1', 'u2', 'u3', 'u9'])],
    ['externalId set', '{"op":"add","path":"externalId","value":"ext"}', { ...group(['u1', 'u2', 'u3']), externalId: 'ext' }],
    ['a single member object (not an array) is accepted', '{"op":"add","path":"members","value":{"value":"u4"}}', group(['u1', 'u2', 'u3', 'u4'])],
    ['op and attribute casing', '{"OP":"REMOVE","PATH":"MEMBERS[VALUE EQ \\"u2\\"]"}', group(['u1', 'u3'])],
  ])('%s', (_name, operation, expected) => {
    expect(applyGroupPatch(group(['u1', 'u2', 'u3']), body(operation))).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['displayName removed', '{"op":"remove","path":"displayName"}', 'mutability'],
    ['remove without path', '{"op":"remove"}', 'noTarget'],
    ['unknown attribute', '{"op":"replace","path":"owner","value":"x"}', 'invalidPath'],
    ['user attribute on a group', '{"op":"replace","path":"userName","value":"x"}', 'invalidPath'],
    ['member without value', '{"op":"add","path":"members","value":[{"display":"x"}]}', 'invalidValue'],
    ['nested group', '{"op":"add","path":"members","value":[{"value":"g2","type":"Group"}]}', 'invalidValue'],
  ])('%s -> %s', (_name, operation, scimType) => {
    expect(scimErrorOf(() => applyGroupPatch(group(['u1']), body(operation))).scimType).toBe(scimType);
  });

  it('stays fast on large groups (keyed add and removal, no quadratic scans)', () => {
    const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => `user-${from + i}`);
    const started = performance.now();
    const next = applyGroupPatch(group(ids(0, 20_000)), {
      Operations: [
        { op: 'Add', path: 'members', value: ids(10_000, 20_000).map((value) => ({ $ref: null, value })) },
        { op: 'Remove', path: 'members', value: ids(0, 15_000).map((value) => ({ value })) },
      ],
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(next.memberIds).toEqual(ids(15_000, 15_000));
  });

  it('is atomic: a failing operation leaves the input untouched', () => {
    const current = group(['u1', 'u2']);
    const snapshot = structuredClone(current);
    expect(() =>
      applyGroupPatch(current, body('{"op":"add","path":"members","value":[{"value":"u3"}]}', '{"op":"replace","path":"displayName","value":"X"}', '{"op":"remove"}')),
    ).toThrow(ScimError);
    expect(current).toEqual(snapshot);
  });
});
