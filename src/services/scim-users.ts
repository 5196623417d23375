/**
 * SCIM /Users for one company: the directory entry, and its effect on dashboard accounts in the same
 * transaction. Inputs are parsed and PATCHes applied by the pure SCIM layer; this file sequences I/O.
 */
import { randomUUID } from 'node:crypto';
import type { AuditAction } from '../core/audit-actions.js';
import { foldIdentifier } from '../core/email.js';
import { isUuid } from '../crypto.js';
import { applyUserPatch, parseUserInput, renderUser } from '../scim/index.js';
import { ScimError } from '../scim/types.js';
import type { ScimFilter, ScimUserData } from '../scim/types.js';
import type { Actor, AuditInput } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { DirectoryUser } from '../store/directory.js';
import { deleteDirectoryUser, directoryLockKeys, emailsLowerOf, lockDirectoryIdentities, recordDirectoryUserDeletion } from '../store/directory.js';
import { isUniqueViolation } from '../store/errors.js';
import { compileFilter, uniqueUserKey, userFilterTarget } from '../store/scim-filter-sql.js';
import { createUserAtOnce, findUserByKeyWithToken, findUserWithToken, insertUserWithToken, pageUsersWithToken, recordUserCreated, updateUserLocked } from '../store/scim-user-statements.js';
import type { ServiceDeps } from './deps.js';
import { applyDirectoryState, directoryIdentities } from './directory-effects.js';
import type { ScimCaller } from './scim-tokens.js';
import { acceptScimToken, scimBaseUrl } from './scim-tokens.js';

const notFound = (id: string) => new ScimError(404, null, `User ${id} not found`);
const duplicate = (userName: string) => new ScimError(409, 'uniqueness', `A user with userName "${userName}" already exists`);

const dataOf = (row: DirectoryUser): ScimUserData => ({
  userName: row.userName,
  externalId: row.externalId,
  active: row.active,
  displayName: row.displayName,
  attributes: row.attributes,
});

const columnsOf = (data: ScimUserData) => ({
  userName: data.userName,
  userNameLower: foldIdentifier(data.userName),
  externalId: data.externalId,
  active: data.active,
  displayName: data.displayName,
  attributes: data.attributes,
});

/** The SCIM JSON of a stored user. */
export function userResource(deps: ServiceDeps, row: DirectoryUser): Record<string, unknown> {
  return renderUser(row.id, dataOf(row), {
    created: row.createdAt,
    lastModified: row.updatedAt,
    version: String(row.version),
    location: `${scimBaseUrl(deps.publicUrl, row.companyId)}/Users/${row.id}`,
  });
}

function auditOf(actor: Actor, row: Pick<DirectoryUser, 'companyId' | 'id' | 'userName' | 'active'>, action: AuditAction): AuditInput {
  return { companyId: row.companyId, actor, action, targetType: 'directory_user', targetId: row.id, data: { userName: row.userName, active: row.active } };
}

async function audit(tx: Parameters<typeof recordAudit>[0], actor: Actor, row: Pick<DirectoryUser, 'companyId' | 'id' | 'userName' | 'active'>, action: AuditAction) {
  await recordAudit(tx, auditOf(actor, row, action));
}

/** The identities a user with these columns answers to (directory-effects.ts directoryIdentities). */
const identitiesOf = (columns: ReturnType<typeof columnsOf>) =>
  directoryIdentities({ userName: columns.userName, emailsLower: emailsLowerOf(columns.attributes), externalId: columns.externalId });

/**
 * Creates a user. An active one, the usual case, in one statement (token check, the identities'
 * locks, insert, tombstone, audit); when that statement sees the userName taken, or for an inactive
 * user (whose accounts must be looked at after the locks), in a transaction: BEGIN, token check with
 * the locks and the insert, tombstone and audit, the accounts' effect, COMMIT.
 */
export async function createScimUser(deps: ServiceDeps, actor: Actor, caller: ScimCaller, body: unknown): Promise<DirectoryUser> {
  const data = parseUserInput(body);
  const { companyId } = caller.check;
  const columns = columnsOf(data);
  const id = randomUUID();
  const now = deps.now();
  const keys = directoryLockKeys(companyId, identitiesOf(columns));
  const audits = [auditOf(actor, { companyId, id, userName: data.userName, active: data.active }, 'directory_user.created')];
  try {
    if (data.active) {
      const { token, row } = await createUserAtOnce(deps.db, caller.check, id, columns, now, keys, audits);
      acceptScimToken(caller, token);
      if (row) return row;
    }
    return await deps.db.transaction(async (tx) => {
      const { token, row } = await insertUserWithToken(tx, caller.check, id, columns, now, keys);
      acceptScimToken(caller, token);
      // The insert is gated on the same check: a token accepted here inserted the row.
      if (!row) throw new Error('the directory user was not inserted');
      await recordUserCreated(tx, row, audits);
      if (!row.active) await applyDirectoryState(tx, companyId, row, { active: false }, now, actor);
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'directory_users_company_user_name_key')) throw duplicate(data.userName);
    throw error;
  }
}

