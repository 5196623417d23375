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
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { DirectoryUser } from '../store/directory.js';
import {
  deleteDirectoryUser,
  findDirectoryUser,
  forgetDirectoryUserDeletion,
  insertDirectoryUser,
  lockDirectoryIdentities,
  pageDirectoryUsers,
  recordDirectoryUserDeletion,
  updateDirectoryUser,
} from '../store/directory.js';
import { isUniqueViolation } from '../store/errors.js';
import { filterToSql, userFilterTarget } from '../store/scim-filter-sql.js';
import type { ServiceDeps } from './deps.js';
import { applyDirectoryState, directoryIdentities } from './directory-effects.js';
import { scimBaseUrl } from './scim-tokens.js';

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

async function load(deps: ServiceDeps, companyId: string, id: string): Promise<DirectoryUser> {
  // SCIM ids are UUIDs; anything else cannot exist (and never reaches the database).
  const row = isUuid(id) ? await findDirectoryUser(deps.db, companyId, id) : null;
  if (!row) throw notFound(id);
  return row;
}

async function audit(tx: Parameters<typeof recordAudit>[0], actor: Actor, row: Pick<DirectoryUser, 'companyId' | 'id' | 'userName' | 'active'>, action: AuditAction) {
  await recordAudit(tx, {
    companyId: row.companyId,
    actor,
    action,
    targetType: 'directory_user',
    targetId: row.id,
    data: { userName: row.userName, active: row.active },
  });
}

export async function createScimUser(deps: ServiceDeps, actor: Actor, companyId: string, body: unknown): Promise<DirectoryUser> {
  const data = parseUserInput(body);
  const now = deps.now();
  try {
    return await deps.db.transaction(async (tx) => {
      const row = await insertDirectoryUser(tx, { id: randomUUID(), companyId, ...columnsOf(data), createdAt: now, updatedAt: now });
      await lockDirectoryIdentities(tx, companyId, directoryIdentities(row));
      await forgetDirectoryUserDeletion(tx, companyId, row.userNameLower);
      await audit(tx, actor, row, 'directory_user.created');
      if (!row.active) await applyDirectoryState(tx, companyId, row, { active: false }, now, actor);
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'directory_users_company_user_name_key')) throw duplicate(data.userName);
    throw error;
  }
}

export async function getScimUser(deps: ServiceDeps, companyId: string, id: string): Promise<DirectoryUser> {
  return load(deps, companyId, id);
}

export async function listScimUsers(
  deps: ServiceDeps,
  companyId: string,
  query: { filter: ScimFilter | null; startIndex: number; count: number },
): Promise<{ total: number; rows: DirectoryUser[] }> {
  const where = query.filter ? filterToSql(query.filter, userFilterTarget) : undefined;
  return pageDirectoryUsers(deps.db, companyId, where, { offset: query.startIndex - 1, limit: query.count });
}

/**
 * Read-modify-write of one user (PUT or PATCH) under a row lock, so concurrent PATCHes never lose an
 * update; applies the effect of an `active` change in the same transaction.
 */
async function mutate(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  id: string,
  change: (current: ScimUserData) => ScimUserData,
): Promise<DirectoryUser> {
  if (!isUuid(id)) throw notFound(id);
  const now = deps.now();
  let userName = '';
  try {
    return await deps.db.transaction(async (tx) => {
      const current = await findDirectoryUser(tx, companyId, id, true);
      if (!current) throw notFound(id);
      const data = change(dataOf(current));
      userName = data.userName;
      const row = await updateDirectoryUser(tx, companyId, id, columnsOf(data), now);
      if (!row) throw notFound(id);
      await lockDirectoryIdentities(tx, companyId, [...directoryIdentities(current), ...directoryIdentities(row)]);
      const action = row.active === current.active ? 'directory_user.updated' : row.active ? 'directory_user.activated' : 'directory_user.deactivated';
      await audit(tx, actor, row, action);
      await applyDirectoryState(tx, companyId, row, { active: row.active }, now, actor);
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'directory_users_company_user_name_key')) throw duplicate(userName);
    throw error;
  }
}

export async function replaceScimUser(deps: ServiceDeps, actor: Actor, companyId: string, id: string, body: unknown): Promise<DirectoryUser> {
  const data = parseUserInput(body);
  return mutate(deps, actor, companyId, id, () => data);
}

export async function patchScimUser(deps: ServiceDeps, actor: Actor, companyId: string, id: string, body: unknown): Promise<DirectoryUser> {
  return mutate(deps, actor, companyId, id, (current) => applyUserPatch(current, body, { id }));
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
