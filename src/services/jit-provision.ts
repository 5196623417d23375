/** The JIT account a sign-in creates: the user, its membership and the audit of both, in the sign-in's transaction. */
import type { decideJit } from '../core/jit.js';
import { newId } from '../crypto.js';
import { recordAudit } from '../store/audit.js';
import type { Tx } from '../store/db.js';
import { findUserByEmail, insertMembership, insertUserIfAbsent } from '../store/users.js';
import type { User } from '../store/users.js';

/**
 * Creates the JIT account and its membership. Two first logins of one person race here: the unique
 * (company, email) key lets exactly one insert win; the loser waits for it and signs in as that user.
 */
export async function provisionUser(
  tx: Tx,
  companyId: string,
  decision: Extract<ReturnType<typeof decideJit>, { kind: 'provision' }>,
  profile: { firstName: string | null; lastName: string | null },
  now: Date,
): Promise<{ user: User; created: boolean }> {
  const user = await insertUserIfAbsent(tx, {
      id: newId('usr'),
      companyId,
      email: decision.email.original,
      emailNormalized: decision.email.normalised,
      emailDomain: decision.email.domain,
      firstName: profile.firstName,
      lastName: profile.lastName,
      status: 'active',
      confirmedAt: now,
      confirmedVia: 'saml',
    provisionedBy: 'jit',
  });
  if (!user) {
    const existing = await findUserByEmail(tx, companyId, decision.email.normalised);
    if (!existing) throw new Error('user vanished during provisioning');
    return { user: existing, created: false };
  }
  await insertMembership(tx, { companyId, userId: user.id, workspaceId: decision.workspaceId, permissionSetId: decision.permissionSetId });
  await recordAudit(tx, {
    companyId,
    actor: { type: 'system', id: 'jit' },
    action: 'user.provisioned',
    targetType: 'user',
    targetId: user.id,
    data: { via: 'jit', email: user.emailNormalized, workspaceId: decision.workspaceId, permissionSetId: decision.permissionSetId, eligibleThrough: decision.eligibleThrough },
  });
  return { user, created: true };
}
