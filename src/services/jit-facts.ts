/** The facts the JIT rules decide on, looked up the same way for a real sign-in and for "explain". */
import type { JitFacts, JitSettings } from '../core/jit.js';
import { foldIdentifier, normaliseEmail } from '../core/email.js';
import type { NormalisedEmail } from '../core/email.js';
import type { Executor } from '../store/db.js';
import { mappingForDirectoryUser } from '../store/group-mappings.js';
import { readJitContextRow } from '../store/jit-context.js';
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
  // One statement for all of it (store/jit-context.ts): it runs on every sign-in.
  const row = await readJitContextRow(db, companyId, normalised ? { normalised: normalised.normalised, domain: normalised.domain } : null, directoryForms);
  const settings = row?.settings ?? null;
  const existingUser = row?.user ?? null;
  const domainHasUser = row?.domainHasUser ?? false;
  const exception = row?.exception ?? null;
  const syncEnabled = row?.syncEnabled ?? false;
  const entry = row?.entry ?? null;
  const deleted = row?.deleted ?? false;
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
