/**
 * SCIM Groups on the wire: POST/PUT bodies -> ScimGroupData, rendering, and PATCH in every shape Okta
 * and Entra send (membership add/remove/replace, the Entra legacy remove-by-value, renames that echo id).
 */
import type { ScimAttributeDefinition } from './attributes.js';
import { COMMON_ATTRIBUTES, GROUP_SCHEMA, findDefinition, getIgnoringCase, isObject } from './attributes.js';
import { scimErrors } from './errors.js';
import { MAX_USERNAME_LENGTH } from './limits.js';
import { checkKeyCount, normalizeAttribute } from './normalize.js';
import { applyPatchOperations, readPatchOperations } from './patch.js';
import type { ApplyPatchOptions, PatchContext } from './patch.js';
import type { ScimResourceMeta } from './meta.js';
import { renderMeta } from './meta.js';
import type { ScimGroupData } from './types.js';
import { SCHEMA_GROUP } from './types.js';

/** Extra, computed parts of a rendered group. */
export interface RenderGroupOptions {
  /** Member id -> display name (the member's userName or displayName), rendered as `members[].display`. */
  memberDisplay?: ReadonlyMap<string, string>;
  /** Member id -> absolute URL of the member (`members[].$ref`). */
  memberRef?: (memberId: string) => string;
}

const DISPLAY_NAME = findDefinition(GROUP_SCHEMA.attributes, 'displayName') as ScimAttributeDefinition;
const MEMBERS = findDefinition(GROUP_SCHEMA.attributes, 'members') as ScimAttributeDefinition;
const EXTERNAL_ID = findDefinition(COMMON_ATTRIBUTES, 'externalId') as ScimAttributeDefinition;

function toDocument(data: ScimGroupData): Record<string, unknown> {
  const document: Record<string, unknown> = { displayName: data.displayName };
  if (data.externalId !== null) document.externalId = data.externalId;
  if (data.memberIds.length > 0) document.members = data.memberIds.map((value) => ({ value }));
  return document;
}

/** Member ids from canonical member elements: each needs a `value`; only users; duplicates dropped. */
function memberIdsOf(members: unknown): string[] {
  if (members === undefined) return [];
  const ids = new Set<string>();
  (members as Record<string, unknown>[]).forEach((member, index) => {
    const value = member.value;
    if (typeof value !== 'string') throw scimErrors.invalidValue(`members[${index}].value is required (the member's id)`);
    if (value.length > MAX_USERNAME_LENGTH) throw scimErrors.invalidValue(`members[${index}].value is longer than ${MAX_USERNAME_LENGTH} characters`);
    const type = member.type;
    if (typeof type === 'string' && type.toLowerCase() !== 'user') {
      throw scimErrors.invalidValue(`members[${index}].type ${JSON.stringify(type)} is not supported: members are users (no nested groups)`);
    }
    ids.add(value);
  });
  return [...ids];
}

function fromDocument(document: Record<string, unknown>, patching: boolean): ScimGroupData {
  const raw = getIgnoringCase(document, 'displayName');
  if (raw !== undefined && raw !== null && typeof raw !== 'string') throw scimErrors.invalidValue('displayName must be a string');
  const displayName = (normalizeAttribute(DISPLAY_NAME, raw, 'displayName') as string | undefined)?.trim() ?? '';
  if (displayName === '') {
    throw patching ? scimErrors.mutability('displayName is required and cannot be removed') : scimErrors.invalidValue('displayName is required (a non-empty string)');
  }
  if (displayName.length > MAX_USERNAME_LENGTH) throw scimErrors.invalidValue(`displayName is longer than ${MAX_USERNAME_LENGTH} characters`);
  return {
    displayName,
    externalId: (normalizeAttribute(EXTERNAL_ID, getIgnoringCase(document, 'externalId'), 'externalId') as string | undefined) ?? null,
    memberIds: memberIdsOf(normalizeAttribute(MEMBERS, getIgnoringCase(document, 'members'), 'members')),
  };
}

/** Parses a POST or PUT /Groups body: displayName required, members -> deduplicated memberIds; throws ScimError 400. */
export function parseGroupInput(body: unknown): ScimGroupData {
  if (!isObject(body)) throw scimErrors.invalidSyntax('The request body must be a JSON object (a SCIM Group)');
  checkKeyCount(body, 'The Group');
  // id, meta, schemas (Entra adds its ADSCIM Group URI) and unknown attributes are ignored.
  return fromDocument(body, false);
}

/** Renders a stored group as SCIM Group JSON; `members` is always an array (empty when none). */
export function renderGroup(id: string, data: ScimGroupData, meta: ScimResourceMeta, options: RenderGroupOptions = {}): Record<string, unknown> {
  const resource: Record<string, unknown> = { schemas: [SCHEMA_GROUP], id };
  if (data.externalId !== null) resource.externalId = data.externalId;
  resource.displayName = data.displayName;
  resource.members = data.memberIds.map((memberId) => {
    const member: Record<string, unknown> = { value: memberId };
    const display = options.memberDisplay?.get(memberId);
    if (display !== undefined) member.display = display;
    if (options.memberRef !== undefined) member.$ref = options.memberRef(memberId);
    member.type = 'User';
    return member;
  });
  resource.meta = renderMeta('Group', meta);
  return resource;
}

/** Applies an RFC 7644 §3.5.2 PatchOp body to a group; atomic (the input is never modified); throws ScimError. */
export function applyGroupPatch(current: ScimGroupData, body: unknown, options: ApplyPatchOptions = {}): ScimGroupData {
  const operations = readPatchOperations(body);
  const document = toDocument(current);
  const context: PatchContext = { resourceType: 'Group' };
  if (options.id !== undefined) context.id = options.id;
  applyPatchOperations(document, operations, context);
  return fromDocument(document, true);
}
