/**
 * The SCIM 2.0 wire model shared by the pure SCIM layer (src/scim) and the store/services that use
 * it. Attribute names are case-insensitive on the wire (RFC 7643 §2.1): the filter AST carries them
 * lower-cased; resources are kept with canonical names (userName, name.givenName, ...).
 */

export const SCHEMA_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCHEMA_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCHEMA_ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCHEMA_LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCHEMA_PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCHEMA_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** A SCIM failure: rendered as an RFC 7644 §3.12 error body with this status. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | null,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** `urn:...:User:name.givenName` -> { schema: 'urn:...:user', attribute: 'name', subAttribute: 'givenname' } (all lower case). */
export interface AttrPath {
  schema: string | null;
  attribute: string;
  subAttribute: string | null;
}

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

export type ScimFilter =
  | { kind: 'and' | 'or'; left: ScimFilter; right: ScimFilter }
  | { kind: 'not'; filter: ScimFilter }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'compare'; op: CompareOp; path: AttrPath; value: FilterValue }
  /** `emails[type eq "work" and value co "x"]`: `filter` applies to each element of the multi-valued `path.attribute`. */
  | { kind: 'valuePath'; path: AttrPath; filter: ScimFilter };

/** A user as stored: canonical attribute names, no id/meta (the store adds them). */
export interface ScimUserData {
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string | null;
  /** Every other attribute the client sent (name, emails, phoneNumbers, the enterprise extension under its URN key...), canonical names. */
  attributes: Record<string, unknown>;
}

export interface ScimGroupData {
  displayName: string;
  externalId: string | null;
  /** Member user ids (SCIM ids of directory users). */
  memberIds: string[];
}