export async function getScimUser(deps: ServiceDeps, caller: ScimCaller, id: string): Promise<DirectoryUser> {
  // SCIM ids are UUIDs; anything else cannot exist (and never reaches the database).
  if (!isUuid(id)) throw notFound(id);
  const { token, row } = await findUserWithToken(deps.db, caller.check, id);
  acceptScimToken(caller, token);
  if (!row) throw notFound(id);
  return row;
}

/**
 * A page of users, its total and the token check in one statement (one per filter shape, prepared);
 * the IdPs' matching query by its unique index alone.
 */
export async function listScimUsers(
  deps: ServiceDeps,
  caller: ScimCaller,
  query: { filter: ScimFilter | null; startIndex: number; count: number },
): Promise<{ total: number; rows: DirectoryUser[] }> {
  const unique = query.filter && query.startIndex === 1 && query.count > 0 ? uniqueUserKey(query.filter) : null;
  if (unique) {
    const { token, row } = await findUserByKeyWithToken(deps.db, caller.check, unique.by, unique.value);
    acceptScimToken(caller, token);
    return { total: row ? 1 : 0, rows: row ? [row] : [] };
  }
  const filter = query.filter ? compileFilter(query.filter, userFilterTarget) : null;
  const page = await pageUsersWithToken(deps.db, caller.check, filter, { offset: query.startIndex - 1, limit: query.count });
  acceptScimToken(caller, page.token);
  return { total: page.total, rows: page.rows };
}

/**
 * Read-modify-write of one user (PUT or PATCH) under a row lock, so concurrent PATCHes never lose an
 * update; applies the effect of an `active` change in the same transaction. BEGIN, the token check
 * with the row lock, the identities' locks with the update and its audit, the accounts' effect, COMMIT.
 */
async function mutate(
  deps: ServiceDeps,
  actor: Actor,
  caller: ScimCaller,
  id: string,
  change: (current: ScimUserData) => ScimUserData,
): Promise<DirectoryUser> {
  if (!isUuid(id)) throw notFound(id);
  const { companyId } = caller.check;
  const now = deps.now();
  let userName = '';
  try {
    return await deps.db.transaction(async (tx) => {
      const { token, row: current } = await findUserWithToken(tx, caller.check, id, true);
      acceptScimToken(caller, token);
      if (!current) throw notFound(id);
      const data = change(dataOf(current));
      userName = data.userName;
      const columns = columnsOf(data);
      const action = data.active === current.active ? 'directory_user.updated' : data.active ? 'directory_user.activated' : 'directory_user.deactivated';
      const keys = directoryLockKeys(companyId, [...directoryIdentities(current), ...identitiesOf(columns)]);
      const row = await updateUserLocked(tx, companyId, id, columns, now, keys, [auditOf(actor, { companyId, id, userName: data.userName, active: data.active }, action)]);
      if (!row) throw notFound(id);
      // After the locks, in a statement of its own: it must see accounts a sign-in created before them.
      await applyDirectoryState(tx, companyId, row, { active: row.active }, now, actor);
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'directory_users_company_user_name_key')) throw duplicate(userName);
    throw error;
  }
}

export async function replaceScimUser(deps: ServiceDeps, actor: Actor, caller: ScimCaller, id: string, body: unknown): Promise<DirectoryUser> {
  const data = parseUserInput(body);
  return mutate(deps, actor, caller, id, () => data);
}

export async function patchScimUser(deps: ServiceDeps, actor: Actor, caller: ScimCaller, id: string, body: unknown): Promise<DirectoryUser> {
  return mutate(deps, actor, caller, id, (current) => applyUserPatch(current, body, { id }));
}

/** Deletes the directory entry and leaves a tombstone; its dashboard accounts are suspended (deletion in the IdP locks them out). */
export async function deleteScimUser(deps: ServiceDeps, actor: Actor, companyId: string, id: string): Promise<void> {
  if (!isUuid(id)) throw notFound(id);
  const now = deps.now();
  await deps.db.transaction(async (tx) => {
    const row = await deleteDirectoryUser(tx, companyId, id);
    if (!row) throw notFound(id);
    await lockDirectoryIdentities(tx, companyId, directoryIdentities(row));
    // The tombstone refuses sign-ins of this person with assertions the IdP issued before the delete.
    await recordDirectoryUserDeletion(tx, row, now);
    await audit(tx, actor, row, 'directory_user.deleted');
    await applyDirectoryState(tx, companyId, row, null, now, actor);
  });
}
