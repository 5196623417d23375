/**
 * The SCIM /Users requests an IdP makes on every sync, each in as few statements as its consistency
 * allows, rendered once and run prepared (statements.ts).
 *
 * The bearer token is checked in the request's first statement: a `token` CTE reads the token row,
 * and the work of the statement is gated on it (not revoked, this company, this secret's hash), so an
 * unauthenticated request reads or changes nothing. The stored row comes back with the result and the
 * service decides in constant time (scim-tokens.ts checkScimToken). Nothing about tokens is kept in
 * memory: a revocation is seen by the next request on every instance.
 */
import { getTableColumns, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { AuditInput } from './audit.js';
import { auditRowsJson, insertAuditRows } from './audit-rows.js';
import type { Executor } from './db.js';
import type { DirectoryUser } from './directory.js';
import { emailsLowerOf } from './directory.js';
import { textArrayLiteral } from './lists.js';
import { directoryUsers } from './schema.js';
import type { CompiledFilter } from './scim-filter-sql.js';
import { rowCodec, run, statement, StatementCache } from './statements.js';
import type { Statement } from './statements.js';

/** What a request presents: the token id, the SHA-256 of its secret, and the company of the URL. */
export interface TokenCheck {
  tokenId: string;
  secretHash: string;
  companyId: string;
}

/** The token row as stored (null: no such token, or revoked). */
export type StoredToken = { companyId: string; secretHash: string } | null;

const p = sql.placeholder;
const user = rowCodec<DirectoryUser>(getTableColumns(directoryUsers));

const TOKEN = sql`token as (select company_id, secret_hash from scim_tokens where id = ${p('tokenId')} and revoked_at is null)`;
/** True only for the right token of this company (null, which filters like false, without one). */
const GATE = sql`(select company_id = ${p('companyId')} and secret_hash = ${p('secretHash')} from token)`;

const tokenOf = (row: unknown[]): StoredToken =>
  row[0] === null || row[0] === undefined ? null : { companyId: String(row[0]), secretHash: String(row[1]) };
/** The user columns from `offset`, or null when the outer join found none. */
const userAt = (row: unknown[], offset: number): DirectoryUser | null => (row[offset] === null ? null : user.decode(row, offset));
const checkValues = (check: TokenCheck) => ({ tokenId: check.tokenId, secretHash: check.secretHash, companyId: check.companyId });

// ---- list (a filter's page and its total, in one statement)
type ListRow = { token: StoredToken; total: number; user: DirectoryUser | null };

function listStatement(filter: CompiledFilter | null): Statement<ListRow> {
  const where = filter ? sql`and (${filter.where})` : sql``;
  // Unaliased: the filter's SQL names its columns "directory_users"."...".
  const scope = sql`${GATE} and directory_users.company_id = ${p('companyId')} ${where}`;
  // The total: a first page that is not full already tells it (the IdPs' matching queries); only
  // otherwise is the count run (CASE evaluates the subquery of the branch it takes, not the other).
  return statement(
    'scim_users_page',
    sql`with ${TOKEN},
      page as (
        select ${user.select('directory_users')} from directory_users where ${scope}
        order by directory_users.seq offset ${p('offset')}::int limit ${p('limit')}::int
      )
      select t.company_id, t.secret_hash,
        case when ${p('offset')}::int = 0 and (select count(*) from page) < ${p('limit')}::int then (select count(*) from page)
             else (select count(*) from directory_users where ${scope}) end,
        ${user.select('pg')}
      from token t left join page pg on true
      order by pg.seq`,
    (row) => ({ token: tokenOf(row), total: Number(row[2] ?? 0), user: userAt(row, 3) }),
  );
}

// One statement per filter shape (Okta and Entra use a handful); more shapes than this run unprepared.
const lists = new StatementCache<ListRow>(64);

/** One page of the company's users matching `filter`, in creation order, with the total; nothing without the right token. */
export async function pageUsersWithToken(
  db: Executor,
  check: TokenCheck,
  filter: CompiledFilter | null,
  page: { offset: number; limit: number },
): Promise<{ token: StoredToken; total: number; rows: DirectoryUser[] }> {
  const s = lists.get(filter?.shape ?? '', () => listStatement(filter));
  const rows = await run(db, s, { ...checkValues(check), ...filter?.values, offset: page.offset, limit: page.limit });
  return { token: rows[0]?.token ?? null, total: rows[0]?.total ?? 0, rows: rows.flatMap((r) => (r.user ? [r.user] : [])) };
}

// ---- one user, to read or to change
type OneRow = { token: StoredToken; user: DirectoryUser | null };
const oneRow = (row: unknown[]): OneRow => ({ token: tokenOf(row), user: userAt(row, 2) });

/** By a unique key: the token row joined to at most one user, no CTE to materialise, no count. */
const findBy = (name: string, key: 'id' | 'user_name_lower') =>
  statement(
    name,
    sql`with ${TOKEN}
      select t.company_id, t.secret_hash, ${user.select('u')}
      from token t left join directory_users u
        on t.company_id = ${p('companyId')} and t.secret_hash = ${p('secretHash')} and u.company_id = ${p('companyId')} and u.${sql.raw(key)} = ${p('key')}`,
    oneRow,
  );
const findOne = findBy('scim_user_get', 'id');
const findByUserName = findBy('scim_user_by_name', 'user_name_lower');

/**
 * The IdPs' matching query (`userName eq "x"`, or `id eq "x"`, on a first page) by the unique index
 * alone; `value` is the lower-cased userName (foldIdentifier) or the id.
 */
export async function findUserByKeyWithToken(db: Executor, check: TokenCheck, by: 'userNameLower' | 'id', value: string): Promise<{ token: StoredToken; row: DirectoryUser | null }> {
  const [row] = await run(db, by === 'id' ? findOne : findByUserName, { ...checkValues(check), key: value });
  return { token: row?.token ?? null, row: row?.user ?? null };
}

// The row lock of a read-modify-write (PUT, PATCH), taken in the same statement as the token check.
const lockOne = statement(
  'scim_user_lock',
  sql`with ${TOKEN}
    select t.company_id, t.secret_hash, ${user.select('u')}
    from token t left join lateral (
      select * from directory_users where ${GATE} and company_id = ${p('companyId')} and id = ${p('id')} for update
    ) u on true`,
  oneRow,
);

/** A user by id (`forUpdate`: locked until the transaction ends) with the token row; no user without the right token. */
export async function findUserWithToken(db: Executor, check: TokenCheck, id: string, forUpdate = false): Promise<{ token: StoredToken; row: DirectoryUser | null }> {
  const [row] = await run(db, forUpdate ? lockOne : findOne, { ...checkValues(check), id, key: id });
  return { token: row?.token ?? null, row: row?.user ?? null };
}

// ---- create
/** The directory's advisory locks (directory.ts lockDirectoryIdentities: same keys, same order), when `gate` holds. */
const locks = (gate: SQL) =>
  sql`locks as (select pg_advisory_xact_lock(hashtextextended(k, 0)) from unnest(${p('lockKeys')}::text[]) as k where ${gate})`;

const insertOne = statement(
  'scim_user_insert',
  sql`with ${TOKEN}, ${locks(GATE)},
    ins as (
      insert into directory_users (id, company_id, user_name, user_name_lower, external_id, active, display_name, attributes, emails_lower, created_at, updated_at)
      select ${p('id')}, ${p('companyId')}, ${p('userName')}, ${p('userNameLower')}, ${p('externalId')}, ${p('active')}::boolean, ${p('displayName')},
        ${p('attributes')}::jsonb, ${p('emailsLower')}::text[], ${p('at')}::timestamptz, ${p('at')}::timestamptz
      where ${GATE} and (select count(*) from locks) >= 0
      returning *
    )
    select t.company_id, t.secret_hash, ${user.select('i')} from token t left join ins i on true`,
  oneRow,
);

/**
 * A create in ONE statement, no transaction around it: the token check, the identities' locks, the
 * insert, the tombstone and the audit. Only when no user with this userName is visible to the
 * statement: a tombstone is only ever written by the deletion of such a user, so if none is visible,
 * every tombstone that matters is (and goes), and no deletion can commit one behind this statement's
 * snapshot. Otherwise (a duplicate, or a user being deleted right now) nothing is written and the
 * caller takes the transaction (insertUserWithToken, then recordUserCreated), which decides.
 */
const createOne = statement(
  'scim_user_create',
  sql`with ${TOKEN},
    free as (
      select 1 from token where company_id = ${p('companyId')} and secret_hash = ${p('secretHash')}
        and not exists (select 1 from directory_users where company_id = ${p('companyId')} and user_name_lower = ${p('userNameLower')})
    ),
    ${locks(sql`exists (select 1 from free)`)},
    ins as (
      insert into directory_users (id, company_id, user_name, user_name_lower, external_id, active, display_name, attributes, emails_lower, created_at, updated_at)
      select ${p('id')}, ${p('companyId')}, ${p('userName')}, ${p('userNameLower')}, ${p('externalId')}, ${p('active')}::boolean, ${p('displayName')},
        ${p('attributes')}::jsonb, ${p('emailsLower')}::text[], ${p('at')}::timestamptz, ${p('at')}::timestamptz
      from free where (select count(*) from locks) >= 0
      returning *
    ),
    gone as (delete from directory_user_deletions where company_id = ${p('companyId')} and user_name_lower = ${p('userNameLower')} and exists (select 1 from ins)),
    ${insertAuditRows(sql`exists (select 1 from ins)`)}
    select t.company_id, t.secret_hash, ${user.select('i')} from token t left join ins i on true`,
  oneRow,
);

/** See createOne: the created user, or null when the token was not right or the transaction must decide. */
export async function createUserAtOnce(
  db: Executor,
  check: TokenCheck,
  id: string,
  data: UserColumns,
  at: Date,
  lockKeys: readonly string[],
  audits: readonly AuditInput[],
): Promise<{ token: StoredToken; row: DirectoryUser | null }> {
  const values = { ...checkValues(check), id, ...columnValues(data, at), lockKeys: textArrayLiteral(lockKeys), ...auditRowsJson(audits) };
  const [row] = await run(db, createOne, values);
  return { token: row?.token ?? null, row: row?.user ?? null };
}

export type UserColumns = Pick<DirectoryUser, 'userName' | 'userNameLower' | 'externalId' | 'active' | 'displayName' | 'attributes'>;

const columnValues = (data: UserColumns, at: Date) => ({
  userName: data.userName,
  userNameLower: data.userNameLower,
  externalId: data.externalId,
  active: data.active,
  displayName: data.displayName,
  attributes: JSON.stringify(data.attributes),
  emailsLower: textArrayLiteral(emailsLowerOf(data.attributes)),
  at: at.toISOString(),
});

/**
 * Takes the identities' advisory locks and inserts the user, in one statement gated on the token; the
 * inserted row (null when the token was not right) and the token row. A taken userName throws the
 * unique violation of directory_users_company_user_name_key, as insertDirectoryUser does.
 */
export async function insertUserWithToken(
  tx: Executor,
  check: TokenCheck,
  id: string,
  data: UserColumns,
  at: Date,
  lockKeys: readonly string[],
): Promise<{ token: StoredToken; row: DirectoryUser | null }> {
  const [row] = await run(tx, insertOne, { ...checkValues(check), id, ...columnValues(data, at), lockKeys: textArrayLiteral(lockKeys) });
  return { token: row?.token ?? null, row: row?.user ?? null };
}

/**
 * What follows a create in its transaction, in one statement: the tombstone of a person deleted
 * under this userName goes (they are back), and the audit is written. A statement of its own, after
 * the insert: its snapshot must include a deletion that committed while the insert waited on the
 * unique index, or that person's tombstone would outlive their return.
 */
const created = statement(
  'scim_user_created',
  sql`with gone as (delete from directory_user_deletions where company_id = ${p('companyId')} and user_name_lower = ${p('userNameLower')}),
    ${insertAuditRows()}
    select 1`,
  () => null,
);

export async function recordUserCreated(tx: Executor, row: DirectoryUser, audits: readonly AuditInput[]): Promise<void> {
  await run(tx, created, { companyId: row.companyId, userNameLower: row.userNameLower, ...auditRowsJson(audits) });
}

// ---- replace (PUT, PATCH)
const updateOne = statement(
  'scim_user_update',
  sql`with ${locks(sql`true`)},
    upd as (
      update directory_users set user_name = ${p('userName')}, user_name_lower = ${p('userNameLower')}, external_id = ${p('externalId')},
        active = ${p('active')}::boolean, display_name = ${p('displayName')}, attributes = ${p('attributes')}::jsonb,
        emails_lower = ${p('emailsLower')}::text[], updated_at = ${p('at')}::timestamptz, version = version + 1
      where company_id = ${p('companyId')} and id = ${p('id')} and (select count(*) from locks) >= 0
      returning *
    ),
    ${insertAuditRows(sql`exists (select 1 from upd)`)}
    select ${user.select('upd')} from upd`,
  (row) => user.decode(row, 0),
);

/**
 * Replaces a user's data (bumping its version) after taking the advisory locks of `lockKeys`, and
 * writes `audits` with it, in one statement; null when the user does not exist (nothing is written).
 */
export async function updateUserLocked(
  tx: Executor,
  companyId: string,
  id: string,
  data: UserColumns,
  at: Date,
  lockKeys: readonly string[],
  audits: readonly AuditInput[],
): Promise<DirectoryUser | null> {
  const [row] = await run(tx, updateOne, { companyId, id, ...columnValues(data, at), lockKeys: textArrayLiteral(lockKeys), ...auditRowsJson(audits) });
  return row ?? null;
}
