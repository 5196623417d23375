/** Sessions: started at sign-in, resolved from the cookie's token, revoked at logout or lock-out. */
import { hashSecret, newId, newSecret } from '../crypto.js';
import { recordAudit } from '../store/audit.js';
import { findCompany, findPermissionSet, findWorkspace } from '../store/companies.js';
import type { Company, PermissionSet, Workspace } from '../store/companies.js';
import type { Executor } from '../store/db.js';
import type { Session } from '../store/sessions.js';
import { findLiveSession, insertSession, revokeSession } from '../store/sessions.js';
import type { Membership, User } from '../store/users.js';
import { membershipsOf } from '../store/users.js';
import type { ServiceDeps } from './deps.js';

export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** What a SAML sign-in tells about the session: Single Logout finds it by connection, NameID and SessionIndex. */
export interface SamlSessionFacts {
  connectionId: string;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /** The assertion's SessionNotOnOrAfter: the session ends then if that is sooner than its own lifetime. */
  notOnOrAfter: Date | null;
}

/** Creates a session (inside the caller's transaction) and returns the token for the cookie. */
export async function startSession(
  db: Executor,
  now: Date,
  companyId: string,
  userId: string,
  saml?: SamlSessionFacts,
): Promise<{ token: string; session: Session }> {
  const token = newSecret();
  const lifetimeEnd = now.getTime() + SESSION_LIFETIME_MS;
  const idpEnd = saml?.notOnOrAfter?.getTime() ?? Infinity;
  const session = await insertSession(db, {
    id: newId('ses'),
    tokenHash: hashSecret(token),
    companyId,
    userId,
    expiresAt: new Date(Math.min(lifetimeEnd, idpEnd)),
    ...(saml ? { connectionId: saml.connectionId, nameId: saml.nameId, nameIdFormat: saml.nameIdFormat, sessionIndex: saml.sessionIndex } : {}),
  });
  return { token, session };
}

export interface SignedInUser {
  session: Session;
  company: Company;
  user: User;
  /** The membership that decides the workspace and permission set (the first one). */
  membership: Membership | null;
  workspace: Workspace | null;
  permissionSet: PermissionSet | null;
}

/** The signed-in user behind a session token, or null (unknown, expired, revoked, or the user is locked out). */
export async function resolveSession(deps: ServiceDeps, token: string): Promise<SignedInUser | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const found = await findLiveSession(deps.db, hashSecret(token), deps.now());
  if (!found || found.user.status !== 'active') return null;
  const { session, user } = found;
  const [membership] = await membershipsOf(deps.db, user.companyId, [user.id]);
  const [company, workspace, permissionSet] = await Promise.all([
    findCompany(deps.db, user.companyId),
    membership ? findWorkspace(deps.db, user.companyId, membership.workspaceId) : null,
    membership ? findPermissionSet(deps.db, user.companyId, membership.permissionSetId) : null,
  ]);
  if (!company) return null;
  return { session, company, user, membership: membership ?? null, workspace, permissionSet };
}

/**
 * Whether this session is the one whose sign-in just created the account (JIT provisioning), decided
 * from what is stored, so that every instance sharing the database answers alike. The JIT account, its
 * membership and its first session are inserted in one transaction, and both `created_at` columns
 * default to PostgreSQL's now(), which is the transaction's start time: the two are equal for that
 * session only. Any later sign-in, and an invited or directory-provisioned account, starts in another
 * transaction. (Read as JS dates, to the millisecond: two first sign-ins of one person racing, both
 * begun within the same millisecond, would both say so; the loser signs in to the winner's account.)
 */
export function isAccountsFirstSession(signedIn: Pick<SignedInUser, 'session' | 'user'>): boolean {
  return signedIn.user.provisionedBy === 'jit' && signedIn.session.createdAt.getTime() === signedIn.user.createdAt.getTime();
}

export async function endSession(deps: ServiceDeps, token: string): Promise<void> {
  const found = await resolveSession(deps, token);
  if (found) await revokeSession(deps.db, found.session.id, deps.now());
}

/**
 * Ends the live session with token hash `previousTokenHash` because a new sign-in (`signedIn`) on the
 * same browser replaces it, audited on the ended session's company. Its token is not needed: the
 * browser's reference cookie names it by hash. The event says whether the same person signed in
 * again, never who else did (that may be another company's user).
 */
export async function endReplacedSession(
  deps: ServiceDeps,
  previousTokenHash: string,
  newTokenHash: string,
  signedIn: { companyId: string; userId: string },
): Promise<void> {
  if (previousTokenHash === newTokenHash) return;
  const found = await findLiveSession(deps.db, previousTokenHash, deps.now());
  if (!found) return;
  const { session } = found;
  await deps.db.transaction(async (tx) => {
    if (!(await revokeSession(tx, session.id, deps.now()))) return;
    await recordAudit(tx, {
      companyId: session.companyId,
      actor: { type: 'system', id: 'acs' },
      action: 'session.ended_by_other_signin',
      targetType: 'user',
      targetId: session.userId,
      data: { sessionId: session.id, sameUser: session.companyId === signedIn.companyId && session.userId === signedIn.userId },
    });
  });
}
