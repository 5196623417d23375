/**
 * RFC 7644 §3.5.2 PatchOp over a resource document (canonical JSON without id/meta), as Okta and Entra
 * send it: case-insensitive `op`, no-path value objects with plain, dotted and URN-qualified keys,
 * value-filter paths that create the missing entry, legacy Entra member removal by value. The caller
 * passes a deep copy and validates the result, so a failing operation leaves nothing half-applied.
 */
import type { ScimAttributeDefinition, ScimResourceType } from './attributes.js';
import { findDefinition, findExtension, getIgnoringCase, isObject, keyIgnoringCase, resolveAttribute } from './attributes.js';
import { scimErrors } from './errors.js';
import { parseAttrPath } from './filter.js';
import type { ParsedAttrPath } from './filter.js';
import { MAX_PATCH_OPERATIONS } from './limits.js';
import { matchesElement } from './match.js';
import { checkKeyCount, keepOnePrimary, maxItemsOf, normalizeAttribute, normalizeSingle } from './normalize.js';
import type { ScimFilter } from './types.js';
import { ScimError } from './types.js';

export type PatchOpName = 'add' | 'replace' | 'remove';

/** One validated PATCH operation. */
export interface PatchOperation {
  op: PatchOpName;
  path: string | null;
  /** `undefined` when the operation has no `value` member. */
  value: unknown;
}

/** What the applier needs to know about the resource being patched. */
export interface PatchContext {
  resourceType: ScimResourceType;
  /** The resource's id: a PATCH that "sets" it to this same value (Okta group rename) is tolerated. */
  id?: string;
}

/** Options of applyUserPatch/applyGroupPatch: the resource id, so a client echoing it (Okta) is tolerated and a different one refused. */
export interface ApplyPatchOptions {
  id?: string;
}

/** Reads and checks a PatchOp body: an object with an `Operations` array (any casing); `schemas` is not enforced. */
export function readPatchOperations(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw scimErrors.invalidSyntax('A PATCH body must be a JSON object with an "Operations" array');
  const operations = getIgnoringCase(body, 'Operations');
  if (!Array.isArray(operations)) throw scimErrors.invalidSyntax('A PATCH body needs an "Operations" array (RFC 7644 §3.5.2)');
  if (operations.length > MAX_PATCH_OPERATIONS) throw scimErrors.invalidValue(`A PATCH may carry at most ${MAX_PATCH_OPERATIONS} operations`);
  return operations.map((raw, index) => {
    if (!isObject(raw)) throw scimErrors.invalidSyntax(`Operations[${index}] must be an object`);
    const op = getIgnoringCase(raw, 'op');
    const name = typeof op === 'string' ? op.trim().toLowerCase() : '';
    if (name !== 'add' && name !== 'replace' && name !== 'remove') {
      throw scimErrors.invalidSyntax(`Operations[${index}].op must be "add", "replace" or "remove", got ${JSON.stringify(op ?? null)}`);
    }
    const path = getIgnoringCase(raw, 'path');
    if (path !== undefined && path !== null && typeof path !== 'string') throw scimErrors.invalidPath(`Operations[${index}].path must be a string`);
    const value = getIgnoringCase(raw, 'value');
    if (name !== 'remove' && value === undefined) throw scimErrors.invalidSyntax(`Operations[${index}] (${name}) needs a "value"`);
    const trimmed = typeof path === 'string' ? path.trim() : '';
    return { op: name, path: trimmed === '' ? null : trimmed, value };
  });
}

/** Applies operations in order to `document` (mutated); each failure names its operation index. */
export function applyPatchOperations(document: Record<string, unknown>, operations: PatchOperation[], context: PatchContext): void {
  operations.forEach((operation, index) => {
    try {
      applyOperation(document, operation, context);
    } catch (error) {
      if (error instanceof ScimError) throw new ScimError(error.status, error.scimType, `Operations[${index}]: ${error.detail}`);
      throw error;
    }
  });
}

function applyOperation(document: Record<string, unknown>, operation: PatchOperation, context: PatchContext): void {
  if (operation.path !== null) {
    applyAtPath(document, operation.op, operation.path, operation.value, context, false);
    return;
  }
  if (operation.op === 'remove') throw scimErrors.noTarget('"remove" needs a "path" (RFC 7644 §3.5.2.2)');
  if (!isObject(operation.value)) throw scimErrors.invalidSyntax(`"${operation.op}" without a "path" needs an object "value"`);
  checkKeyCount(operation.value, 'value');
  // Each key is a path: `active`, Entra's `name.givenName` and `urn:...:enterprise:2.0:User:employeeNumber`.
  for (const [key, value] of Object.entries(operation.value)) applyAtPath(document, operation.op, key, value, context, true);
}

/**
 * One add/replace/remove at a path. `inValueObject`: the path is a key of a no-path value object, where
 * read-only attributes (meta, groups, schemas) are silently ignored as in a PUT body.
 */
