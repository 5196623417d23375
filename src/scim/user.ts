/**
 * SCIM Users on the wire: POST/PUT bodies -> ScimUserData, ScimUserData -> User JSON, and PATCH.
 * Tolerant of what Okta and Entra really send (readOnly id/meta/groups, password, unknown schema URIs,
 * nulls, string booleans, any attribute casing); strict on types and sizes (400 with a clear detail).
 */
import type { ScimAttributeDefinition } from './attributes.js';
import { COMMON_ATTRIBUTES, ENTERPRISE_USER_SCHEMA, USER_SCHEMA, copyJson, findDefinition, findExtension, getIgnoringCase, isObject, resolveAttribute } from './attributes.js';
import { scimErrors } from './errors.js';
import { parseAttrPath } from './filter.js';
import { MAX_USERNAME_LENGTH } from './limits.js';
import { checkKeyCount, normalizeAttribute } from './normalize.js';
import { applyAtPath, applyPatchOperations, readPatchOperations } from './patch.js';
import type { ApplyPatchOptions, PatchContext } from './patch.js';
import type { ScimResourceMeta } from './meta.js';
import { renderMeta } from './meta.js';
import type { ScimUserData } from './types.js';
import { SCHEMA_ENTERPRISE_USER, SCHEMA_USER, ScimError } from './types.js';

/** Extra, computed parts of a rendered user. */
export interface RenderUserOptions {
  /** The groups the user belongs to (readOnly `groups`, RFC 7643 §4.1.2). */
  groups?: ReadonlyArray<{ value: string; display?: string; $ref?: string }>;
}

// Top-level fields of ScimUserData (the rest lives in `attributes`), and what a client may not set.
const FIELDS = new Set(['username', 'externalid', 'active', 'displayname']);
const IGNORED = new Set(['schemas', 'id', 'meta', 'groups', 'password']);
const STORED_ATTRIBUTES: readonly ScimAttributeDefinition[] = USER_SCHEMA.attributes.filter(
  (definition) => !FIELDS.has(definition.name.toLowerCase()) && definition.mutability !== 'readOnly',
);
const EXTERNAL_ID = findDefinition(COMMON_ATTRIBUTES, 'externalId') as ScimAttributeDefinition;
const DISPLAY_NAME = findDefinition(USER_SCHEMA.attributes, 'displayName') as ScimAttributeDefinition;
const ACTIVE = findDefinition(USER_SCHEMA.attributes, 'active') as ScimAttributeDefinition;

/** ScimUserData -> the canonical document the PATCH applier works on (a deep copy). */
function toDocument(data: ScimUserData): Record<string, unknown> {
  const document: Record<string, unknown> = copyJson(data.attributes);
  document.userName = data.userName;
  document.active = data.active;
  if (data.externalId !== null) document.externalId = data.externalId;
  if (data.displayName !== null) document.displayName = data.displayName;
  return document;
}

/** A canonical document -> validated ScimUserData; `patching` turns a missing userName into `mutability`. */
function fromDocument(document: Record<string, unknown>, patching: boolean): ScimUserData {
  const rawUserName = getIgnoringCase(document, 'userName');
  if (rawUserName !== undefined && rawUserName !== null && typeof rawUserName !== 'string') throw scimErrors.invalidValue('userName must be a string');
  const userName = typeof rawUserName === 'string' ? rawUserName.trim() : '';
  if (userName === '') {
    throw patching ? scimErrors.mutability('userName is required and cannot be removed') : scimErrors.invalidValue('userName is required (a non-empty string)');
  }
  if (userName.length > MAX_USERNAME_LENGTH) throw scimErrors.invalidValue(`userName is longer than ${MAX_USERNAME_LENGTH} characters`);
  const active = normalizeAttribute(ACTIVE, getIgnoringCase(document, 'active'), 'active') as boolean | undefined;
  const attributes: Record<string, unknown> = {};
  for (const definition of STORED_ATTRIBUTES) {
    const value = normalizeAttribute(definition, getIgnoringCase(document, definition.name), definition.name);
    if (value !== undefined) attributes[definition.name] = value;
  }
  const extension = getIgnoringCase(document, SCHEMA_ENTERPRISE_USER);
  if (extension !== undefined && extension !== null) {
    if (!isObject(extension)) throw scimErrors.invalidValue(`${SCHEMA_ENTERPRISE_USER} must be an object`);
    checkKeyCount(extension, SCHEMA_ENTERPRISE_USER);
    const out: Record<string, unknown> = {};
    for (const definition of ENTERPRISE_USER_SCHEMA.attributes) {
      const value = normalizeAttribute(definition, getIgnoringCase(extension, definition.name), definition.name);
      if (value !== undefined) out[definition.name] = value;
    }
    if (Object.keys(out).length > 0) attributes[SCHEMA_ENTERPRISE_USER] = out;
  }
  return {
    userName,
    externalId: (normalizeAttribute(EXTERNAL_ID, getIgnoringCase(document, 'externalId'), 'externalId') as string | undefined) ?? null,
    active: active ?? true,
    displayName: (normalizeAttribute(DISPLAY_NAME, getIgnoringCase(document, 'displayName'), 'displayName') as string | undefined) ?? null,
    attributes,
  };
}

