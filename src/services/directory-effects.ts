/**
 * What a directory change does to dashboard accounts: a person deactivated or deleted in the IdP is
 * suspended at once and their sessions revoked; reactivated, they are restored (only if it was the
 * directory that locked them). Runs inside the transaction of the SCIM change.
 */
import { normaliseEmail } from '../core/email.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { Tx } from '../store/db.js';
import type { DirectoryUser } from '../store/directory.js';
import { revokeUserSessions } from '../store/sessions.js';
import { findDirectoryUser, mappingForDirectoryUser } from '../store/directory.js';
import { ensureMembership, findUsersByEmails, lockUserByDirectory, unlockUserByDirectory } from '../store/users.js';

/** Every normalised email a directory entry answers to: its userName and its emails (as the store keeps them). */
export function directoryEmails(user: Pick<DirectoryUser, 'userName' | 'emailsLower'>): string[] {
  const out = new Set<string>();
  for (const candidate of [user.userName, ...user.emailsLower]) {
    const email = normaliseEmail(candidate);
    if (email) out.add(email.normalised);
  }
  return [...out];
}

/**
 * The normalised emails whose sign-ins a change of this entry must serialise with: every form the JIT
 * lookup can match it on (userName, emails, and an externalId that is an email).
 */
export function directoryIdentities(user: Pick<DirectoryUser, 'userName' | 'emailsLower' | 'externalId'>): string[] {
  const external = user.externalId ? normaliseEmail(user.externalId) : null;
  return [...directoryEmails(user), ...(external ? [external.normalised] : [])];
}

/** Locks or restores the dashboard accounts of a directory entry; `state` null means deleted. */
export async function applyDirectoryState(
  tx: Tx,
  companyId: string,
  entry: Pick<DirectoryUser, 'id' | 'userName' | 'emailsLower'>,
  state: { active: boolean } | null,
  now: Date,
  actor: Actor,
): Promise<void> {
  const accounts = await findUsersByEmails(tx, companyId, directoryEmails(entry));
  for (const account of accounts) {
    // Support's impersonation accounts are not the customer directory's to lock.
    if (account.isImpersonation) continue;
    if (state === null || !state.active) {
      const locked = await lockUserByDirectory(tx, companyId, account.id, now);
      if (!locked) continue;
      const revoked = await revokeUserSessions(tx, companyId, account.id, now);
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'user.suspended',
        targetType: 'user',
        targetId: account.id,
        reason: state === null ? 'directory_user_deleted' : 'directory_user_inactive',
        data: { directoryUserId: entry.id, sessionsRevoked: revoked },
      });
    } else {
      const restored = await unlockUserByDirectory(tx, companyId, account.id, now);
      if (!restored) continue;
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'user.reactivated',
        targetType: 'user',
        targetId: account.id,
        reason: 'directory_user_active',
        data: { directoryUserId: entry.id },
      });
    }
  }
}

/**
 * Applies group mappings to the existing dashboard accounts of these directory users: each gets (or
 * keeps) a membership in the workspace of their highest-priority mapped group, with its permission
 * set. Memberships are never removed here: losing a group must not silently lose access an admin gave.
 */
export async function applyGroupMappings(tx: Tx, companyId: string, directoryUserIds: readonly string[], actor: Actor): Promise<void> {
  for (const directoryUserId of directoryUserIds) {
    const mapping = await mappingForDirectoryUser(tx, companyId, directoryUserId);
    if (!mapping) continue;
    const entry = await findDirectoryUser(tx, companyId, directoryUserId);
    if (!entry) continue;
    for (const account of await findUsersByEmails(tx, companyId, directoryEmails(entry))) {
      if (account.isImpersonation) continue;
      const changed = await ensureMembership(tx, {
        companyId,
        userId: account.id,
        workspaceId: mapping.workspaceId,
        permissionSetId: mapping.permissionSetId,
      });
      if (!changed) continue;
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'membership.set_by_group',
        targetType: 'user',
        targetId: account.id,
        data: { groupId: mapping.groupId, workspaceId: mapping.workspaceId, permissionSetId: mapping.permissionSetId },
      });
    }
  }
}