export function applyAtPath(document: Record<string, unknown>, op: PatchOpName, rawPath: string, value: unknown, context: PatchContext, inValueObject: boolean): void {
  const path = rawPath.trim();
  const lower = path.toLowerCase();
  if (lower === 'schemas') return;
  const extension = findExtension(context.resourceType, path);
  if (extension !== undefined) {
    applyToExtension(document, op, extension.id, value, context);
    return;
  }
  const parsed = parseAttrPath(path);
  // password is writeOnly and never stored (Okta sends it); accepting and dropping it is the honest answer.
  if (parsed.path.attribute === 'password' && parsed.path.subAttribute === null && parsed.valueFilter === null) return;
  const resolved = resolveAttribute(context.resourceType, parsed.path);
  if (resolved === null) throw scimErrors.invalidPath(`unknown attribute ${JSON.stringify(path)}`);
  const definition = resolved.attribute;
  if (definition.name === 'id') {
    if (op !== 'remove' && (context.id === undefined || value === context.id)) return;
    throw scimErrors.mutability('"id" is readOnly');
  }
  const readOnly = definition.mutability === 'readOnly' || resolved.subAttribute?.mutability === 'readOnly';
  if (readOnly) {
    if (inValueObject) return;
    throw scimErrors.mutability(`${JSON.stringify(path)} is readOnly`);
  }
  let container: Record<string, unknown> = document;
  const extensionKey = resolved.extension === null ? null : (keyIgnoringCase(document, resolved.extension) ?? resolved.extension);
  if (extensionKey !== null) {
    if (!isObject(document[extensionKey])) {
      if (op === 'remove') return;
      document[extensionKey] = {};
    }
    container = document[extensionKey] as Record<string, unknown>;
  }
  if (definition.multiValued) applyMultiValued(container, op, definition, parsed, value, path);
  else applySingleValued(container, op, definition, resolved.subAttribute, parsed, value, path);
  if (extensionKey !== null && Object.keys(container).length === 0) delete document[extensionKey];
}

/** The whole extension object as the target: add/replace merge its attributes, remove drops it. */
function applyToExtension(document: Record<string, unknown>, op: PatchOpName, urn: string, value: unknown, context: PatchContext): void {
  const key = keyIgnoringCase(document, urn);
  if (op === 'remove' || (op === 'replace' && value === null)) {
    if (key !== undefined) delete document[key];
    return;
  }
  if (value === null) return;
  if (!isObject(value)) throw scimErrors.invalidValue(`${urn} must be an object`);
  checkKeyCount(value, urn);
  for (const [key, sub] of Object.entries(value)) applyAtPath(document, op, `${urn}:${key}`, sub, context, true);
}

function setOrDelete(container: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete container[key];
  else container[key] = value;
}

function applySingleValued(
  container: Record<string, unknown>,
  op: PatchOpName,
  definition: ScimAttributeDefinition,
  subDefinition: ScimAttributeDefinition | null,
  parsed: ParsedAttrPath,
  value: unknown,
  path: string,
): void {
  if (parsed.valueFilter !== null) throw scimErrors.invalidPath(`${definition.name} is single-valued: a value filter needs a multi-valued attribute`);
  const name = definition.name;
  const current = container[name];
  if (subDefinition !== null) {
    // name.givenName, urn:...:manager.value
    const object = isObject(current) ? current : {};
    setOrDelete(object, subDefinition.name, op === 'remove' ? undefined : normalizeAttribute(subDefinition, value, path));
    setOrDelete(container, name, Object.keys(object).length > 0 ? object : undefined);
    return;
  }
  if (op === 'remove') {
    delete container[name];
    return;
  }
  const normalized = normalizeAttribute(definition, value, path);
  if (definition.type === 'complex' && isObject(current) && isObject(normalized) && !findDefinition(definition.subAttributes ?? [], 'value')) {
    // RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes not given are left unchanged. A reference (manager) is replaced whole.
    container[name] = { ...current, ...normalized };
    return;
  }
  setOrDelete(container, name, normalized);
}

