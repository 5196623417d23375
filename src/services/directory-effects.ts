/**
 * What a directory change does to dashboard accounts: a person deactivated or deleted in the IdP is
 * suspended at once and their sessions revoked; reactivated, they are restored (only if it was the
 * directory that locked them). Runs inside the transaction of the SCIM change.
 */
import { normaliseEmail } from '../core/email.js';
import type { Actor } from '../store/audit.js';
import { recordAudit, recordAudits } from '../store/audit.js';
import type { Tx } from '../store/db.js';
import type { DirectoryUser } from '../store/directory.js';
import type { MappingDecision } from '../store/group-mappings.js';
import { revokeUserSessions } from '../store/sessions.js';
import { mappingsForDirectoryUsers } from '../store/group-mappings.js';
import type { WantedMembership } from '../store/users.js';
import { ensureMemberships, findUsersByEmails, lockUserByDirectory, unlockUserByDirectory } from '../store/users.js';

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
 * Set-based, a constant number of statements however many users (a 50,000-member group push): the
 * mappings in one, the accounts in one, the memberships in one and their audit events in one.
 */
export async function applyGroupMappings(tx: Tx, companyId: string, directoryUserIds: readonly string[], actor: Actor): Promise<void> {
  const decided = await mappingsForDirectoryUsers(tx, companyId, directoryUserIds);
  if (decided.length === 0) return;
  const wantedByEmail = new Map<string, MappingDecision[]>();
  for (const { user, mapping } of decided) {
    for (const email of directoryEmails(user)) {
      const mappings = wantedByEmail.get(email);
      if (mappings) mappings.push(mapping);
      else wantedByEmail.set(email, [mapping]);
    }
  }
  // One row per (account, workspace): two entries sharing an address and a workspace would otherwise
  // make the upsert touch the same membership twice.
  const wanted = new Map<string, WantedMembership>();
  const groupOf = new Map<string, string>();
  for (const account of await findUsersByEmails(tx, companyId, [...wantedByEmail.keys()])) {
    // Support's impersonation accounts are not the customer directory's to manage.
    if (account.isImpersonation) continue;
    for (const mapping of wantedByEmail.get(account.emailNormalized) ?? []) {
      const key = `${account.id} ${mapping.workspaceId}`;
      wanted.set(key, { userId: account.id, workspaceId: mapping.workspaceId, permissionSetId: mapping.permissionSetId });
      groupOf.set(key, mapping.groupId);
    }
  }
  const changed = await ensureMemberships(tx, companyId, [...wanted.values()]);
  await recordAudits(
    tx,
    changed.map((membership) => ({
      companyId,
      actor,
      action: 'membership.set_by_group',
      targetType: 'user',
      targetId: membership.userId,
      data: {
        groupId: groupOf.get(`${membership.userId} ${membership.workspaceId}`),
        workspaceId: membership.workspaceId,
        permissionSetId: membership.permissionSetId,
        created: membership.created === true,
      },
    })),
  );
}
