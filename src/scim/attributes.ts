/**
 * Attribute definitions of the resources we serve (RFC 7643 §3.1, §4.1, §4.2, §4.3, §8.7.1): the one
 * source of canonical names, types, caseExact, mutability and returned characteristics. Used by the
 * input parsers, the PATCH applier, the filter evaluator, projection and /Schemas alike.
 */
import type { AttrPath } from './types.js';
import { SCHEMA_ENTERPRISE_USER, SCHEMA_GROUP, SCHEMA_USER } from './types.js';

export type ScimAttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type ScimMutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type ScimReturned = 'always' | 'never' | 'default' | 'request';
export type ScimUniqueness = 'none' | 'server' | 'global';
/** The resource types this service provider serves. */
export type ScimResourceType = 'User' | 'Group';

/** One attribute (or sub-attribute) definition, as RFC 7643 §7 describes it. */
export interface ScimAttributeDefinition {
  readonly name: string;
  readonly type: ScimAttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: ScimMutability;
  readonly returned: ScimReturned;
  readonly uniqueness: ScimUniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly ScimAttributeDefinition[];
}

/** A schema: its URN and attributes (RFC 7643 §7). */
export interface ScimSchemaDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly ScimAttributeDefinition[];
}

type Options = Partial<Omit<ScimAttributeDefinition, 'name' | 'type' | 'description'>>;

function attr(name: string, type: ScimAttributeType, description: string, options: Options = {}): ScimAttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

const str = (name: string, description: string, options: Options = {}) => attr(name, 'string', description, options);

/** The value/display/type/primary quartet of RFC 7643 §2.4 multi-valued attributes. */
function multi(name: string, description: string, valueDescription: string, canonicalTypes: readonly string[], valueType: ScimAttributeType = 'string'): ScimAttributeDefinition {
  const subAttributes: ScimAttributeDefinition[] = [
    attr('value', valueType, valueDescription, valueType === 'reference' ? { referenceTypes: ['external'] } : {}),
    str('display', 'A human-readable name, primarily used for display purposes.'),
    str('type', "A label indicating the attribute's function.", canonicalTypes.length > 0 ? { canonicalValues: canonicalTypes } : {}),
    attr('primary', 'boolean', "A Boolean value indicating the 'primary' or preferred value; 'true' appears no more than once."),
  ];
  return attr(name, 'complex', description, { multiValued: true, subAttributes });
}

/** id, externalId and meta: common to every resource, part of no schema (RFC 7643 §3.1). */
export const COMMON_ATTRIBUTES: readonly ScimAttributeDefinition[] = [
  str('id', 'A unique identifier for the resource, assigned by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', 'An identifier for the resource as defined by the provisioning client.', { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata, assigned by the service provider.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'The name of the resource type of the resource.', { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', 'The date and time the resource was added.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'The most recent date and time the resource was modified.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'The URI of the resource.', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
      str('version', 'The version (entity tag) of the resource.', { caseExact: true, mutability: 'readOnly' }),
    ],
  }),
];

