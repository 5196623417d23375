import { describe, expect, it } from 'vitest';
import {
  MAX_LIST_COUNT,
  SCHEMA_ENTERPRISE_USER,
  SCHEMA_ERROR,
  SCHEMA_GROUP,
  SCHEMA_USER,
  ScimError,
  isScimError,
  resolveAttribute,
  resourceTypeByName,
  resourceTypes,
  schemaById,
  schemas,
  scimErrorBody,
  scimErrors,
  serviceProviderConfig,
} from '../../src/scim/index.js';

const BASE = 'https://sp.example/scim/v2/company-1';

describe('serviceProviderConfig', () => {
  const config = serviceProviderConfig(`${BASE}/`);
  it('advertises what is supported, and nothing more', () => {
    expect(config).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: MAX_LIST_COUNT },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      meta: { resourceType: 'ServiceProviderConfig', location: `${BASE}/ServiceProviderConfig` },
    });
    expect(config.authenticationSchemes).toEqual([expect.objectContaining({ type: 'oauthbearertoken', primary: true, name: expect.any(String), description: expect.any(String) })]);
  });
});

describe('resourceTypes', () => {
  const types = resourceTypes(BASE);
  it('lists User (with the optional enterprise extension) and Group', () => {
    expect(types.map((type) => [type.id, type.endpoint, type.schema])).toEqual([
      ['User', '/Users', SCHEMA_USER],
      ['Group', '/Groups', SCHEMA_GROUP],
    ]);
    expect(types[0]!.schemaExtensions).toEqual([{ schema: SCHEMA_ENTERPRISE_USER, required: false }]);
    for (const type of types) {
      expect(type.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:ResourceType']);
      expect(type.meta.location).toBe(`${BASE}/ResourceTypes/${type.id}`);
    }
  });

  it('looks up by name, case-insensitively', () => {
    expect(resourceTypeByName(BASE, 'user')?.id).toBe('User');
    expect(resourceTypeByName(BASE, 'Device')).toBeUndefined();
  });
});

describe('schemas', () => {
  const all = schemas(BASE);
  const flatten = (attributes: Record<string, unknown>[], prefix = ''): [string, Record<string, unknown>][] =>
    attributes.flatMap((attribute) => {
      const name = `${prefix}${String(attribute.name)}`;
      const subs = (attribute.subAttributes as Record<string, unknown>[] | undefined) ?? [];
      return [[name, attribute] as [string, Record<string, unknown>], ...flatten(subs, `${name}.`)];
    });

  it('lists User, EnterpriseUser and Group', () => {
    expect(all.map((schema) => schema.id)).toEqual([SCHEMA_USER, SCHEMA_ENTERPRISE_USER, SCHEMA_GROUP]);
    for (const schema of all) {
      expect(schema.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:Schema']);
      expect(schema.meta).toEqual({ resourceType: 'Schema', location: `${BASE}/Schemas/${schema.id}` });
    }
  });

  it('describes every attribute completely, with camelCased characteristic values (Entra reads them)', () => {
    for (const schema of all) {
      for (const [name, attribute] of flatten(schema.attributes)) {
        expect(Object.keys(attribute), name).toEqual(expect.arrayContaining(['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness']));
        expect(['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'complex', 'binary'], name).toContain(attribute.type);
        expect(['readOnly', 'readWrite', 'immutable', 'writeOnly'], name).toContain(attribute.mutability);
        expect(['always', 'never', 'default', 'request'], name).toContain(attribute.returned);
        expect(['none', 'server', 'global'], name).toContain(attribute.uniqueness);
        expect(attribute.type === 'complex', name).toBe(Array.isArray(attribute.subAttributes));
        if (attribute.type === 'reference') expect(attribute.referenceTypes, name).toEqual(expect.any(Array));
        expect(JSON.stringify(attribute), name).not.toContain('null');
      }
    }
  });

  it('states the RFC 7643 characteristics that matter to clients', () => {
    const user = new Map(flatten(all[0]!.attributes));
    expect(user.get('userName')).toMatchObject({ required: true, caseExact: false, uniqueness: 'server' });
    expect(user.get('emails')).toMatchObject({ type: 'complex', multiValued: true });
    expect(user.get('emails.value')).toMatchObject({ caseExact: false });
    expect(user.get('groups')).toMatchObject({ mutability: 'readOnly' });
    expect(user.get('active')).toMatchObject({ type: 'boolean' });
    // password is never stored, so not advertised; id/externalId/meta are common attributes, in no schema.
    for (const absent of ['password', 'id', 'externalId', 'meta']) expect(user.has(absent), absent).toBe(false);
    const enterprise = new Map(flatten(all[1]!.attributes));
    expect(enterprise.get('manager.displayName')).toMatchObject({ mutability: 'readOnly' });
    const group = new Map(flatten(all[2]!.attributes));
    expect(group.get('displayName')).toMatchObject({ required: true });
    expect(group.get('members.value')).toMatchObject({ caseExact: true });
  });

  it('advertises only attributes the parsers and filters resolve', () => {
    for (const [schema, resourceType] of [[all[0]!, 'User'], [all[1]!, 'User'], [all[2]!, 'Group']] as const) {
      for (const [name] of flatten(schema.attributes)) {
        const [attribute, sub = null] = name.split('.');
        expect(resolveAttribute(resourceType, { schema: schema.id.toLowerCase(), attribute: attribute!.toLowerCase(), subAttribute: sub?.toLowerCase() ?? null }), name).not.toBeNull();
      }
    }
  });

  it('looks up by id, case-insensitively; relative locations without a base URL', () => {
    expect(schemaById('URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP', BASE)?.name).toBe('Group');
    expect(schemaById('urn:example:nope')).toBeUndefined();
    expect(schemas()[0]!.meta.location).toBe(`/Schemas/${SCHEMA_USER}`);
  });
});

describe('SCIM error bodies (RFC 7644 §3.12)', () => {
  it('renders status as a string and scimType only when set', () => {
    expect(scimErrorBody(new ScimError(400, 'invalidFilter', 'Invalid filter: x'))).toEqual({ schemas: [SCHEMA_ERROR], status: '400', scimType: 'invalidFilter', detail: 'Invalid filter: x' });
    expect(scimErrorBody(scimErrors.notFound('User 1 not found'))).toEqual({ schemas: [SCHEMA_ERROR], status: '404', detail: 'User 1 not found' });
  });

  it.each([
    ['invalidFilter', 400, 'invalidFilter'],
    ['invalidSyntax', 400, 'invalidSyntax'],
    ['invalidValue', 400, 'invalidValue'],
    ['invalidPath', 400, 'invalidPath'],
    ['noTarget', 400, 'noTarget'],
    ['mutability', 400, 'mutability'],
    ['tooMany', 400, 'tooMany'],
    ['uniqueness', 409, 'uniqueness'],
    ['notFound', 404, null],
    ['unauthorized', 401, null],
    ['payloadTooLarge', 413, null],
  ] as const)('scimErrors.%s -> %i %s', (name, status, scimType) => {
    const error = scimErrors[name]('detail');
    expect(error).toBeInstanceOf(ScimError);
    expect(isScimError(error)).toBe(true);
    expect([error.status, error.scimType, error.detail]).toEqual([status, scimType, 'detail']);
  });

  it('isScimError rejects look-alikes that are not errors', () => {
    expect(isScimError({ status: 400, scimType: null, detail: 'x' })).toBe(false);
    expect(isScimError(new Error('x'))).toBe(false);
  });
});
