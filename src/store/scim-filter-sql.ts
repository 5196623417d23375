/**
 * SCIM filter AST -> SQL over the directory tables, so a filtered list is one indexed query however
 * large the directory. Only attributes with a column or a known JSON location are filterable; anything
 * else is refused as invalidFilter (RFC 7644 §3.12), never silently ignored.
 */
import { foldIdentifier } from '../core/email.js';
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { SCHEMA_ENTERPRISE_USER, ScimError } from '../scim/types.js';
import type { AttrPath, CompareOp, FilterValue, ScimFilter } from '../scim/types.js';
import { directoryGroupMembers, directoryGroups, directoryUsers } from './schema.js';

const ENTERPRISE = SCHEMA_ENTERPRISE_USER.toLowerCase();
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:user';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:group';

/** How one filterable attribute reads in SQL: an expression, its type, and whether strings compare case-exactly. */
interface Column {
  expr: SQL;
  type: 'string' | 'boolean' | 'date';
  caseExact: boolean;
  /** The expression is already lower case (an indexed lower-cased column): compare it as is. */
  lowered?: boolean;
}

const invalid = (detail: string) => new ScimError(400, 'invalidFilter', detail);

/** How a filter's values enter the SQL: inline parameters, or named placeholders of a reusable statement. */
type Bind = (value: unknown) => SQL;
const inline: Bind = (value) => sql`${value}`;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

// An xsd:dateTime as SCIM writes it (RFC 7643 §2.3.5), with a time zone so it names one instant.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/** True when every field of a DATE_TIME match is in range (`Date` would roll 2024-02-30 into March). */
function fieldsInRange(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second, zoneHour = 0, zoneMinute = 0] = m.slice(1).map((f) => (f === undefined ? undefined : Number(f))) as number[];
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return year! >= 1 && month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour! <= 23 && minute! <= 59 && second! <= 59 && zoneHour <= 23 && zoneMinute <= 59;
}

/**
 * The filter value as a canonical ISO-8601 instant, or invalidFilter: only a well-formed date-time
 * with a zone is accepted, not whatever `Date` guesses from "2024", "Jan 1" or "2024-02-30".
 */
function isoInstant(value: string, name: string): string {
  const m = DATE_TIME.exec(value);
  const ms = m && fieldsInRange(m) ? Date.parse(value) : Number.NaN;
  // Year 0 and before (reachable through a zone offset) is no date PostgreSQL reads in ISO form.
  if (Number.isNaN(ms) || new Date(ms).getUTCFullYear() < 1) throw invalid(`${name} compares with a date-time such as "2024-01-01T00:00:00Z", not ${JSON.stringify(value.slice(0, 40))}`);
  return new Date(ms).toISOString();
}