function applyMultiValued(
  container: Record<string, unknown>,
  op: PatchOpName,
  definition: ScimAttributeDefinition,
  parsed: ParsedAttrPath,
  value: unknown,
  path: string,
): void {
  const name = definition.name;
  const subAttributes = definition.subAttributes ?? [];
  const current = container[name];
  let list: Record<string, unknown>[] = Array.isArray(current) ? (current.filter(isObject) as Record<string, unknown>[]) : [];
  const wasPrimary = new Set(list.filter((element) => element.primary === true));
  // `emails.value` (no filter) and `emails[...].value` both target a sub-attribute of the elements.
  const subName = parsed.valueFilter !== null ? parsed.subAttribute : parsed.path.subAttribute;
  const sub = subName === null ? null : findDefinition(subAttributes, subName);
  if (sub === undefined) throw scimErrors.invalidPath(`${name} has no sub-attribute ${JSON.stringify(subName)}`);
  if (sub?.mutability === 'readOnly') throw scimErrors.mutability(`${name}.${sub.name} is readOnly`);

  if (parsed.valueFilter === null && sub === null) {
    if (op === 'replace') {
      list = (normalizeAttribute(definition, value, path) as Record<string, unknown>[] | undefined) ?? [];
    } else if (op === 'add') {
      const added = (normalizeAttribute(definition, value, path) as Record<string, unknown>[] | undefined) ?? [];
      const seen = new Set(list.map(stableJson));
      for (const element of added) {
        const key = stableJson(element);
        if (!seen.has(key)) list.push(element);
        seen.add(key);
      }
    } else if (value === undefined || value === null) {
      list = [];
    } else {
      // Entra's legacy member removal: path "members" with value [{value}] removes only those (never all).
      const removed = (normalizeAttribute(definition, value, path) as Record<string, unknown>[] | undefined) ?? [];
      const isRemoved = removalTest(removed, subAttributes);
      list = list.filter((element) => !isRemoved(element));
    }
  } else if (parsed.valueFilter === null && sub !== null) {
    const normalized = op === 'remove' ? undefined : normalizeAttribute(sub, value, path);
    if (list.length === 0 && normalized !== undefined) list.push({ [sub.name]: normalized });
    for (const element of list) setOrDelete(element, sub.name, normalized);
  } else {
    const filter = parsed.valueFilter as ScimFilter;
    const matches = new Set(list.filter((element) => matchesElement(element, filter, subAttributes)));
    if (op === 'remove') {
      // Removing what is not there is a no-op: Okta re-sends removals of members already gone.
      if (sub !== null) for (const element of matches) delete element[sub.name];
      else list = list.filter((element) => !matches.has(element));
    } else if (sub !== null) {
      const normalized = normalizeAttribute(sub, value, path);
      for (const element of matches) setOrDelete(element, sub.name, normalized);
      // Entra's `emails[type eq "work"].value` / `addresses[type eq "work"].formatted` create the entry when missing.
      if (matches.size === 0 && normalized !== undefined) list.push({ ...entryFromFilter(filter, subAttributes, path), [sub.name]: normalized });
    } else {
      const element = normalizeAttribute({ ...definition, multiValued: false }, value, path) as Record<string, unknown> | undefined;
      if (matches.size === 0) {
        if (element !== undefined) list.push({ ...entryFromFilter(filter, subAttributes, path), ...element });
      } else if (op === 'replace') {
        // RFC 7644 §3.5.2.3: all matching values are replaced.
        list = list.flatMap((existing) => (matches.has(existing) ? (element === undefined ? [] : [{ ...element }]) : [existing]));
      } else {
        for (const existing of matches) if (element !== undefined) Object.assign(existing, element);
      }
    }
  }
  list = list.filter((element) => Object.keys(element).length > 0);
  const max = maxItemsOf(definition);
  if (list.length > max) throw scimErrors.invalidValue(`${name} would have more than ${max} values`);
  const newPrimary = list.filter((element) => element.primary === true && !wasPrimary.has(element));
  keepOnePrimary(list, newPrimary[0]);
  setOrDelete(container, name, list.length > 0 ? list : undefined);
}

/** The element a value filter describes (`type eq "work" and display eq "x"`), to create it; noTarget otherwise. */
function entryFromFilter(filter: ScimFilter, subAttributes: readonly ScimAttributeDefinition[], path: string): Record<string, unknown> {
  const entry = describeEntry(filter, subAttributes);
  if (entry === null) throw scimErrors.noTarget(`no value matches ${JSON.stringify(path)}, and its filter does not describe one to create`);
  return entry;
}

function describeEntry(filter: ScimFilter, subAttributes: readonly ScimAttributeDefinition[]): Record<string, unknown> | null {
  if (filter.kind === 'and') {
    const left = describeEntry(filter.left, subAttributes);
    const right = describeEntry(filter.right, subAttributes);
    if (left === null || right === null) return null;
    for (const key of Object.keys(right)) if (key in left && !sameJson(left[key], right[key])) return null;
    return { ...left, ...right };
  }
  if (filter.kind !== 'compare' || filter.op !== 'eq' || filter.value === null || filter.path.subAttribute !== null) return null;
  const sub = findDefinition(subAttributes, filter.path.attribute);
  if (sub === undefined || sub.mutability === 'readOnly') return null;
  try {
    const value = normalizeSingle(sub, filter.value, sub.name);
    return value === undefined ? null : { [sub.name]: value };
  } catch {
    return null;
  }
}

/**
 * Which elements a removal by value (Entra's legacy `path: "members", value: [{value}]`) takes: those with
 * an equal `value` (per its caseExact) when the given element has one, else structurally equal ones.
 */
function removalTest(removed: Record<string, unknown>[], subAttributes: readonly ScimAttributeDefinition[]): (element: Record<string, unknown>) => boolean {
  const caseExact = findDefinition(subAttributes, 'value')?.caseExact ?? false;
  const fold = (text: string) => (caseExact ? text : text.toLowerCase());
  const values = new Set<string>();
  const wholes = new Set<string>();
  for (const gone of removed) {
    if (typeof gone.value === 'string') values.add(fold(gone.value));
    else wholes.add(stableJson(gone));
  }
  return (element) => (typeof element.value === 'string' && values.has(fold(element.value))) || (wholes.size > 0 && wholes.has(stableJson(element)));
}

/** JSON text with object keys sorted: equal for structurally equal values. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Structural JSON equality, ignoring key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
}
