/**
 * The SCIM 2.0 part of the OpenAPI document: JSON Schemas of User, Group, ListResponse, PatchOp and
 * the RFC 7644 §3.12 error, built from the same attribute definitions (src/scim/attributes.ts) the
 * parsers and /Schemas use, so the document says what the code accepts and renders. The schemas give
 * the canonical form; the parsers are more tolerant (attribute names in any case, "True"/"false"
 * strings for booleans, unknown attributes ignored), as the descriptions say.
 */
import type { describeRoute } from 'hono-openapi';
import type { ScimAttributeDefinition } from '../scim/index.js';
import {
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  MAX_FILTER_LENGTH,
  MAX_GROUP_MEMBERS,
  MAX_LIST_COUNT,
  MAX_MULTI_VALUES,
  MAX_PATCH_OPERATIONS,
  MAX_STRING_LENGTH,
  MAX_USERNAME_LENGTH,
  SCHEMA_ENTERPRISE_USER,
  SCHEMA_ERROR,
  SCHEMA_GROUP,
  SCHEMA_LIST_RESPONSE,
  SCHEMA_PATCH_OP,
  SCHEMA_RESOURCE_TYPE,
  SCHEMA_SCHEMA,
  SCHEMA_SERVICE_PROVIDER_CONFIG,
  SCHEMA_USER,
  USER_SCHEMA,
} from '../scim/index.js';

type JsonSchema = Record<string, unknown>;
type Operation = Parameters<typeof describeRoute>[0];

/** The media type of every SCIM body; requests may also be sent as application/json. */
export const SCIM_MEDIA_TYPE = 'application/scim+json';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Longest string the parsers keep for this attribute. */
function maxLengthOf(definition: ScimAttributeDefinition): number {
  return definition.name === 'userName' ? MAX_USERNAME_LENGTH : MAX_STRING_LENGTH;
}

/** One SCIM attribute definition as a JSON Schema (readOnly attributes are marked readOnly). */
function attributeSchema(definition: ScimAttributeDefinition, parentReadOnly = false): JsonSchema {
  const readOnly = parentReadOnly || definition.mutability === 'readOnly';
  let single: JsonSchema;
  switch (definition.type) {
    case 'boolean':
      single = { type: 'boolean' };
      break;
    case 'integer':
      single = { type: 'integer' };
      break;
    case 'decimal':
      single = { type: 'number' };
      break;
    case 'dateTime':
      single = { type: 'string', format: 'date-time' };
      break;
    case 'binary':
      single = { type: 'string', contentEncoding: 'base64', maxLength: MAX_STRING_LENGTH };
      break;
    case 'reference':
      single = { type: 'string', format: 'uri-reference', maxLength: MAX_STRING_LENGTH };
      break;
    case 'complex':
      single = {
        type: 'object',
        properties: Object.fromEntries((definition.subAttributes ?? []).map((sub) => [sub.name, attributeSchema(sub, readOnly)])),
      };
      break;
    default:
      single = { type: 'string', maxLength: maxLengthOf(definition) };
  }
  if (definition.canonicalValues !== undefined) single.examples = [definition.canonicalValues[0]];
  const schema: JsonSchema = definition.multiValued
    ? { type: 'array', items: single, maxItems: definition.name === 'members' ? MAX_GROUP_MEMBERS : MAX_MULTI_VALUES }
    : single;
  schema.description = definition.description;
  if (readOnly) schema.readOnly = true;
  return schema;
}

function propertiesOf(definitions: readonly ScimAttributeDefinition[]): Record<string, JsonSchema> {
  return Object.fromEntries(definitions.map((definition) => [definition.name, attributeSchema(definition)]));
}

const schemasProperty = (description: string, values: string[]): JsonSchema => ({
  type: 'array',
  items: { type: 'string', enum: values },
  description,
});

const common = propertiesOf(COMMON_ATTRIBUTES);