function compare(column: Column, op: CompareOp, value: FilterValue, name: string, bind: Bind): SQL {
  if (column.type === 'boolean') {
    if (typeof value !== 'boolean') throw invalid(`${name} compares with true or false`);
    if (op === 'eq') return sql`${column.expr} = ${bind(value)}`;
    if (op === 'ne') return sql`${column.expr} is distinct from ${bind(value)}`;
    throw invalid(`${op} is not supported on the boolean ${name}`);
  }
  if (value === null) {
    if (op === 'eq') return sql`${column.expr} is null`;
    if (op === 'ne') return sql`${column.expr} is not null`;
    throw invalid(`${op} null is not supported`);
  }
  if (typeof value !== 'string') throw invalid(`${name} compares with a string`);
  if (column.type === 'date') {
    // The instant goes in as ISO text cast to timestamptz in SQL: a JS Date parameter is serialised by
    // PGlite but not by postgres.js (whose untyped parameters must be strings), which made every date
    // filter a 500 on PostgreSQL.
    // Compared at millisecond precision, the precision of the meta.created/lastModified the client
    // was shown, so `eq` with a value read back from this server finds its resource.
    const instant = sql`${bind(isoInstant(value, name))}::timestamptz`;
    const left = sql`date_trunc('milliseconds', ${column.expr})`;
    const ops: Partial<Record<CompareOp, SQL>> = {
      eq: sql`${left} = ${instant}`,
      ne: sql`${left} is distinct from ${instant}`,
      gt: sql`${left} > ${instant}`,
      ge: sql`${left} >= ${instant}`,
      lt: sql`${left} < ${instant}`,
      le: sql`${left} <= ${instant}`,
    };
    const clause = ops[op];
    if (!clause) throw invalid(`${op} is not supported on the date ${name}`);
    return clause;
  }
  const left = column.caseExact || column.lowered ? column.expr : sql`lower(${column.expr})`;
  // Lowered columns hold foldIdentifier's form (core/email.ts): fold the value the same way.
  const right = column.caseExact ? value : column.lowered ? foldIdentifier(value) : value.toLowerCase();
  switch (op) {
    case 'eq':
      return sql`${left} = ${bind(right)}`;
    case 'ne':
      return sql`${left} is distinct from ${bind(right)}`;
    case 'co':
      return sql`${left} like ${bind(`%${escapeLike(right)}%`)}`;
    case 'sw':
      return sql`${left} like ${bind(`${escapeLike(right)}%`)}`;
    case 'ew':
      return sql`${left} like ${bind(`%${escapeLike(right)}`)}`;
    case 'gt':
      return sql`${left} > ${bind(right)}`;
    case 'ge':
      return sql`${left} >= ${bind(right)}`;
    case 'lt':
      return sql`${left} < ${bind(right)}`;
    case 'le':
      return sql`${left} <= ${bind(right)}`;
  }
}

const present = (column: Column): SQL =>
  column.type === 'string' ? sql`coalesce(${column.expr}, '') <> ''` : sql`${column.expr} is not null`;

/** A multi-valued complex attribute stored as a JSON array in `attributes` (emails, phoneNumbers...). */
interface MultiValued {
  json: SQL;
  subColumns: Record<string, Column>;
  defaultSub: string;
  /** A GIN-indexed array of the lower-cased `value`s: `value eq` tests first narrow rows with it. */
  loweredValues?: SQL;
}

export interface FilterTarget {
  columns: Record<string, Column>;
  multi: Record<string, MultiValued>;
  /** SQL for "some member has user id `value`" (groups only). */
  members?: (value: SQL) => SQL;
}

const jsonText = (path: string[]) => sql.raw(`${directoryUsers.attributes.name}#>>'{${path.join(',')}}'`);
const element = (key: string): Column => ({ expr: sql.raw(`e.value->>'${key}'`), type: 'string', caseExact: false });

const userMulti = (attribute: string): MultiValued => ({
  json: sql.raw(`coalesce(${directoryUsers.attributes.name}->'${attribute}', '[]'::jsonb)`),
  subColumns: {
    value: element('value'),
    type: element('type'),
    display: element('display'),
    primary: { expr: sql.raw(`(e.value->>'primary')::boolean`), type: 'boolean', caseExact: false },
  },
  defaultSub: 'value',
});

/** The `value eq "x"` tests a match on one element must pass (the AND chain of a value filter). */
function requiredValues(filter: ScimFilter): string[] {
  if (filter.kind === 'and') return [...requiredValues(filter.left), ...requiredValues(filter.right)];
  if (filter.kind === 'compare' && filter.op === 'eq' && typeof filter.value === 'string' && (filter.path.subAttribute ?? filter.path.attribute) === 'value') {
    return [foldIdentifier(filter.value)];
  }
  return [];
}

