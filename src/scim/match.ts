/**
 * In-memory evaluation of a SCIM filter over a rendered resource (RFC 7644 §3.4.2.2), the reference the
 * SQL translation is checked against. Semantics, chosen to match that translation:
 * - attribute names case-insensitive; strings compare per the attribute's caseExact (userName, emails.value,
 *   displayName: no; id, externalId, members.value: yes); dateTime attributes compare as instants;
 * - a multi-valued attribute matches when some element matches; `emails` alone means `emails.value`;
 * - `ne` is "not eq" on a single-valued attribute (so an absent attribute is `ne` anything) and "some
 *   element is not eq" on a multi-valued one; `eq null` means "not present", `ne null` "present";
 * - `pr`: null, "", [] and objects with nothing present are absent;
 * - ordering (gt/ge/lt/le) compares code units after case folding when not caseExact.
 */
import type { ScimAttributeDefinition, ScimResourceType } from './attributes.js';
import { findDefinition, getIgnoringCase, isObject, resolveAttribute, resourceTypeOf } from './attributes.js';
import type { AttrPath, CompareOp, FilterValue, ScimFilter } from './types.js';

/** What a path selects: one candidate per element of a multi-valued attribute, else one candidate. */
interface Selection {
  candidates: unknown[];
  definition: ScimAttributeDefinition | null;
  multiValued: boolean;
}

interface Scope {
  select(path: AttrPath): Selection;
  elements(path: AttrPath): { elements: Record<string, unknown>[]; definitions: readonly ScimAttributeDefinition[] };
}

const NOTHING: Selection = { candidates: [], definition: null, multiValued: false };

/** True when a JSON value counts as present for `pr` (RFC 7644 §3.4.2.2: not null, not empty). */
export function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

function resourceScope(resource: Record<string, unknown>, resourceType: ScimResourceType): Scope {
  function locate(path: AttrPath) {
    const resolved = resolveAttribute(resourceType, path);
    let container: unknown = resource;
    if (resolved?.extension) container = getIgnoringCase(resource, resolved.extension);
    else if (resolved === null && path.schema !== null) container = undefined;
    const name = resolved?.attribute.name ?? path.attribute;
    const top = isObject(container) ? getIgnoringCase(container, name) : undefined;
    return { resolved, top };
  }
  return {
    select(path) {
      const { resolved, top } = locate(path);
      if (top === undefined || top === null) return { ...NOTHING, definition: resolved?.subAttribute ?? resolved?.attribute ?? null };
      if (path.subAttribute !== null) {
        const elements = Array.isArray(top) ? top : [top];
        return {
          candidates: elements.map((element) => (isObject(element) ? getIgnoringCase(element, path.subAttribute as string) : undefined)),
          definition: resolved?.subAttribute ?? null,
          multiValued: Array.isArray(top),
        };
      }
      const definition = resolved?.attribute ?? null;
      const valueDefinition = definition ? (findDefinition(definition.subAttributes ?? [], 'value') ?? null) : null;
      if (Array.isArray(top)) {
        const complex = top.some(isObject);
        return {
          candidates: complex ? top.map((element) => (isObject(element) ? getIgnoringCase(element, 'value') : undefined)) : top,
          definition: complex ? valueDefinition : definition,
          multiValued: true,
        };
      }
      // A single complex attribute compares through its `value` sub-attribute (manager eq "id").
      if (isObject(top)) return { candidates: [valueDefinition ? getIgnoringCase(top, 'value') : top], definition: valueDefinition ?? definition, multiValued: false };
      return { candidates: [top], definition, multiValued: false };
    },
    elements(path) {
      const { resolved, top } = locate({ ...path, subAttribute: null });
      const list = Array.isArray(top) ? top : top === undefined || top === null ? [] : [top];
      return { elements: list.filter(isObject), definitions: resolved?.attribute.subAttributes ?? [] };
    },
  };
}

function elementScope(element: Record<string, unknown>, definitions: readonly ScimAttributeDefinition[]): Scope {
  return {
    select(path) {
      const name = path.subAttribute === null ? path.attribute : `${path.attribute}.${path.subAttribute}`;
      return { candidates: [getIgnoringCase(element, name)], definition: findDefinition(definitions, name) ?? null, multiValued: false };
    },
    elements: () => ({ elements: [], definitions: [] }),
  };
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}

function ordered(op: CompareOp, a: number | string, b: number | string): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    default:
      return false;
  }
}

/** Compares one present attribute value with a filter operand. */
function compareOne(actual: unknown, op: CompareOp, expected: FilterValue, definition: ScimAttributeDefinition | null): boolean {
  if (expected === null) return false;
  if (definition?.type === 'boolean' || typeof actual === 'boolean') {
    const left = asBoolean(actual);
    const right = asBoolean(expected);
    if (left === undefined || right === undefined) return false;
    return op === 'eq' ? left === right : op === 'ne' ? left !== right : false;
  }
  if (typeof actual === 'number' && typeof expected === 'number') return ordered(op, actual, expected);
  if (typeof actual !== 'string' && typeof actual !== 'number') return false;
  if (typeof expected === 'boolean') return false;
  let left = String(actual);
  let right = String(expected);
  if (definition?.type === 'dateTime') {
    const l = Date.parse(left);
    const r = Date.parse(right);
    if (!Number.isNaN(l) && !Number.isNaN(r) && op !== 'co' && op !== 'sw' && op !== 'ew') return ordered(op, l, r);
  }
  if (!(definition?.caseExact ?? false)) {
    left = left.toLowerCase();
    right = right.toLowerCase();
  }
  switch (op) {
    case 'co':
      return left.includes(right);
    case 'sw':
      return left.startsWith(right);
    case 'ew':
      return left.endsWith(right);
    default:
      return ordered(op, left, right);
  }
}

function evaluate(filter: ScimFilter, scope: Scope): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, scope) && evaluate(filter.right, scope);
    case 'or':
      return evaluate(filter.left, scope) || evaluate(filter.right, scope);
    case 'not':
      return !evaluate(filter.filter, scope);
    case 'present':
      return scope.select(filter.path).candidates.some(isPresent);
    case 'valuePath': {
      const { elements, definitions } = scope.elements(filter.path);
      return elements.some((element) => evaluate(filter.filter, elementScope(element, definitions)));
    }
    case 'compare': {
      const { candidates, definition, multiValued } = scope.select(filter.path);
      if (filter.value === null) {
        const present = candidates.some(isPresent);
        return filter.op === 'eq' ? !present : filter.op === 'ne' ? present : false;
      }
      if (filter.op === 'ne') {
        const equal = (candidate: unknown) => isPresent(candidate) && compareOne(candidate, 'eq', filter.value, definition);
        return multiValued ? candidates.some((candidate) => !equal(candidate)) : !candidates.some(equal);
      }
      return candidates.some((candidate) => isPresent(candidate) && compareOne(candidate, filter.op, filter.value, definition));
    }
  }
}

/** Evaluates a filter over a rendered SCIM resource (canonical JSON, as renderUser/renderGroup produce). */
export function matchesFilter(resource: Record<string, unknown>, filter: ScimFilter): boolean {
  return evaluate(filter, resourceScope(resource, resourceTypeOf(resource)));
}

/** Evaluates a value-path filter (`type eq "work"`) over one element of a multi-valued attribute. */
export function matchesElement(element: Record<string, unknown>, filter: ScimFilter, definitions: readonly ScimAttributeDefinition[]): boolean {
  return evaluate(filter, elementScope(element, definitions));
}
