/**
 * The SCIM 2.0 wire layer (RFC 7643/7644): filter parsing and evaluation, User and Group bodies,
 * PATCH, list queries, projection, discovery and error bodies. Pure: no I/O, no clock, no framework;
 * runs on Node and on Cloudflare Workers. Tolerant of what Okta and Microsoft Entra really send.
 */
export * from './types.js';
export { scimErrorBody, scimErrors, isScimError } from './errors.js';
export type { ScimErrorBody } from './errors.js';
export * from './limits.js';
export { parseFilter, parseAttrPath } from './filter.js';
export type { ParsedAttrPath } from './filter.js';
export { matchesFilter, matchesElement, isPresent } from './match.js';
export { parseUserInput, renderUser, applyUserPatch } from './user.js';
export type { RenderUserOptions } from './user.js';
export { parseGroupInput, renderGroup, applyGroupPatch } from './group.js';
export type { RenderGroupOptions } from './group.js';
export type { ApplyPatchOptions, PatchOperation, PatchOpName } from './patch.js';
export { readPatchOperations } from './patch.js';
export { renderMeta, weakEtag } from './meta.js';
export type { ScimResourceMeta } from './meta.js';
export { parseListQuery, listResponse, project } from './list.js';
export type { ScimListQuery, ScimListResponse } from './list.js';
export {
  serviceProviderConfig,
  resourceTypes,
  resourceTypeByName,
  schemas,
  schemaById,
  SCHEMA_SERVICE_PROVIDER_CONFIG,
  SCHEMA_RESOURCE_TYPE,
  SCHEMA_SCHEMA,
} from './discovery.js';
export type { ScimResourceTypeDocument, ScimSchemaDocument } from './discovery.js';
export {
  COMMON_ATTRIBUTES,
  USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  resolveAttribute,
  schemasOf,
} from './attributes.js';
export type {
  ScimAttributeDefinition,
  ScimAttributeType,
  ScimMutability,
  ScimReturned,
  ScimUniqueness,
  ScimResourceType,
  ScimSchemaDefinition,
  ResolvedAttribute,
} from './attributes.js';