export const userFilterTarget: FilterTarget = {
  columns: {
    id: { expr: sql`${directoryUsers.id}`, type: 'string', caseExact: true },
    // The unique (company_id, user_name_lower) index serves the IdPs' `userName eq` matching query.
    username: { expr: sql`${directoryUsers.userNameLower}`, type: 'string', caseExact: false, lowered: true },
    externalid: { expr: sql`${directoryUsers.externalId}`, type: 'string', caseExact: true },
    displayname: { expr: sql`${directoryUsers.displayName}`, type: 'string', caseExact: false },
    active: { expr: sql`${directoryUsers.active}`, type: 'boolean', caseExact: false },
    'meta.created': { expr: sql`${directoryUsers.createdAt}`, type: 'date', caseExact: false },
    'meta.lastmodified': { expr: sql`${directoryUsers.updatedAt}`, type: 'date', caseExact: false },
    'name.givenname': { expr: jsonText(['name', 'givenName']), type: 'string', caseExact: false },
    'name.familyname': { expr: jsonText(['name', 'familyName']), type: 'string', caseExact: false },
    'name.formatted': { expr: jsonText(['name', 'formatted']), type: 'string', caseExact: false },
    title: { expr: jsonText(['title']), type: 'string', caseExact: false },
    usertype: { expr: jsonText(['userType']), type: 'string', caseExact: false },
    [`${ENTERPRISE}:employeenumber`]: { expr: jsonText([SCHEMA_ENTERPRISE_USER, 'employeeNumber']), type: 'string', caseExact: false },
    [`${ENTERPRISE}:department`]: { expr: jsonText([SCHEMA_ENTERPRISE_USER, 'department']), type: 'string', caseExact: false },
  },
  multi: {
    emails: { ...userMulti('emails'), loweredValues: sql`${directoryUsers.emailsLower}` },
    phonenumbers: userMulti('phoneNumbers'),
  },
};

export const groupFilterTarget: FilterTarget = {
  columns: {
    id: { expr: sql`${directoryGroups.id}`, type: 'string', caseExact: true },
    displayname: { expr: sql`${directoryGroups.displayName}`, type: 'string', caseExact: false },
    externalid: { expr: sql`${directoryGroups.externalId}`, type: 'string', caseExact: true },
    'meta.created': { expr: sql`${directoryGroups.createdAt}`, type: 'date', caseExact: false },
    'meta.lastmodified': { expr: sql`${directoryGroups.updatedAt}`, type: 'date', caseExact: false },
  },
  multi: {},
  members: (value) =>
    sql`exists (select 1 from ${directoryGroupMembers} m where m.group_id = ${directoryGroups.id} and m.user_id = ${value})`,
};

function keyOf(path: AttrPath, target: FilterTarget): string {
  const schema = path.schema;
  if (schema !== null && schema !== CORE_USER && schema !== CORE_GROUP && schema !== ENTERPRISE) {
    throw invalid(`unknown schema ${schema}`);
  }
  const base = schema === ENTERPRISE ? `${ENTERPRISE}:${path.attribute}` : path.attribute;
  const key = path.subAttribute ? `${base}.${path.subAttribute}` : base;
  if (!(key in target.columns) && !(path.attribute in target.multi) && !(target.members && path.attribute === 'members')) {
    throw invalid(`filtering on ${key} is not supported`);
  }
  return key;
}

/** Some element satisfies `inner`; when `required` values are known, the indexed array narrows rows first. */
function inMulti(multi: MultiValued, inner: SQL, required: string[], bind: Bind): SQL {
  const exists = sql`exists (select 1 from jsonb_array_elements(${multi.json}) e where ${inner})`;
  if (!multi.loweredValues || required.length === 0) return exists;
  const values = sql.join(required.map((v) => bind(v)), sql`, `);
  return sql`(${multi.loweredValues} @> array[${values}]::text[] and ${exists})`;
}

/** Translates a filter over one element of a multi-valued attribute (inside a value path). */
function elementClause(filter: ScimFilter, multi: MultiValued, name: string, depth: number, bind: Bind): SQL {
  if (depth > 32) throw invalid('filter nested too deeply');
  switch (filter.kind) {
    case 'and':
      return sql`(${elementClause(filter.left, multi, name, depth + 1, bind)} and ${elementClause(filter.right, multi, name, depth + 1, bind)})`;
    case 'or':
      return sql`(${elementClause(filter.left, multi, name, depth + 1, bind)} or ${elementClause(filter.right, multi, name, depth + 1, bind)})`;
    case 'not':
      return sql`not coalesce(${elementClause(filter.filter, multi, name, depth + 1, bind)}, false)`;
    case 'valuePath':
      throw invalid('value paths cannot be nested');
    case 'present':
    case 'compare': {
      const sub = filter.path.subAttribute ?? filter.path.attribute;
      const column = multi.subColumns[sub];
      if (!column) throw invalid(`${name}.${sub} is not filterable`);
      return filter.kind === 'present' ? present(column) : compare(column, filter.op, filter.value, `${name}.${sub}`, bind);
    }
  }
}