/** Parses a POST or PUT /Users body into ScimUserData; throws ScimError 400 (invalidSyntax, invalidValue). */
export function parseUserInput(body: unknown): ScimUserData {
  if (!isObject(body)) throw scimErrors.invalidSyntax('The request body must be a JSON object (a SCIM User)');
  checkKeyCount(body, 'The User');
  const document: Record<string, unknown> = {};
  const pathKeys: [string, unknown][] = [];
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (IGNORED.has(lower)) continue;
    const extension = findExtension('User', key);
    if (extension !== undefined) document[extension.id] = value;
    else if (key.includes(':') || key.includes('.')) pathKeys.push([key, value]);
    else {
      const definition = findDefinition(COMMON_ATTRIBUTES, key) ?? findDefinition(USER_SCHEMA.attributes, key);
      // Unknown attributes of unknown schemas are dropped (RFC 7644 §3.3 lets the server ignore them).
      if (definition !== undefined) document[definition.name] = value;
    }
  }
  // Qualified and dotted keys (`urn:...:enterprise:2.0:User:department`, `name.givenName`) are laid over
  // the plain ones; everything is validated and canonicalised once, at the end.
  const context: PatchContext = { resourceType: 'User' };
  for (const [key, value] of pathKeys) {
    if (isKnownWritablePath(key)) applyAtPath(document, 'replace', key, value, context, true);
  }
  return fromDocument(document, false);
}

function isKnownWritablePath(key: string): boolean {
  try {
    const parsed = parseAttrPath(key);
    if (parsed.valueFilter !== null) return false;
    const resolved = resolveAttribute('User', parsed.path);
    return resolved !== null && !['id', 'meta', 'groups'].includes(resolved.attribute.name);
  } catch (error) {
    if (error instanceof ScimError) return false;
    throw error;
  }
}

/** Renders a stored user as SCIM User JSON (core schema, plus the enterprise extension when set); never a password. */
export function renderUser(id: string, data: ScimUserData, meta: ScimResourceMeta, options: RenderUserOptions = {}): Record<string, unknown> {
  const schemas = [SCHEMA_USER];
  const resource: Record<string, unknown> = { schemas, id };
  if (data.externalId !== null) resource.externalId = data.externalId;
  resource.userName = data.userName;
  if (data.displayName !== null) resource.displayName = data.displayName;
  for (const definition of STORED_ATTRIBUTES) {
    const value = data.attributes[definition.name];
    if (value !== undefined && value !== null) resource[definition.name] = copyJson(value);
  }
  resource.active = data.active;
  if (options.groups !== undefined && options.groups.length > 0) {
    resource.groups = options.groups.map((group) => ({ ...group, type: 'direct' }));
  }
  const extension = data.attributes[SCHEMA_ENTERPRISE_USER];
  if (isObject(extension) && Object.keys(extension).length > 0) {
    schemas.push(SCHEMA_ENTERPRISE_USER);
    resource[SCHEMA_ENTERPRISE_USER] = copyJson(extension);
  }
  resource.meta = renderMeta('User', meta);
  return resource;
}

/** Applies an RFC 7644 §3.5.2 PatchOp body to a user; atomic (the input is never modified); throws ScimError. */
export function applyUserPatch(current: ScimUserData, body: unknown, options: ApplyPatchOptions = {}): ScimUserData {
  const operations = readPatchOperations(body);
  const document = toDocument(current);
  const context: PatchContext = { resourceType: 'User' };
  if (options.id !== undefined) context.id = options.id;
  applyPatchOperations(document, operations, context);
  return fromDocument(document, true);
}