/** urn:ietf:params:scim:schemas:core:2.0:User (RFC 7643 §4.1; `password` is left out: never stored). */
export const USER_SCHEMA: ScimSchemaDefinition = {
  id: SCHEMA_USER,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', 'Unique identifier for the User, typically used to sign in. REQUIRED.', { required: true, uniqueness: 'server' }),
    attr('name', 'complex', "The components of the user's real name.", {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.'),
        str('familyName', 'The family name of the User.'),
        str('givenName', 'The given name of the User.'),
        str('middleName', 'The middle name(s) of the User.'),
        str('honorificPrefix', "The honorific prefix(es) of the User, e.g. 'Ms.'."),
        str('honorificSuffix', "The honorific suffix(es) of the User, e.g. 'III'."),
      ],
    }),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user in real life.'),
    attr('profileUrl', 'reference', "A URL of the User's online profile.", { referenceTypes: ['external'] }),
    str('title', "The user's title, such as 'Vice President'."),
    str('userType', 'The relationship between the organization and the user, e.g. Employee, Contractor.'),
    str('preferredLanguage', "The User's preferred written or spoken language, e.g. 'en-US'."),
    str('locale', "The User's default location for localisation, e.g. 'en-US'."),
    str('timezone', "The User's time zone in IANA format, e.g. 'America/Los_Angeles'."),
    attr('active', 'boolean', "A Boolean value indicating the User's administrative status."),
    multi('emails', 'Email addresses for the User.', 'An email address.', ['work', 'home', 'other']),
    multi('phoneNumbers', 'Phone numbers for the User.', 'A phone number.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', 'Instant messaging addresses for the User.', 'An instant messaging address.', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multi('photos', 'URLs of photos of the User.', 'The URL of a photo.', ['photo', 'thumbnail'], 'reference'),
    attr('addresses', 'complex', 'Physical mailing addresses for the User.', {
      multiValued: true,
      subAttributes: [
        str('formatted', 'The full mailing address, formatted for display.'),
        str('streetAddress', 'The full street address component.'),
        str('locality', 'The city or locality component.'),
        str('region', 'The state or region component.'),
        str('postalCode', 'The zip code or postal code component.'),
        str('country', 'The country name component (ISO 3166-1 alpha-2).'),
        str('type', "A label indicating the attribute's function.", { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', "A Boolean value indicating the 'primary' or preferred address."),
      ],
    }),
    attr('groups', 'complex', 'The groups the user belongs to, computed by the service provider.', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        str('value', "The identifier of the User's group.", { mutability: 'readOnly' }),
        attr('$ref', 'reference', "The URI of the corresponding 'Group' resource.", { mutability: 'readOnly', referenceTypes: ['User', 'Group'] }),
        str('display', 'A human-readable name, primarily used for display purposes.', { mutability: 'readOnly' }),
        str('type', "A label indicating the membership's function, 'direct' or 'indirect'.", { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
    }),
    multi('entitlements', 'A list of entitlements for the User.', 'The value of an entitlement.', []),
    multi('roles', 'A list of roles for the User.', 'The value of a role.', []),
    multi('x509Certificates', 'A list of certificates issued to the User.', 'The value of an X.509 certificate (base64 DER).', [], 'binary'),
  ],
};

/** urn:ietf:params:scim:schemas:extension:enterprise:2.0:User (RFC 7643 §4.3). */
export const ENTERPRISE_USER_SCHEMA: ScimSchemaDefinition = {
  id: SCHEMA_ENTERPRISE_USER,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'A string identifier, typically numeric or alphanumeric, assigned to a person by the organization.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    attr('manager', 'complex', "The User's manager.", {
      subAttributes: [
        str('value', 'The id of the SCIM resource representing the manager.'),
        attr('$ref', 'reference', 'The URI of the SCIM resource representing the manager.', { referenceTypes: ['User'] }),
        str('displayName', 'The displayName of the manager.', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

/** urn:ietf:params:scim:schemas:core:2.0:Group (RFC 7643 §4.2; members.value is an id, so caseExact). */
export const GROUP_SCHEMA: ScimSchemaDefinition = {
  id: SCHEMA_GROUP,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', 'A human-readable name for the Group. REQUIRED.', { required: true }),
    attr('members', 'complex', 'A list of members of the Group.', {
      multiValued: true,
      subAttributes: [
        str('value', 'The id of the member (a User of this directory).', { caseExact: true, mutability: 'immutable' }),
        attr('$ref', 'reference', 'The URI of the member resource.', { mutability: 'immutable', referenceTypes: ['User', 'Group'] }),
        str('display', 'A human-readable name of the member.', { mutability: 'immutable' }),
        str('type', 'The type of the member.', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
      ],
    }),
  ],
};

/** The core schema and extension schemas of a resource type. */
export function schemasOf(resourceType: ScimResourceType): { core: ScimSchemaDefinition; extensions: readonly ScimSchemaDefinition[] } {
  return resourceType === 'User' ? { core: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA] } : { core: GROUP_SCHEMA, extensions: [] };
}

/** An attribute path resolved against a resource type's definitions. */
export interface ResolvedAttribute {
  /** The extension whose object holds the attribute (the key in the resource JSON), or null for core and common attributes. */
  extension: string | null;
  /** The top-level attribute definition (canonical name in `attribute.name`). */
  attribute: ScimAttributeDefinition;
  /** The sub-attribute definition when the path names one. */
  subAttribute: ScimAttributeDefinition | null;
}

/** Finds a definition by name, case-insensitively (RFC 7643 §2.1). */
export function findDefinition(definitions: readonly ScimAttributeDefinition[], name: string): ScimAttributeDefinition | undefined {
  const lower = name.toLowerCase();
  return definitions.find((definition) => definition.name.toLowerCase() === lower);
}

/** The extension schema a URN names (case-insensitively), if the resource type has it. */
export function findExtension(resourceType: ScimResourceType, urn: string): ScimSchemaDefinition | undefined {
  const lower = urn.toLowerCase();
  return schemasOf(resourceType).extensions.find((schema) => schema.id.toLowerCase() === lower);
}

/**
 * Resolves a (lower- or any-case) attribute path for a resource type: core and common attributes
 * unqualified or under the core URN, extension attributes under their URN or, when unambiguous,
 * unqualified (RFC 7644 §3.10 lets clients omit the URN). Null when the path names nothing we know.
 */
export function resolveAttribute(resourceType: ScimResourceType, path: AttrPath): ResolvedAttribute | null {
  const { core, extensions } = schemasOf(resourceType);
  let extension: string | null = null;
  let attribute: ScimAttributeDefinition | undefined;
  const schema = path.schema?.toLowerCase() ?? null;
  if (schema === null || schema === core.id.toLowerCase()) {
    attribute = findDefinition(COMMON_ATTRIBUTES, path.attribute) ?? findDefinition(core.attributes, path.attribute);
    if (attribute === undefined && schema === null) {
      for (const candidate of extensions) {
        const found = findDefinition(candidate.attributes, path.attribute);
        if (found !== undefined) {
          attribute = found;
          extension = candidate.id;
          break;
        }
      }
    }
  } else {
    const candidate = extensions.find((ext) => ext.id.toLowerCase() === schema);
    if (candidate === undefined) return null;
    attribute = findDefinition(candidate.attributes, path.attribute);
    extension = candidate.id;
  }
  if (attribute === undefined) return null;
  if (path.subAttribute === null) return { extension, attribute, subAttribute: null };
  const subAttribute = findDefinition(attribute.subAttributes ?? [], path.subAttribute);
  return subAttribute === undefined ? null : { extension, attribute, subAttribute };
}

/** The resource type of a rendered resource: Group when its meta or schemas say so, else User. */
export function resourceTypeOf(resource: Record<string, unknown>): ScimResourceType {
  const meta = resource.meta;
  if (typeof meta === 'object' && meta !== null) {
    const type = (meta as Record<string, unknown>).resourceType;
    if (type === 'Group' || type === 'User') return type;
  }
  const schemas = resource.schemas;
  if (Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SCHEMA_GROUP.toLowerCase())) return 'Group';
  return 'User';
}

/** Reads a key of a JSON object case-insensitively (exact match first). */
export function getIgnoringCase(object: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(object, key)) return object[key];
  const lower = key.toLowerCase();
  for (const candidate of Object.keys(object)) {
    if (candidate.toLowerCase() === lower) return object[candidate];
  }
  return undefined;
}

/** The actual key of `object` matching `key` case-insensitively, or undefined. */
export function keyIgnoringCase(object: Record<string, unknown>, key: string): string | undefined {
  if (Object.hasOwn(object, key)) return key;
  const lower = key.toLowerCase();
  return Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of a JSON value (what resources and stored attributes are made of): a plain walk, several
 * times cheaper than structuredClone for the small objects rendered on every SCIM response.
 */
export function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copy = copyJson((value as Record<string, unknown>)[key]);
    // An own "__proto__" (JSON.parse makes one) stays a property, as structuredClone keeps it.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out as T;
}