/** The WHERE clause for a filter over users or groups, values inline; throws ScimError(400, invalidFilter). */
export function filterToSql(filter: ScimFilter, target: FilterTarget): SQL {
  return translate(filter, target, 0, inline);
}

/** A filter as a reusable statement's WHERE clause: its values are placeholders `f0`, `f1`... */
export interface CompiledFilter {
  /**
   * The filter without its values (their kinds kept: null, boolean and string translate differently):
   * filters of one shape translate to the same SQL text, so a statement rendered for one serves all.
   */
  shape: string;
  where: SQL;
  values: Record<string, unknown>;
}

export function compileFilter(filter: ScimFilter, target: FilterTarget): CompiledFilter {
  const values: Record<string, unknown> = {};
  let n = 0;
  const where = translate(filter, target, 0, (value) => {
    const name = `f${n++}`;
    values[name] = value;
    return sql`${sql.placeholder(name)}`;
  });
  const shape = JSON.stringify(filter, (key, value: unknown) => (key === 'value' && (value === null || typeof value !== 'object') ? (value === null ? 'null' : typeof value) : value));
  return { shape, where, values };
}

/**
 * `userName eq "x"` or `id eq "x"` and nothing else: at most one user, by a unique index (the
 * value as the column holds it: userName lower-cased by foldIdentifier). Null for any other filter.
 */
export function uniqueUserKey(filter: ScimFilter): { by: 'userNameLower' | 'id'; value: string } | null {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return null;
  const { schema, attribute, subAttribute } = filter.path;
  if (subAttribute !== null || (schema !== null && schema !== CORE_USER)) return null;
  if (attribute === 'username') return { by: 'userNameLower', value: foldIdentifier(filter.value) };
  if (attribute === 'id') return { by: 'id', value: filter.value };
  return null;
}

function translate(filter: ScimFilter, target: FilterTarget, depth: number, bind: Bind): SQL {
  if (depth > 32) throw invalid('filter nested too deeply');
  switch (filter.kind) {
    case 'and':
      return sql`(${translate(filter.left, target, depth + 1, bind)} and ${translate(filter.right, target, depth + 1, bind)})`;
    case 'or':
      return sql`(${translate(filter.left, target, depth + 1, bind)} or ${translate(filter.right, target, depth + 1, bind)})`;
    case 'not':
      return sql`not coalesce(${translate(filter.filter, target, depth + 1, bind)}, false)`;
    case 'valuePath': {
      const multi = target.multi[filter.path.attribute];
      if (!multi) throw invalid(`${filter.path.attribute} is not a filterable multi-valued attribute`);
      return inMulti(multi, elementClause(filter.filter, multi, filter.path.attribute, depth + 1, bind), requiredValues(filter.filter), bind);
    }
    case 'present':
    case 'compare': {
      const key = keyOf(filter.path, target);
      if (target.members && filter.path.attribute === 'members') {
        if (filter.kind === 'present') return sql`exists (select 1 from ${directoryGroupMembers} m where m.group_id = ${directoryGroups.id})`;
        if ((filter.path.subAttribute ?? 'value') !== 'value' || filter.op !== 'eq' || typeof filter.value !== 'string') {
          throw invalid('members supports only members eq "<user id>" and members pr');
        }
        return target.members(bind(filter.value));
      }
      const multi = target.multi[filter.path.attribute];
      if (multi) {
        const sub = filter.path.subAttribute ?? multi.defaultSub;
        const column = multi.subColumns[sub];
        if (!column) throw invalid(`${filter.path.attribute}.${sub} is not filterable`);
        return inMulti(multi, filter.kind === 'present' ? present(column) : compare(column, filter.op, filter.value, key, bind), requiredValues({ ...filter, path: { ...filter.path, subAttribute: sub } }), bind);
      }
      const column = target.columns[key]!;
      return filter.kind === 'present' ? present(column) : compare(column, filter.op, filter.value, key, bind);
    }
  }
}
