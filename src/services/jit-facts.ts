/** The facts the JIT rules decide on, looked up the same way for a real sign-in and for "explain". */
import type { JitFacts, JitSettings } from '../core/jit.js';
import { foldIdentifier, normaliseEmail } from '../core/email.js';
import type { NormalisedEmail } from '../core/email.js';
import { findDomainException } from '../store/access.js';
import type { Executor } from '../store/db.js';
import { findDirectoryUserByEmail, hasActiveScimToken, isDeletedFromDirectory, mappingForDirectoryUser } from '../store/directory.js';
import { findJitSettings } from '../store/jit.js';
import { domainHasConfirmedUser, findUserByEmail } from '../store/users.js';
import type { User } from '../store/users.js';

export interface JitContext {
  settings: JitSettings;
  facts: JitFacts;
  /** The company's user with this email, if any (the row, for the sign-in that follows). */
  existingUser: User | null;
}

export async function gatherJitContext(
  db: Executor,
  companyId: string,
  email: string | null,
  samlConfigured: boolean,
  /** The email already normalised by the caller (the ACS does it once per sign-in); normalised here when omitted. */
  alreadyNormalised?: NormalisedEmail | null,
): Promise<JitContext> {
  const normalised = alreadyNormalised !== undefined ? alreadyNormalised : email ? normaliseEmail(email) : null;
  // Both forms: the normalised address (punycode domain) and foldIdentifier's, which the directory writes (domain as sent).
  const directoryForms = normalised ? [...new Set([normalised.normalised, foldIdentifier(normalised.original)])] : [];
  const [settings, existingUser, domainHasUser, exception, syncEnabled, entry, deleted] = await Promise.all([
    findJitSettings(db, companyId),
    normalised ? findUserByEmail(db, companyId, normalised.normalised) : null,
    normalised ? domainHasConfirmedUser(db, companyId, normalised.domain) : false,
    normalised ? findDomainException(db, companyId, normalised.domain) : null,
    hasActiveScimToken(db, companyId),
    findDirectoryUserByEmail(db, companyId, directoryForms),
    isDeletedFromDirectory(db, companyId, directoryForms),
  ]);
  // An IdP group mapping decides the workspace and permission set of a directory member's new account.
  const mapping = entry ? await mappingForDirectoryUser(db, companyId, entry.id) : null;
  return {
    settings: {
      enabled: settings?.enabled ?? false,
      defaultWorkspaceId: mapping?.workspaceId ?? settings?.defaultWorkspaceId ?? null,
      defaultPermissionSetId: mapping?.permissionSetId ?? settings?.defaultPermissionSetId ?? null,
      requireDirectoryMembership: settings?.requireDirectoryMembership ?? false,
    },
    facts: {
      samlConfigured,
      existingUser: existingUser ? { id: existingUser.id, status: existingUser.status, isImpersonation: existingUser.isImpersonation } : null,
      domainHasConfirmedUser: domainHasUser,
      domainException: exception ? { grantedBy: exception.grantedBy, reason: exception.reason, grantedAt: exception.createdAt } : null,
      // Records are facts whatever the token state: revoking SCIM does not forget who was deactivated or deleted.
      directory: { syncEnabled, entry: entry ? { active: entry.active } : null, deleted },
    },
    existingUser,
  };
}
