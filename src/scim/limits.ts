/**
 * Size bounds of the SCIM wire layer: hostile or broken clients get a clear 400, never a slow parse.
 * Real Okta/Entra payloads stay far below every one of them.
 */

/** Longest filter (and PATCH path) accepted, in UTF-16 code units. */
export const MAX_FILTER_LENGTH = 4096;
/** Deepest nesting of `( )`, `not ( )` and `[ ]` accepted in a filter. */
export const MAX_FILTER_DEPTH = 32;
/** Longest string value of any attribute (userName has its own, smaller bound). */
export const MAX_STRING_LENGTH = 2048;
/** Longest userName (after trimming), group displayName and resource id accepted. */
export const MAX_USERNAME_LENGTH = 256;
/** Most values in one multi-valued user attribute (emails, phoneNumbers, roles...). */
export const MAX_MULTI_VALUES = 100;
/** Most members in one group body or one PATCH operation value (Okta pushes whole groups). */
export const MAX_GROUP_MEMBERS = 50_000;
/** Most keys in one JSON object of a resource body. */
export const MAX_OBJECT_KEYS = 500;
/** Most operations in one PATCH request. */
export const MAX_PATCH_OPERATIONS = 1000;
/** Default page size when `count` is absent (Okta pages with 100). */
export const DEFAULT_LIST_COUNT = 100;
/** Largest page served; larger `count` values are lowered to it (advertised as filter.maxResults). */
export const MAX_LIST_COUNT = 200;
/** Largest `startIndex` honoured; larger values are lowered to it (the page is empty anyway). */
export const MAX_START_INDEX = 2_147_483_647;