const ScimUser: JsonSchema = {
  type: 'object',
  description:
    'A SCIM User (RFC 7643 §4.1, with the optional enterprise extension §4.3). `userName` is required. Read-only attributes ' +
    '(`id`, `meta`, `groups`) and `password` are ignored in requests; unknown attributes are dropped; `active` defaults to true. ' +
    'Responses carry no `groups`: membership is listed by /Groups.',
  required: ['userName'],
  properties: {
    schemas: schemasProperty('Schema URIs of the resource; not enforced in requests.', [SCHEMA_USER, SCHEMA_ENTERPRISE_USER]),
    ...common,
    // `groups` is in the schema (readOnly) but never rendered: group membership is read from /Groups.
    ...propertiesOf(USER_SCHEMA.attributes.filter((definition) => definition.name !== 'groups')),
    [SCHEMA_ENTERPRISE_USER]: {
      type: 'object',
      description: ENTERPRISE_USER_SCHEMA.description,
      properties: propertiesOf(ENTERPRISE_USER_SCHEMA.attributes),
    },
  },
  example: {
    schemas: [SCHEMA_USER],
    userName: 'ada@example.com',
    externalId: '00u1abcd',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
    active: true,
  },
};

const ScimGroup: JsonSchema = {
  type: 'object',
  description:
    'A SCIM Group (RFC 7643 §4.2). `displayName` is required; members are users of this directory (no nested groups). ' +
    '`members` is always present in responses (empty when none).',
  required: ['displayName'],
  properties: {
    schemas: schemasProperty('Schema URIs of the resource; not enforced in requests.', [SCHEMA_GROUP]),
    ...common,
    ...propertiesOf(GROUP_SCHEMA.attributes),
  },
  example: { schemas: [SCHEMA_GROUP], displayName: 'Engineering', members: [{ value: 'usr_0123456789abcdef' }] },
};

const ScimPatchOp: JsonSchema = {
  type: 'object',
  description:
    'An RFC 7644 §3.5.2 PATCH request. `op` is case-insensitive; without `path`, `value` is an object whose keys are paths ' +
    '(plain, dotted or URN-qualified). `remove` needs a `path`.',
  required: ['Operations'],
  properties: {
    schemas: schemasProperty('The PatchOp message URI; not enforced.', [SCHEMA_PATCH_OP]),
    Operations: {
      type: 'array',
      maxItems: MAX_PATCH_OPERATIONS,
      items: {
        type: 'object',
        required: ['op'],
        properties: {
          op: { type: 'string', enum: ['add', 'replace', 'remove'], description: 'Any casing ("Replace" is accepted).' },
          path: { type: 'string', description: 'An attribute path, optionally with a value filter: `emails[type eq "work"].value`.' },
          value: { description: 'Required for add and replace; the new value, or an object of path -> value when there is no path.' },
        },
      },
    },
  },
  example: { schemas: [SCHEMA_PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
};

const ScimError: JsonSchema = {
  type: 'object',
  description: 'A SCIM error (RFC 7644 §3.12); every failure of a SCIM route answers in this form.',
  required: ['schemas', 'status', 'detail'],
  properties: {
    schemas: schemasProperty('The Error message URI.', [SCHEMA_ERROR]),
    status: { type: 'string', pattern: '^[0-9]{3}$', description: 'The HTTP status code, as a string.' },
    scimType: {
      type: 'string',
      enum: ['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive'],
      description: 'The SCIM detail error keyword, when there is one.',
    },
    detail: { type: 'string', description: 'A human-readable explanation.' },
  },
  example: { schemas: [SCHEMA_ERROR], status: '409', scimType: 'uniqueness', detail: 'userName "ada@example.com" is already taken' },
};

function listResponse(itemName: string, description: string): JsonSchema {
  return {
    type: 'object',
    description,
    required: ['schemas', 'totalResults', 'startIndex', 'itemsPerPage', 'Resources'],
    properties: {
      schemas: schemasProperty('The ListResponse message URI.', [SCHEMA_LIST_RESPONSE]),
      totalResults: { type: 'integer', minimum: 0, description: 'Number of matching resources.' },
      startIndex: { type: 'integer', minimum: 1, description: '1-based index of the first resource of this page.' },
      itemsPerPage: { type: 'integer', minimum: 0, description: 'Number of resources on this page.' },
      Resources: { type: 'array', items: ref(itemName), description: 'This page of resources; empty when nothing matched.' },
    },
  };
}

const discoveryMeta = (resourceType: string): JsonSchema => ({
  type: 'object',
  properties: { resourceType: { type: 'string', enum: [resourceType] }, location: { type: 'string', format: 'uri' } },
});

const ScimServiceProviderConfig: JsonSchema = {
  type: 'object',
  description: 'RFC 7643 §5: PATCH and filter are supported; bulk, sort, ETags and changePassword are not.',
  properties: {
    schemas: schemasProperty('The ServiceProviderConfig schema URI.', [SCHEMA_SERVICE_PROVIDER_CONFIG]),
    documentationUri: { type: 'string', format: 'uri' },
    patch: { type: 'object', properties: { supported: { type: 'boolean' } } },
    bulk: { type: 'object', properties: { supported: { type: 'boolean' }, maxOperations: { type: 'integer' }, maxPayloadSize: { type: 'integer' } } },
    filter: { type: 'object', properties: { supported: { type: 'boolean' }, maxResults: { type: 'integer', examples: [MAX_LIST_COUNT] } } },
    changePassword: { type: 'object', properties: { supported: { type: 'boolean' } } },
    sort: { type: 'object', properties: { supported: { type: 'boolean' } } },
    etag: { type: 'object', properties: { supported: { type: 'boolean' } } },
    authenticationSchemes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          name: { type: 'string' },
          description: { type: 'string' },
          specUri: { type: 'string', format: 'uri' },
          primary: { type: 'boolean' },
        },
      },
    },
    meta: discoveryMeta('ServiceProviderConfig'),
  },
};

