/** The facts the JIT rules decide on, looked up the same way for a real sign-in and for "explain". */
import type { JitFacts, JitSettings } from '../core/jit.js';
import { normaliseEmail } from '../core/email.js';
import { findDomainException } from '../store/access.js';
import type { Executor } from '../store/db.js';
import { findJitSettings } from '../store/jit.js';
import { domainHasConfirmedUser, findUserByEmail } from '../store/users.js';
import type { User } from '../store/users.js';

export interface JitContext {
  settings: JitSettings;
  facts: JitFacts;
  /** The company's user with this email, if any (the row, for the sign-in that follows). */
  existingUser: User | null;
}

export async function gatherJitContext(db: Executor, companyId: string, email: string | null, samlConfigured: boolean): Promise<JitContext> {
  const normalised = email ? normaliseEmail(email) : null;
  const [settings, existingUser, domainHasUser, exception] = await Promise.all([
    findJitSettings(db, companyId),
    normalised ? findUserByEmail(db, companyId, normalised.normalised) : null,
    normalised ? domainHasConfirmedUser(db, companyId, normalised.domain) : false,
    normalised ? findDomainException(db, companyId, normalised.domain) : null,
  ]);
  return {
    settings: {
      enabled: settings?.enabled ?? false,
      defaultWorkspaceId: settings?.defaultWorkspaceId ?? null,
      defaultPermissionSetId: settings?.defaultPermissionSetId ?? null,
      requireDirectoryMembership: settings?.requireDirectoryMembership ?? false,
    },
    facts: {
      samlConfigured,
      existingUser: existingUser ? { id: existingUser.id, status: existingUser.status, isImpersonation: existingUser.isImpersonation } : null,
      domainHasConfirmedUser: domainHasUser,
      domainException: exception ? { grantedBy: exception.grantedBy, reason: exception.reason, grantedAt: exception.createdAt } : null,
      // Directory sync (SCIM) is not built yet: no directory facts, and the settings refuse requiring them.
      directory: null,
    },
    existingUser,
  };
}
