/** Admin use cases: workspaces and permission sets. */
import { newId } from '../crypto.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { PermissionSet, Workspace } from '../store/companies.js';
import { insertPermissionSet, insertWorkspace, listPermissionSets, listWorkspaces } from '../store/companies.js';
import { isUniqueViolation } from '../store/errors.js';
import type { ServiceDeps } from './deps.js';
import { ConflictError } from './errors.js';

export async function createWorkspace(deps: ServiceDeps, actor: Actor, companyId: string, name: string): Promise<Workspace> {
  try {
    return await deps.db.transaction(async (tx) => {
      const workspace = await insertWorkspace(tx, { id: newId('ws'), companyId, name });
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'workspace.created',
        targetType: 'workspace',
        targetId: workspace.id,
        data: { name },
      });
      return workspace;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'workspaces_company_name_key')) {
      throw new ConflictError('workspace_name_taken', `A workspace named "${name}" already exists in this company.`);
    }
    throw error;
  }
}

export async function createPermissionSet(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  input: { name: string; permissions: string[] },
): Promise<PermissionSet> {
  const permissions = [...new Set(input.permissions)].sort();
  try {
    return await deps.db.transaction(async (tx) => {
      const set = await insertPermissionSet(tx, { id: newId('ps'), companyId, name: input.name, permissions });
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'permission_set.created',
        targetType: 'permission_set',
        targetId: set.id,
        data: { name: input.name, permissions },
      });
      return set;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'permission_sets_company_name_key')) {
      throw new ConflictError(
        'permission_set_name_taken',
        `A permission set named "${input.name}" already exists in this company.`,
      );
    }
    throw error;
  }
}

export { listPermissionSets, listWorkspaces };
