/**
 * Client values -> canonical stored values, driven by the attribute definitions: canonical sub-attribute
 * names whatever the casing, "True"/"false" strings as booleans (Entra), null and "" as unassigned
 * (RFC 7643 §2.5), readOnly and unknown sub-attributes dropped, sizes bounded. Throws invalidValue.
 */
import type { ScimAttributeDefinition } from './attributes.js';
import { findDefinition, isObject } from './attributes.js';
import { scimErrors } from './errors.js';
import { MAX_GROUP_MEMBERS, MAX_MULTI_VALUES, MAX_OBJECT_KEYS, MAX_STRING_LENGTH } from './limits.js';

/** `true`/`false`, or the strings "true"/"false" in any case (Entra without aadOptscim062020); else undefined. */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

/** The most values a multi-valued attribute may hold (group members are many more than emails). */
export function maxItemsOf(definition: ScimAttributeDefinition): number {
  return definition.name === 'members' ? MAX_GROUP_MEMBERS : MAX_MULTI_VALUES;
}

/** Checks a JSON object's size before walking it. */
export function checkKeyCount(object: Record<string, unknown>, where: string): void {
  if (Object.keys(object).length > MAX_OBJECT_KEYS) throw scimErrors.invalidValue(`${where} has more than ${MAX_OBJECT_KEYS} attributes`);
}

/**
 * Normalises a client value for one attribute; `undefined` means unassigned. A single-valued attribute
 * also accepts a one-element array (Entra sends `manager` as `[{"value": ...}]`); a multi-valued one a
 * single value. At most one element of a multi-valued attribute stays `primary: true` (the first).
 */
export function normalizeAttribute(definition: ScimAttributeDefinition, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (definition.multiValued) {
    const list = Array.isArray(value) ? value : [value];
    const max = maxItemsOf(definition);
    if (list.length > max) throw scimErrors.invalidValue(`${where} has more than ${max} values`);
    const out: unknown[] = [];
    list.forEach((item, index) => {
      const normalized = normalizeSingle(definition, item, `${where}[${index}]`);
      if (normalized !== undefined) out.push(normalized);
    });
    keepOnePrimary(out);
    return out.length > 0 ? out : undefined;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    if (value.length > 1) throw scimErrors.invalidValue(`${where} is single-valued but got ${value.length} values`);
    return normalizeSingle(definition, value[0], where);
  }
  return normalizeSingle(definition, value, where);
}

/** Normalises one value (one element of a multi-valued attribute); `undefined` means unassigned. */
export function normalizeSingle(definition: ScimAttributeDefinition, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (definition.type) {
    case 'boolean': {
      const parsed = parseBoolean(value);
      if (parsed === undefined) throw scimErrors.invalidValue(`${where} must be true or false`);
      return parsed;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw scimErrors.invalidValue(`${where} must be an integer`);
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw scimErrors.invalidValue(`${where} must be a number`);
      return value;
    case 'complex':
      return normalizeComplex(definition, value, where);
    default: {
      // Some IdPs send employeeNumber and the like as JSON numbers.
      const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
      if (typeof text !== 'string') throw scimErrors.invalidValue(`${where} must be a string`);
      if (text.length > MAX_STRING_LENGTH) throw scimErrors.invalidValue(`${where} is longer than ${MAX_STRING_LENGTH} characters`);
      return text === '' ? undefined : text;
    }
  }
}

function normalizeComplex(definition: ScimAttributeDefinition, value: unknown, where: string): Record<string, unknown> | undefined {
  const subAttributes = definition.subAttributes ?? [];
  if (!isObject(value)) {
    // A bare value for a complex attribute with a `value` sub-attribute: Entra's `manager: "<id>"`.
    if ((typeof value === 'string' || typeof value === 'number') && findDefinition(subAttributes, 'value')) {
      return normalizeComplex(definition, { value }, where);
    }
    throw scimErrors.invalidValue(`${where} must be an object`);
  }
  checkKeyCount(value, where);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = findDefinition(subAttributes, key);
    // Unknown sub-attributes are dropped; readOnly ones (manager.displayName) are the server's to set.
    if (sub === undefined || sub.mutability === 'readOnly') continue;
    const normalized = normalizeAttribute(sub, raw, `${where}.${sub.name}`);
    if (normalized !== undefined) out[sub.name] = normalized;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** RFC 7643 §2.4: "primary" true appears no more than once; later ones are cleared. */
export function keepOnePrimary(list: unknown[], preferred?: unknown): void {
  const primaries = list.filter((element) => isObject(element) && element.primary === true) as Record<string, unknown>[];
  if (primaries.length < 2) return;
  const keep = preferred !== undefined && primaries.includes(preferred as Record<string, unknown>) ? preferred : primaries[0];
  for (const element of primaries) if (element !== keep) element.primary = false;
}
