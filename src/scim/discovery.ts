/**
 * Discovery documents (RFC 7644 §4, RFC 7643 §5-7): /ServiceProviderConfig, /ResourceTypes, /Schemas,
 * built from the same attribute definitions the parsers use, so what we advertise is what we accept.
 * `baseUrl` is the tenant's SCIM base URL (`https://host/scim/v2/<company>`), with or without a trailing slash.
 */
import type { ScimAttributeDefinition, ScimSchemaDefinition } from './attributes.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './attributes.js';
import { MAX_LIST_COUNT } from './limits.js';
import { SCHEMA_ENTERPRISE_USER, SCHEMA_GROUP, SCHEMA_USER } from './types.js';

export const SCHEMA_SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const SCHEMA_RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** A /ResourceTypes entry (RFC 7643 §6). */
export interface ScimResourceTypeDocument {
  schemas: [typeof SCHEMA_RESOURCE_TYPE];
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
  meta: { resourceType: 'ResourceType'; location: string };
}

/** A /Schemas entry (RFC 7643 §7). */
export interface ScimSchemaDocument {
  schemas: [typeof SCHEMA_SCHEMA];
  id: string;
  name: string;
  description: string;
  attributes: Record<string, unknown>[];
  meta: { resourceType: 'Schema'; location: string };
}

const trim = (baseUrl: string) => baseUrl.replace(/\/+$/, '');

/** The /ServiceProviderConfig document: PATCH and filter yes (maxResults MAX_LIST_COUNT); bulk, sort, etag, changePassword no. */
export function serviceProviderConfig(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SCHEMA_SERVICE_PROVIDER_CONFIG],
    documentationUri: 'https://www.rfc-editor.org/rfc/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_LIST_COUNT },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: "Authentication with the company's SCIM bearer token: Authorization: Bearer <token>",
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${trim(baseUrl)}/ServiceProviderConfig` },
  };
}

/** The /ResourceTypes documents: User (with the optional enterprise extension) and Group. */
export function resourceTypes(baseUrl: string): ScimResourceTypeDocument[] {
  const base = trim(baseUrl);
  return [
    {
      schemas: [SCHEMA_RESOURCE_TYPE],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: SCHEMA_USER,
      schemaExtensions: [{ schema: SCHEMA_ENTERPRISE_USER, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [SCHEMA_RESOURCE_TYPE],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: SCHEMA_GROUP,
      schemaExtensions: [],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

/** One resource type by name (case-insensitive), or undefined. */
export function resourceTypeByName(baseUrl: string, name: string): ScimResourceTypeDocument | undefined {
  return resourceTypes(baseUrl).find((type) => type.name.toLowerCase() === name.toLowerCase());
}

function renderAttribute(definition: ScimAttributeDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: definition.name,
    type: definition.type,
    multiValued: definition.multiValued,
    description: definition.description,
    required: definition.required,
    caseExact: definition.caseExact,
    mutability: definition.mutability,
    returned: definition.returned,
    uniqueness: definition.uniqueness,
  };
  if (definition.canonicalValues !== undefined) out.canonicalValues = [...definition.canonicalValues];
  if (definition.referenceTypes !== undefined) out.referenceTypes = [...definition.referenceTypes];
  if (definition.subAttributes !== undefined) out.subAttributes = definition.subAttributes.map(renderAttribute);
  return out;
}

function renderSchema(schema: ScimSchemaDefinition, baseUrl: string | undefined): ScimSchemaDocument {
  const location = baseUrl === undefined ? `/Schemas/${schema.id}` : `${trim(baseUrl)}/Schemas/${schema.id}`;
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(renderAttribute),
    meta: { resourceType: 'Schema', location },
  };
}

/** The /Schemas documents: User, EnterpriseUser, Group; `meta.location` is relative without `baseUrl`. */
export function schemas(baseUrl?: string): ScimSchemaDocument[] {
  return [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA].map((schema) => renderSchema(schema, baseUrl));
}

/** One schema by URN (case-insensitive), or undefined. */
export function schemaById(id: string, baseUrl?: string): ScimSchemaDocument | undefined {
  return schemas(baseUrl).find((schema) => schema.id.toLowerCase() === id.toLowerCase());
}
