/** The synced directory (SCIM users, groups, memberships) and SCIM tokens; group mappings are in group-mappings.ts. */
import { and, arrayOverlaps, asc, count, eq, getTableColumns, inArray, isNull, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { foldIdentifier } from '../core/email.js';
import type { Executor } from './db.js';
import { textArray } from './lists.js';
import { rowCodec, run, statement } from './statements.js';
import { directoryGroupMembers, directoryGroups, directoryUserDeletions, directoryUsers, scimTokens } from './schema.js';

export type ScimToken = typeof scimTokens.$inferSelect;
export type DirectoryUser = typeof directoryUsers.$inferSelect;
export type DirectoryGroup = typeof directoryGroups.$inferSelect;

// ---- tokens
export async function insertScimToken(db: Executor, token: { id: string; companyId: string; secretHash: string; label: string | null }): Promise<ScimToken> {
  const [row] = await db.insert(scimTokens).values(token).returning();
  return row!;
}

const tokenRow = rowCodec<ScimToken>(getTableColumns(scimTokens));
// Every SCIM request outside /Users (Groups, DELETE, discovery) starts with it: rendered once, prepared.
const activeToken = statement(
  'scim_token_active',
  sql`select ${tokenRow.select('t')} from scim_tokens t where t.id = ${sql.placeholder('id')} and t.revoked_at is null limit 1`,
  (row) => tokenRow.decode(row, 0),
);

export async function findActiveScimToken(db: Executor, tokenId: string): Promise<ScimToken | null> {
  const [row] = await run(db, activeToken, { id: tokenId });
  return row ?? null;
}

export async function listScimTokens(db: Executor, companyId: string): Promise<ScimToken[]> {
  return db.select().from(scimTokens).where(eq(scimTokens.companyId, companyId)).orderBy(asc(scimTokens.createdAt), asc(scimTokens.id));
}

export async function revokeScimToken(db: Executor, companyId: string, tokenId: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(scimTokens)
    .set({ revokedAt: at })
    .where(and(eq(scimTokens.companyId, companyId), eq(scimTokens.id, tokenId), isNull(scimTokens.revokedAt)))
    .returning({ id: scimTokens.id });
  return rows.length === 1;
}

/** Directory sync is "on" for a company while it has a usable SCIM token. */
export async function hasActiveScimToken(db: Executor, companyId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: scimTokens.id })
    .from(scimTokens)
    .where(and(eq(scimTokens.companyId, companyId), isNull(scimTokens.revokedAt)))
    .limit(1);
  return row !== undefined;
}

// ---- users
/** Lower-cased emails[].value: the indexed copy kept next to the JSON, always derived here. */
export function emailsLowerOf(attributes: Record<string, unknown>): string[] {
  const emails = Array.isArray(attributes.emails) ? attributes.emails : [];
  const values = emails.map((e) => (e as { value?: unknown } | null)?.value).filter((v): v is string => typeof v === 'string');
  return [...new Set(values.map(foldIdentifier))];
}

export async function insertDirectoryUser(
  db: Executor,
  user: Omit<typeof directoryUsers.$inferInsert, 'emailsLower'>,
): Promise<DirectoryUser> {
  const [row] = await db
    .insert(directoryUsers)
    .values({ ...user, emailsLower: emailsLowerOf(user.attributes) })
    .returning();
  return row!;
}

