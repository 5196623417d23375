/** SCIM /Groups for one company: groups and their members (users of the same company's directory only). */
import { randomUUID } from 'node:crypto';
import { isUuid } from '../crypto.js';
import { applyGroupPatch, parseGroupInput, renderGroup } from '../scim/index.js';
import { ScimError } from '../scim/types.js';
import type { ScimFilter, ScimGroupData } from '../scim/types.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { Tx } from '../store/db.js';
import type { DirectoryGroup } from '../store/directory.js';
import {
  addGroupMembers,
  deleteDirectoryGroup,
  findDirectoryGroup,
  groupMemberIds,
  insertDirectoryGroup,
  pageDirectoryGroups,
  removeGroupMembers,
  unknownDirectoryUserIds,
  updateDirectoryGroup,
} from '../store/directory.js';
import { isUniqueViolation } from '../store/errors.js';
import { filterToSql, groupFilterTarget } from '../store/scim-filter-sql.js';
import type { ServiceDeps } from './deps.js';
import { applyGroupMappings } from './directory-effects.js';
import { scimBaseUrl } from './scim-tokens.js';

const notFound = (id: string) => new ScimError(404, null, `Group ${id} not found`);
const duplicate = (name: string) => new ScimError(409, 'uniqueness', `A group with displayName "${name}" already exists`);

export interface GroupWithMembers {
  row: DirectoryGroup;
  memberIds: string[];
}

/** The SCIM JSON of a stored group. */
export function groupResource(deps: ServiceDeps, group: GroupWithMembers): Record<string, unknown> {
  return renderGroup(
    group.row.id,
    { displayName: group.row.displayName, externalId: group.row.externalId, memberIds: group.memberIds },
    {
      created: group.row.createdAt,
      lastModified: group.row.updatedAt,
      version: String(group.row.version),
      location: `${scimBaseUrl(deps.publicUrl, group.row.companyId)}/Groups/${group.row.id}`,
    },
  );
}

/** Members must be users of this company's directory: an id of another company is simply unknown. */
async function checkMembers(tx: Tx, companyId: string, memberIds: string[]): Promise<void> {
  const unknown = await unknownDirectoryUserIds(tx, companyId, memberIds, 5);
  if (unknown.length > 0) throw new ScimError(400, 'invalidValue', `Unknown member user id(s): ${unknown.join(', ')}`);
}

/** Makes the stored membership equal to `next`, writing only the difference (a few statements, whatever its size). */
async function syncMembers(tx: Tx, companyId: string, groupId: string, current: string[], next: string[]): Promise<{ added: string[]; removed: string[] }> {
  const before = new Set(current);
  const after = new Set(next);
  const added = [...after].filter((id) => !before.has(id));
  const removed = [...before].filter((id) => !after.has(id));
  await checkMembers(tx, companyId, added);
  await addGroupMembers(tx, companyId, groupId, added);
  await removeGroupMembers(tx, companyId, groupId, removed);
  return { added, removed };
}

export async function createScimGroup(deps: ServiceDeps, actor: Actor, companyId: string, body: unknown): Promise<GroupWithMembers> {
  const data = parseGroupInput(body);
  const now = deps.now();
  try {
    return await deps.db.transaction(async (tx) => {
      const row = await insertDirectoryGroup(tx, {
        id: randomUUID(),
        companyId,
        displayName: data.displayName,
        displayNameLower: data.displayName.toLowerCase(),
        externalId: data.externalId,
        createdAt: now,
        updatedAt: now,
      });
      const { added } = await syncMembers(tx, companyId, row.id, [], data.memberIds);
      await applyGroupMappings(tx, companyId, added, actor);
      await recordAudit(tx, { companyId, actor, action: 'directory_group.created', targetType: 'directory_group', targetId: row.id, data: { displayName: row.displayName, members: data.memberIds.length } });
      return { row, memberIds: [...new Set(data.memberIds)] };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'directory_groups_company_name_key')) throw duplicate(data.displayName);
    throw error;
  }
}

export async function getScimGroup(deps: ServiceDeps, companyId: string, id: string): Promise<GroupWithMembers> {
  const row = isUuid(id) ? await findDirectoryGroup(deps.db, companyId, id) : null;
  if (!row) throw notFound(id);
  return { row, memberIds: (await groupMemberIds(deps.db, companyId, [row.id])).get(row.id) ?? [] };
}

export async function listScimGroups(
  deps: ServiceDeps,
  companyId: string,
  query: { filter: ScimFilter | null; startIndex: number; count: number; withMembers: boolean },
): Promise<{ total: number; groups: GroupWithMembers[] }> {
  const where = query.filter ? filterToSql(query.filter, groupFilterTarget) : undefined;
  const page = await pageDirectoryGroups(deps.db, companyId, where, { offset: query.startIndex - 1, limit: query.count });
  const members = query.withMembers ? await groupMemberIds(deps.db, companyId, page.rows.map((r) => r.id)) : new Map<string, string[]>();
  return { total: page.total, groups: page.rows.map((row) => ({ row, memberIds: members.get(row.id) ?? [] })) };
}

async function mutate(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  id: string,
  change: (current: ScimGroupData) => ScimGroupData,
): Promise<GroupWithMembers> {
  if (!isUuid(id)) throw notFound(id);
  const now = deps.now();
  let name = '';
  try {
    return await deps.db.transaction(async (tx) => {
      const current = await findDirectoryGroup(tx, companyId, id, true);
      if (!current) throw notFound(id);
      const memberIds = (await groupMemberIds(tx, companyId, [id])).get(id) ?? [];
      const next = change({ displayName: current.displayName, externalId: current.externalId, memberIds });
      name = next.displayName;
      const row = await updateDirectoryGroup(tx, companyId, id, { displayName: next.displayName, externalId: next.externalId }, now);
      if (!row) throw notFound(id);
      const { added, removed } = await syncMembers(tx, companyId, id, memberIds, next.memberIds);
      await applyGroupMappings(tx, companyId, added, actor);
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'directory_group.updated',
        targetType: 'directory_group',
        targetId: id,
        data: { displayName: row.displayName, membersAdded: added.length, membersRemoved: removed.length },
      });
      return { row, memberIds: [...new Set(next.memberIds)] };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'directory_groups_company_name_key')) throw duplicate(name);
    throw error;
  }
}

export async function replaceScimGroup(deps: ServiceDeps, actor: Actor, companyId: string, id: string, body: unknown): Promise<GroupWithMembers> {
  const data = parseGroupInput(body);
  return mutate(deps, actor, companyId, id, () => data);
}

export async function patchScimGroup(deps: ServiceDeps, actor: Actor, companyId: string, id: string, body: unknown): Promise<GroupWithMembers> {
  return mutate(deps, actor, companyId, id, (current) => applyGroupPatch(current, body, { id }));
}

export async function deleteScimGroup(deps: ServiceDeps, actor: Actor, companyId: string, id: string): Promise<void> {
  if (!isUuid(id)) throw notFound(id);
  await deps.db.transaction(async (tx) => {
    const row = await deleteDirectoryGroup(tx, companyId, id);
    if (!row) throw notFound(id);
    await recordAudit(tx, { companyId, actor, action: 'directory_group.deleted', targetType: 'directory_group', targetId: id, data: { displayName: row.displayName } });
  });
}