const ScimResourceType: JsonSchema = {
  type: 'object',
  description: 'RFC 7643 §6: the User (with the optional enterprise extension) and Group resource types.',
  properties: {
    schemas: schemasProperty('The ResourceType schema URI.', [SCHEMA_RESOURCE_TYPE]),
    id: { type: 'string' },
    name: { type: 'string' },
    endpoint: { type: 'string' },
    description: { type: 'string' },
    schema: { type: 'string' },
    schemaExtensions: { type: 'array', items: { type: 'object', properties: { schema: { type: 'string' }, required: { type: 'boolean' } } } },
    meta: discoveryMeta('ResourceType'),
  },
};

const scimAttributeDocument: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'complex', 'binary'] },
    multiValued: { type: 'boolean' },
    description: { type: 'string' },
    required: { type: 'boolean' },
    caseExact: { type: 'boolean' },
    mutability: { type: 'string', enum: ['readOnly', 'readWrite', 'immutable', 'writeOnly'] },
    returned: { type: 'string', enum: ['always', 'never', 'default', 'request'] },
    uniqueness: { type: 'string', enum: ['none', 'server', 'global'] },
    canonicalValues: { type: 'array', items: { type: 'string' } },
    referenceTypes: { type: 'array', items: { type: 'string' } },
    subAttributes: { type: 'array', items: { type: 'object' }, description: 'Attribute definitions of the same form.' },
  },
};

const ScimSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 7643 §7: the User, EnterpriseUser and Group schemas, with every attribute the server knows.',
  properties: {
    schemas: schemasProperty('The Schema schema URI.', [SCHEMA_SCHEMA]),
    id: { type: 'string', enum: [SCHEMA_USER, SCHEMA_ENTERPRISE_USER, SCHEMA_GROUP] },
    name: { type: 'string' },
    description: { type: 'string' },
    attributes: { type: 'array', items: scimAttributeDocument },
    meta: discoveryMeta('Schema'),
  },
};

/** components.schemas of the SCIM part. */
export const scimComponentSchemas: Record<string, JsonSchema> = {
  ScimUser,
  ScimGroup,
  ScimPatchOp,
  ScimError,
  ScimUserListResponse: listResponse('ScimUser', 'A page of Users (RFC 7644 §3.4.2).'),
  ScimGroupListResponse: listResponse('ScimGroup', 'A page of Groups (RFC 7644 §3.4.2).'),
  ScimResourceTypeListResponse: listResponse('ScimResourceType', 'All resource types.'),
  ScimSchemaListResponse: listResponse('ScimSchema', 'All schemas.'),
  ScimServiceProviderConfig,
  ScimResourceType,
  ScimSchema,
};

