/**
 * Query parameters, ListResponse and attribute projection (RFC 7644 §3.4.2). Unknown parameters
 * (Entra's `aadOptscim062020`, `sortBy`: sorting is not supported) are ignored.
 */
import type { ScimAttributeDefinition, ScimResourceType } from './attributes.js';
import { copyJson, findExtension, getIgnoringCase, isObject, keyIgnoringCase, resolveAttribute, resourceTypeOf } from './attributes.js';
import { scimErrors } from './errors.js';
import { parseAttrPath, parseFilter } from './filter.js';
import { DEFAULT_LIST_COUNT, MAX_LIST_COUNT, MAX_START_INDEX } from './limits.js';
import type { AttrPath, ScimFilter } from './types.js';
import { SCHEMA_LIST_RESPONSE, ScimError } from './types.js';

/** A parsed list query: `startIndex` is 1-based, `count` within 0..MAX_LIST_COUNT. */
export interface ScimListQuery {
  filter: ScimFilter | null;
  startIndex: number;
  count: number;
  attributes: string[] | null;
  excludedAttributes: string[] | null;
}

/** A SCIM ListResponse (RFC 7644 §3.4.2); `Resources` is always present, empty when nothing matched. */
export interface ScimListResponse<T> {
  schemas: [typeof SCHEMA_LIST_RESPONSE];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

function param(query: Record<string, string | undefined>, name: string): string | undefined {
  const value = getIgnoringCase(query, name);
  return typeof value === 'string' ? value : undefined;
}

function integer(query: Record<string, string | undefined>, name: string): number | undefined {
  const raw = param(query, name)?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^[+-]?[0-9]+$/.test(raw)) throw scimErrors.invalidValue(`${name} must be an integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

function attributeList(query: Record<string, string | undefined>, name: string): string[] | null {
  const raw = param(query, name);
  if (raw === undefined) return null;
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) return null;
  for (const entry of entries) {
    try {
      const parsed = parseAttrPath(entry);
      if (parsed.valueFilter !== null) throw scimErrors.invalidValue('no value filters here');
    } catch (error) {
      if (error instanceof ScimError) throw scimErrors.invalidValue(`${name} must list attribute paths; ${JSON.stringify(entry.slice(0, 40))} is not one`);
      throw error;
    }
  }
  return entries;
}

/**
 * Parses list query parameters (names case-insensitive): `filter`, `startIndex` (<1 -> 1),
 * `count` (default 100, negative -> 0, above MAX_LIST_COUNT -> MAX_LIST_COUNT), `attributes`,
 * `excludedAttributes`. Throws invalidFilter for a bad filter, invalidValue for non-integers.
 */
export function parseListQuery(query: Record<string, string | undefined>): ScimListQuery {
  const filterText = param(query, 'filter');
  const startIndex = integer(query, 'startIndex') ?? 1;
  const count = integer(query, 'count') ?? DEFAULT_LIST_COUNT;
  return {
    filter: filterText === undefined || filterText.trim() === '' ? null : parseFilter(filterText),
    startIndex: Math.min(Math.max(startIndex, 1), MAX_START_INDEX),
    count: Math.min(Math.max(count, 0), MAX_LIST_COUNT),
    attributes: attributeList(query, 'attributes'),
    excludedAttributes: attributeList(query, 'excludedAttributes'),
  };
}

/** Wraps a page of resources in a ListResponse; the numbers are integers as Okta requires. */
export function listResponse<T>(resources: T[], page: { totalResults: number; startIndex: number; itemsPerPage: number }): ScimListResponse<T> {
  return {
    schemas: [SCHEMA_LIST_RESPONSE],
    totalResults: Math.trunc(page.totalResults),
    startIndex: Math.trunc(page.startIndex),
    itemsPerPage: Math.trunc(page.itemsPerPage),
    Resources: resources,
  };
}

/** A projection target: a whole extension object, or an attribute (with optional sub-attribute). */
type Target = { kind: 'extension'; urn: string } | { kind: 'attribute'; container: string | null; name: string; sub: string | null; definition: ScimAttributeDefinition | null };

function targetOf(resourceType: ScimResourceType, entry: string): Target | null {
  const extension = findExtension(resourceType, entry);
  if (extension !== undefined) return { kind: 'extension', urn: extension.id };
  let path: AttrPath;
  try {
    const parsed = parseAttrPath(entry);
    if (parsed.valueFilter !== null) return null;
    path = parsed.path;
  } catch {
    return null;
  }
  const resolved = resolveAttribute(resourceType, path);
  if (resolved === null) return path.schema === null ? { kind: 'attribute', container: null, name: path.attribute, sub: path.subAttribute, definition: null } : null;
  return {
    kind: 'attribute',
    container: resolved.extension,
    name: resolved.attribute.name,
    sub: resolved.subAttribute?.name ?? null,
    definition: resolved.subAttribute ?? resolved.attribute,
  };
}

function copyTarget(source: Record<string, unknown>, result: Record<string, unknown>, target: Target): void {
  if (target.kind === 'extension') {
    const key = keyIgnoringCase(source, target.urn);
    if (key !== undefined) result[key] = copyJson(source[key]);
    return;
  }
  let from: Record<string, unknown> = source;
  let into: Record<string, unknown> = result;
  if (target.container !== null) {
    const key = keyIgnoringCase(source, target.container);
    const inner = key === undefined ? undefined : source[key];
    if (key === undefined || !isObject(inner)) return;
    from = inner;
    into = isObject(result[key]) ? (result[key] as Record<string, unknown>) : (result[key] = {});
  }
  const key = keyIgnoringCase(from, target.name);
  if (key === undefined) return;
  const value = from[key];
  if (target.sub === null) {
    into[key] = copyJson(value);
    return;
  }
  const sub = target.sub;
  const pick = (element: unknown, existing: unknown): unknown => {
    if (!isObject(element)) return existing;
    const subKey = keyIgnoringCase(element, sub);
    const merged: Record<string, unknown> = isObject(existing) ? existing : {};
    if (subKey !== undefined) merged[subKey] = copyJson(element[subKey]);
    return merged;
  };
  if (Array.isArray(value)) {
    const previous = Array.isArray(into[key]) ? (into[key] as unknown[]) : [];
    into[key] = value.map((element, index) => pick(element, previous[index]));
  } else if (isObject(value)) {
    into[key] = pick(value, into[key]);
  }
}

function removeTarget(resource: Record<string, unknown>, target: Target): void {
  if (target.kind === 'extension') {
    const key = keyIgnoringCase(resource, target.urn);
    if (key !== undefined) delete resource[key];
    return;
  }
  if (target.definition?.returned === 'always') return;
  let container: Record<string, unknown> = resource;
  let containerKey: string | undefined;
  if (target.container !== null) {
    containerKey = keyIgnoringCase(resource, target.container);
    const inner = containerKey === undefined ? undefined : resource[containerKey];
    if (!isObject(inner)) return;
    container = inner;
  }
  const key = keyIgnoringCase(container, target.name);
  if (key === undefined) return;
  if (target.sub === null) delete container[key];
  else {
    const value = container[key];
    for (const element of Array.isArray(value) ? value : [value]) {
      const subKey = isObject(element) ? keyIgnoringCase(element, target.sub) : undefined;
      if (subKey !== undefined) delete (element as Record<string, unknown>)[subKey];
    }
  }
  if (containerKey !== undefined && Object.keys(container).length === 0) delete resource[containerKey];
}

/**
 * Projects a rendered resource per RFC 7644 §3.4.2.5: with `attributes`, only those (plus `id` and
 * `schemas`, always returned); with `excludedAttributes`, all but those (`id` cannot be excluded).
 * Names are case-insensitive; `name.familyName`, `emails.value` and URN-qualified paths work.
 * When both are given, `attributes` selects first and `excludedAttributes` then removes.
 */
export function project(resource: Record<string, unknown>, attributes: string[] | null, excludedAttributes: string[] | null): Record<string, unknown> {
  const resourceType = resourceTypeOf(resource);
  let result: Record<string, unknown>;
  if (attributes !== null && attributes.length > 0) {
    result = {};
    if (resource.schemas !== undefined) result.schemas = copyJson(resource.schemas);
    if (resource.id !== undefined) result.id = resource.id;
    for (const entry of attributes) {
      const target = targetOf(resourceType, entry);
      if (target !== null) copyTarget(resource, result, target);
    }
  } else {
    result = copyJson(resource);
  }
  for (const entry of excludedAttributes ?? []) {
    const target = targetOf(resourceType, entry);
    if (target !== null) removeTarget(result, target);
  }
  // `schemas` lists only the extensions still present.
  if (Array.isArray(result.schemas)) {
    result.schemas = result.schemas.filter((urn) => typeof urn !== 'string' || findExtension(resourceType, urn) === undefined || keyIgnoringCase(result, urn) !== undefined);
  }
  return result;
}
