/**
 * SCIM error bodies (RFC 7644 §3.12) and constructors for the failures this layer raises.
 * Only the HTTP layer turns a ScimError into a response; this file only shapes its body.
 */
import type { ScimType } from './types.js';
import { SCHEMA_ERROR, ScimError } from './types.js';

/** The JSON body of a SCIM error response. */
export interface ScimErrorBody {
  schemas: [typeof SCHEMA_ERROR];
  /** The HTTP status code as a JSON string ("400"), as RFC 7644 §3.12 requires. */
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** Renders a ScimError as an RFC 7644 §3.12 body: `status` is a string, `scimType` only when set. */
export function scimErrorBody(error: ScimError): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [SCHEMA_ERROR], status: String(error.status), detail: error.detail };
  if (error.scimType !== null) body.scimType = error.scimType;
  return body;
}

/** True when `value` is a ScimError (also across bundles, where `instanceof` may fail). */
export function isScimError(value: unknown): value is ScimError {
  if (value instanceof ScimError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { status?: unknown; scimType?: unknown; detail?: unknown };
  return (
    typeof candidate.status === 'number' &&
    typeof candidate.detail === 'string' &&
    (candidate.scimType === null || typeof candidate.scimType === 'string') &&
    value instanceof Error
  );
}

/** Constructors for the common SCIM failures, each with the RFC status and scimType. */
export const scimErrors = {
  /** 400 invalidFilter: the filter syntax is wrong, or the attribute/operator combination is not supported. */
  invalidFilter: (detail: string) => new ScimError(400, 'invalidFilter', detail),
  /** 400 invalidSyntax: the request body is not a well-formed SCIM message. */
  invalidSyntax: (detail: string) => new ScimError(400, 'invalidSyntax', detail),
  /** 400 invalidValue: a required value is missing or a value has the wrong type or size. */
  invalidValue: (detail: string) => new ScimError(400, 'invalidValue', detail),
  /** 400 invalidPath: a PATCH path is malformed or names an unknown attribute. */
  invalidPath: (detail: string) => new ScimError(400, 'invalidPath', detail),
  /** 400 noTarget: a PATCH path selected nothing it could act on (e.g. remove without a path). */
  noTarget: (detail: string) => new ScimError(400, 'noTarget', detail),
  /** 400 mutability: an attempt to change a readOnly/immutable attribute or to unassign a required one. */
  mutability: (detail: string) => new ScimError(400, 'mutability', detail),
  /** 400 tooMany: the query would return more results than the server will process. */
  tooMany: (detail: string) => new ScimError(400, 'tooMany', detail),
  /** 409 uniqueness: a value that must be unique (userName, group displayName) is already taken. */
  uniqueness: (detail: string) => new ScimError(409, 'uniqueness', detail),
  /** 404 (no scimType): the resource or endpoint does not exist. */
  notFound: (detail: string) => new ScimError(404, null, detail),
  /** 401 (no scimType): the bearer token is missing, malformed or revoked. */
  unauthorized: (detail: string) => new ScimError(401, null, detail),
  /** 413 (no scimType): the request body is larger than the server accepts. */
  payloadTooLarge: (detail: string) => new ScimError(413, null, detail),
} as const;