/** The SCIM token scheme: one per company, created with POST /api/companies/{companyId}/scim-tokens. */
export const scimTokenScheme = {
  type: 'http',
  scheme: 'bearer',
  description: "The company's SCIM token (POST /api/companies/{companyId}/scim-tokens); it only reaches its own company's /scim/v2/{companyId}.",
} as const;

const scimErrorDescriptions: Record<number, string> = {
  400: 'Invalid request (scimType invalidSyntax, invalidValue, invalidFilter, invalidPath, noTarget or mutability)',
  401: 'Missing, wrong or revoked SCIM token',
  404: "Unknown resource, or the token belongs to another company's base URL",
  409: 'A unique value (userName, group displayName) is already taken (scimType uniqueness)',
  413: 'Body over 1 MiB (8 MiB for Groups)',
  415: 'Body is neither application/scim+json nor application/json',
};

const queryParameter = (name: string, description: string, schema: JsonSchema) => ({ name, in: 'query' as const, required: false, description, schema });

/** `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5). */
export const scimProjectionParameters = [
  queryParameter('attributes', 'Comma-separated attribute paths to return (plus id and schemas).', { type: 'string' }),
  queryParameter('excludedAttributes', 'Comma-separated attribute paths to leave out.', { type: 'string' }),
];

/** List query parameters (RFC 7644 §3.4.2); names are case-insensitive; sortBy is ignored. */
export const scimListParameters = [
  queryParameter('filter', 'A SCIM filter, e.g. `userName eq "ada@example.com"`.', { type: 'string', maxLength: MAX_FILTER_LENGTH }),
  queryParameter('startIndex', '1-based index of the first result (values below 1 count as 1).', { type: 'integer', default: 1 }),
  queryParameter('count', `Page size; at most ${MAX_LIST_COUNT} (larger values are lowered).`, { type: 'integer', default: 100, maximum: MAX_LIST_COUNT }),
  ...scimProjectionParameters,
];

/**
 * Describes a SCIM route: the scimToken scheme, application/scim+json bodies (requests may also be
 * application/json) and the SCIM error body on every listed error status. `response` and `request`
 * name components of scimComponentSchemas.
 */
export function scimOperation(options: {
  operationId: string;
  summary: string;
  description?: string;
  status: 200 | 201 | 204;
  responseDescription: string;
  response?: string;
  request?: string;
  parameters?: typeof scimListParameters;
  errors: number[];
}): Operation {
  const responses: NonNullable<Operation['responses']> = {};
  const success: Record<string, unknown> = { description: options.responseDescription };
  if (options.response !== undefined) success.content = { [SCIM_MEDIA_TYPE]: { schema: ref(options.response) } };
  if (options.status === 201) success.headers = { Location: { description: 'The URL of the new resource', schema: { type: 'string', format: 'uri' } } };
  responses[String(options.status)] = success as never;
  for (const status of options.errors) {
    const error: Record<string, unknown> = {
      description: scimErrorDescriptions[status] ?? 'Error',
      content: { [SCIM_MEDIA_TYPE]: { schema: ref('ScimError') } },
    };
    if (status === 401) error.headers = { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } };
    responses[String(status)] = error as never;
  }
  const operation: Operation = {
    operationId: options.operationId,
    summary: options.summary,
    tags: ['SCIM 2.0'],
    security: [{ scimToken: [] }],
    responses,
  };
  if (options.description !== undefined) operation.description = options.description;
  if (options.parameters !== undefined) operation.parameters = options.parameters;
  if (options.request !== undefined) {
    operation.requestBody = {
      required: true,
      content: {
        [SCIM_MEDIA_TYPE]: { schema: ref(options.request) },
        'application/json': { schema: ref(options.request) },
      },
    };
  }
  return operation;
}