/** A user by id; `forUpdate` locks the row until the transaction ends (read-modify-write of PATCH). */
export async function findDirectoryUser(db: Executor, companyId: string, id: string, forUpdate = false): Promise<DirectoryUser | null> {
  const query = db
    .select()
    .from(directoryUsers)
    .where(and(eq(directoryUsers.companyId, companyId), eq(directoryUsers.id, id)))
    .limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

/** Replaces a user's data, bumping its version; null when it does not exist (in this company). */
export async function updateDirectoryUser(
  db: Executor,
  companyId: string,
  id: string,
  data: Pick<DirectoryUser, 'userName' | 'userNameLower' | 'externalId' | 'active' | 'displayName' | 'attributes'>,
  at: Date,
): Promise<DirectoryUser | null> {
  const [row] = await db
    .update(directoryUsers)
    .set({ ...data, emailsLower: emailsLowerOf(data.attributes), updatedAt: at, version: sql`${directoryUsers.version} + 1` })
    .where(and(eq(directoryUsers.companyId, companyId), eq(directoryUsers.id, id)))
    .returning();
  return row ?? null;
}

export async function deleteDirectoryUser(db: Executor, companyId: string, id: string): Promise<DirectoryUser | null> {
  const [row] = await db
    .delete(directoryUsers)
    .where(and(eq(directoryUsers.companyId, companyId), eq(directoryUsers.id, id)))
    .returning();
  return row ?? null;
}

/** One page of users matching `where` (already scoped to nothing: this adds the company), in a stable order, with the total. */
export async function pageDirectoryUsers(
  db: Executor,
  companyId: string,
  where: SQL | undefined,
  page: { offset: number; limit: number },
): Promise<{ total: number; rows: DirectoryUser[] }> {
  const scope = where ? and(eq(directoryUsers.companyId, companyId), where) : eq(directoryUsers.companyId, companyId);
  const rows =
    page.limit === 0
      ? []
      : await db.select().from(directoryUsers).where(scope).orderBy(asc(directoryUsers.seq)).offset(page.offset).limit(page.limit);
  // A first page that is not full already tells the total (the IdPs' matching queries): skip the count.
  if (page.offset === 0 && page.limit > 0 && rows.length < page.limit) return { total: rows.length, rows };
  const [totals] = await db.select({ n: count() }).from(directoryUsers).where(scope);
  return { total: Number(totals?.n ?? 0), rows };
}

/** Rule 6's match, on a directory record or a tombstone alike: userName, externalId or any email among `emails`. */
function matchesIdentity(table: typeof directoryUsers | typeof directoryUserDeletions, emails: string[]) {
  return or(inArray(table.userNameLower, emails), inArray(sql`lower(${table.externalId})`, emails), arrayOverlaps(table.emailsLower, emails));
}

/**
 * The directory entry of a person, matched on userName, externalId or any email (rule 6 of the spec).
 * `emails` are the lower-case forms to try: the normalised one and the one as typed, since an
 * internationalised domain may be stored either way.
 */
export async function findDirectoryUserByEmail(db: Executor, companyId: string, emails: string[]): Promise<DirectoryUser | null> {
  if (emails.length === 0) return null;
  const [row] = await db
    .select()
    .from(directoryUsers)
    .where(
      and(
        eq(directoryUsers.companyId, companyId),
        matchesIdentity(directoryUsers, emails),
      ),
    )
    // An exact userName match wins over an email found elsewhere.
    .orderBy(sql`${inArray(directoryUsers.userNameLower, emails)} desc`, asc(directoryUsers.seq))
    .limit(1);
  return row ?? null;
}

// ---- serialising directory writes with sign-ins
/**
 * Takes, until the transaction ends, the lock of each (company, normalised email) identity. A SCIM
 * write takes those of the record it changes before it touches accounts, and a sign-in takes its own
 * before it reads the directory, so they serialise: once a deactivation commits, no sign-in of that
 * person decides on the directory as it was before. Advisory locks, because the identity may have no
 * row yet (a first sign-in, a record being created). Sorted, so two writers never deadlock.
 */
export async function lockDirectoryIdentities(db: Executor, companyId: string, emailsNormalised: readonly string[]): Promise<void> {
  for (const key of directoryLockKeys(companyId, emailsNormalised)) {
    await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
  }
}

/** The advisory lock keys of these identities, in the order they are taken (the SCIM statements take them too). */
export function directoryLockKeys(companyId: string, emailsNormalised: readonly string[]): string[] {
  return [...new Set(emailsNormalised)].sort().map((email) => `directory:${companyId}:${email}`);
}

// ---- tombstones of deleted people
/** Remembers a person the IdP deleted (replacing an older tombstone with the same userName). */
export async function recordDirectoryUserDeletion(
  db: Executor,
  deleted: Pick<DirectoryUser, 'companyId' | 'userNameLower' | 'externalId' | 'emailsLower'>,
  at: Date,
): Promise<void> {
  const values = { companyId: deleted.companyId, userNameLower: deleted.userNameLower, externalId: deleted.externalId, emailsLower: deleted.emailsLower, deletedAt: at };
  await db
    .insert(directoryUserDeletions)
    .values(values)
    .onConflictDoUpdate({
      target: [directoryUserDeletions.companyId, directoryUserDeletions.userNameLower],
      set: { externalId: values.externalId, emailsLower: values.emailsLower, deletedAt: at },
    });
}

/** A new directory record with this userName ends the tombstone: the person is back. */
export async function forgetDirectoryUserDeletion(db: Executor, companyId: string, userNameLower: string): Promise<void> {
  await db
    .delete(directoryUserDeletions)
    .where(and(eq(directoryUserDeletions.companyId, companyId), eq(directoryUserDeletions.userNameLower, userNameLower)));
}

/** Whether a deleted person matched these lower-case emails, the same way `findDirectoryUserByEmail` matches. */
export async function isDeletedFromDirectory(db: Executor, companyId: string, emails: string[]): Promise<boolean> {
  if (emails.length === 0) return false;
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(directoryUserDeletions)
    .where(
      and(
        eq(directoryUserDeletions.companyId, companyId),
        matchesIdentity(directoryUserDeletions, emails),
      ),
    )
    .limit(1);
  return row !== undefined;
}

// ---- groups
export async function insertDirectoryGroup(db: Executor, group: typeof directoryGroups.$inferInsert): Promise<DirectoryGroup> {
  const [row] = await db.insert(directoryGroups).values(group).returning();
  return row!;
}

/** A group by id; `forUpdate` locks the row until the transaction ends. */
export async function findDirectoryGroup(db: Executor, companyId: string, id: string, forUpdate = false): Promise<DirectoryGroup | null> {
  const query = db
    .select()
    .from(directoryGroups)
    .where(and(eq(directoryGroups.companyId, companyId), eq(directoryGroups.id, id)))
    .limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

export async function updateDirectoryGroup(
  db: Executor,
  companyId: string,
  id: string,
  data: { displayName: string; externalId: string | null },
  at: Date,
): Promise<DirectoryGroup | null> {
  const [row] = await db
    .update(directoryGroups)
    .set({ ...data, displayNameLower: data.displayName.toLowerCase(), updatedAt: at, version: sql`${directoryGroups.version} + 1` })
    .where(and(eq(directoryGroups.companyId, companyId), eq(directoryGroups.id, id)))
    .returning();
  return row ?? null;
}

export async function deleteDirectoryGroup(db: Executor, companyId: string, id: string): Promise<DirectoryGroup | null> {
  const [row] = await db
    .delete(directoryGroups)
    .where(and(eq(directoryGroups.companyId, companyId), eq(directoryGroups.id, id)))
    .returning();
  return row ?? null;
}

export async function pageDirectoryGroups(
  db: Executor,
  companyId: string,
  where: SQL | undefined,
  page: { offset: number; limit: number },
): Promise<{ total: number; rows: DirectoryGroup[] }> {
  const scope = where ? and(eq(directoryGroups.companyId, companyId), where) : eq(directoryGroups.companyId, companyId);
  const rows =
    page.limit === 0
      ? []
      : await db.select().from(directoryGroups).where(scope).orderBy(asc(directoryGroups.seq)).offset(page.offset).limit(page.limit);
  // A first page that is not full already tells the total (the IdPs' matching queries): skip the count.
  if (page.offset === 0 && page.limit > 0 && rows.length < page.limit) return { total: rows.length, rows };
  const [totals] = await db.select({ n: count() }).from(directoryGroups).where(scope);
  return { total: Number(totals?.n ?? 0), rows };
}

// ---- memberships
export async function groupMemberIds(db: Executor, companyId: string, groupIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = await db
    .select({ groupId: directoryGroupMembers.groupId, userId: directoryGroupMembers.userId })
    .from(directoryGroupMembers)
    .where(and(eq(directoryGroupMembers.companyId, companyId), inArray(directoryGroupMembers.groupId, groupIds)))
    .orderBy(asc(directoryGroupMembers.userId));
  for (const row of rows) out.get(row.groupId)?.push(row.userId);
  return out;
}

/**
 * The first `limit` of `userIds` (in their order) that are not users of this company's directory: members
 * must be users of the same company. One statement whatever the length of the list.
 */
export async function unknownDirectoryUserIds(db: Executor, companyId: string, userIds: readonly string[], limit: number): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .select({ id: sql<string>`wanted.id` })
    .from(sql`unnest(${textArray(userIds)}) with ordinality as wanted(id, n)`)
    .where(sql`not exists (select 1 from ${directoryUsers} where ${directoryUsers.companyId} = ${companyId} and ${directoryUsers.id} = wanted.id)`)
    .orderBy(sql`wanted.n`)
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Adds members in one statement (INSERT ... SELECT over the list); those already in are left alone. */
export async function addGroupMembers(db: Executor, companyId: string, groupId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .insert(directoryGroupMembers)
    .select(sql`select ${companyId}, ${groupId}, added.id from unnest(${textArray(userIds)}) as added(id)`)
    .onConflictDoNothing();
}

/** Removes members in one statement, deleting by the row addresses that one key lookup per id finds (src/store/lists.ts). */
export async function removeGroupMembers(db: Executor, companyId: string, groupId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.execute(sql`
    delete from ${directoryGroupMembers} where ctid = any(array(
      select member.ctid from unnest(${textArray(userIds)}) as gone(id)
      cross join lateral (
        select ctid from ${directoryGroupMembers}
        where ${directoryGroupMembers.companyId} = ${companyId} and ${directoryGroupMembers.groupId} = ${groupId} and ${directoryGroupMembers.userId} = gone.id
        limit 1
      ) as member))`);
}
