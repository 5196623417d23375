/** Admin: which IdP group decides the workspace and permission set of its members. */
import { isUuid } from '../crypto.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import { findPermissionSet, findWorkspace } from '../store/companies.js';
import type { GroupMapping } from '../store/group-mappings.js';
import { findDirectoryGroup, groupMemberIds } from '../store/directory.js';
import { deleteGroupMapping, listGroupMappings, upsertGroupMapping } from '../store/group-mappings.js';
import type { ServiceDeps } from './deps.js';
import { applyGroupMappings } from './directory-effects.js';
import { InvalidInputError, NotFoundError } from './errors.js';

/** The routes present it; they never import the store. */
export type { GroupMapping };


export async function mapGroup(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  groupId: string,
  input: { workspaceId: string; permissionSetId: string; priority: number },
): Promise<GroupMapping> {
  return deps.db.transaction(async (tx) => {
    if (!isUuid(groupId) || !(await findDirectoryGroup(tx, companyId, groupId))) {
      throw new NotFoundError('group_not_found', `No directory group ${groupId} in this company.`);
    }
    if (!(await findWorkspace(tx, companyId, input.workspaceId))) {
      throw new InvalidInputError('unknown_workspace', `No workspace ${input.workspaceId} in this company.`);
    }
    if (!(await findPermissionSet(tx, companyId, input.permissionSetId))) {
      throw new InvalidInputError('unknown_permission_set', `No permission set ${input.permissionSetId} in this company.`);
    }
    const row = await upsertGroupMapping(tx, { companyId, groupId, ...input });
    await recordAudit(tx, { companyId, actor, action: 'group_mapping.saved', targetType: 'directory_group', targetId: groupId, data: input });
    const members = (await groupMemberIds(tx, companyId, [groupId])).get(groupId) ?? [];
    await applyGroupMappings(tx, companyId, members, actor);
    return row;
  });
}

export async function unmapGroup(deps: ServiceDeps, actor: Actor, companyId: string, groupId: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    if (!isUuid(groupId) || !(await deleteGroupMapping(tx, companyId, groupId))) {
      throw new NotFoundError('group_mapping_not_found', `No mapping for group ${groupId} in this company.`);
    }
    await recordAudit(tx, { companyId, actor, action: 'group_mapping.deleted', targetType: 'directory_group', targetId: groupId });
  });
}

export async function companyGroupMappings(deps: ServiceDeps, companyId: string): Promise<GroupMapping[]> {
  return listGroupMappings(deps.db, companyId);
}
