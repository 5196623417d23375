/** Admin and invitee use cases: inviting users, listing them, accepting an invitation. */
import { normaliseEmail } from '../core/email.js';
import { hashSecret, newId, newSecret } from '../crypto.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import { findPermissionSet, findWorkspace } from '../store/companies.js';
import { isUniqueViolation } from '../store/errors.js';
import type { UserWithMemberships } from '../store/users.js';
import {
  confirmInvitedUser,
  findInvitationByTokenHash,
  findUser,
  insertInvitation,
  insertMembership,
  insertUser,
  listUsers,
  markInvitationAccepted,
  membershipsOf,
} from '../store/users.js';
import type { ServiceDeps } from './deps.js';
import { ConflictError, GoneError, InvalidInputError, NotFoundError } from './errors.js';

export const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export interface InviteInput {
  email: string;
  workspaceId: string;
  permissionSetId: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
}

/** Parses an email or throws InvalidInputError: the one place user-facing email errors are worded. */
export function requireEmail(input: string) {
  const email = normaliseEmail(input);
  if (!email) throw new InvalidInputError('invalid_email', `"${input}" is not a usable email address.`);
  return email;
}

export async function inviteUser(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  input: InviteInput,
): Promise<{ user: UserWithMemberships; invitationUrl: string; expiresAt: Date }> {
  const email = requireEmail(input.email);
  const token = newSecret();
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + INVITATION_LIFETIME_MS);
  try {
    const user = await deps.db.transaction(async (tx) => {
      // Scoped lookups: an id of another company is "unknown" here, never a cross-tenant link.
      if (!(await findWorkspace(tx, companyId, input.workspaceId))) {
        throw new InvalidInputError('unknown_workspace', `No workspace ${input.workspaceId} in this company.`);
      }
      if (!(await findPermissionSet(tx, companyId, input.permissionSetId))) {
        throw new InvalidInputError('unknown_permission_set', `No permission set ${input.permissionSetId} in this company.`);
      }
      const user = await insertUser(tx, {
        id: newId('usr'),
        companyId,
        email: email.original,
        emailNormalized: email.normalised,
        emailDomain: email.domain,
        firstName: input.firstName ?? null,
        lastName: input.lastName ?? null,
        status: 'invited',
        provisionedBy: 'invitation',
      });
      const membership = await insertMembership(tx, {
        companyId,
        userId: user.id,
        workspaceId: input.workspaceId,
        permissionSetId: input.permissionSetId,
      });
      await insertInvitation(tx, { id: newId('inv'), companyId, userId: user.id, tokenHash: hashSecret(token), expiresAt });
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'user.invited',
        targetType: 'user',
        targetId: user.id,
        data: { email: email.normalised, workspaceId: input.workspaceId, permissionSetId: input.permissionSetId },
      });
      return { ...user, memberships: [membership] };
    });
    return { user, invitationUrl: `${deps.publicUrl}/invitations/${token}`, expiresAt };
  } catch (error) {
    if (isUniqueViolation(error, 'users_company_email_key')) {
      throw new ConflictError('user_exists', `A user with the email ${email.normalised} already exists in this company.`);
    }
    throw error;
  }
}

export async function listCompanyUsers(
  deps: ServiceDeps,
  companyId: string,
  query: { email?: string | undefined; afterId?: string | undefined; limit: number },
): Promise<UserWithMemberships[]> {
  const emailNormalized = query.email === undefined ? undefined : requireEmail(query.email).normalised;
  return listUsers(deps.db, companyId, { emailNormalized, afterId: query.afterId, limit: query.limit });
}

/** Confirms the invited user behind an invitation token; each token works once and until it expires. */
export async function acceptInvitation(deps: ServiceDeps, token: string): Promise<UserWithMemberships> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new NotFoundError('invitation_not_found', 'This invitation link is not valid.');
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const invitation = await findInvitationByTokenHash(tx, hashSecret(token));
    if (!invitation) throw new NotFoundError('invitation_not_found', 'This invitation link is not valid.');
    if (invitation.acceptedAt) throw new GoneError('invitation_used', 'This invitation has already been accepted.');
    if (invitation.expiresAt.getTime() <= now.getTime()) {
      throw new GoneError('invitation_expired', 'This invitation has expired; ask your admin for a new one.');
    }
    if (!(await markInvitationAccepted(tx, invitation.id, now))) {
      throw new GoneError('invitation_used', 'This invitation has already been accepted.');
    }
    const confirmed = await confirmInvitedUser(tx, invitation.companyId, invitation.userId, 'invitation', now);
    if (!confirmed) {
      // Suspended or already confirmed some other way (e.g. through the IdP): the link no longer applies.
      const current = await findUser(tx, invitation.companyId, invitation.userId);
      throw new GoneError('invitation_not_applicable', `This account is ${current?.status ?? 'gone'}; the invitation no longer applies.`);
    }
    await recordAudit(tx, {
      companyId: invitation.companyId,
      actor: { type: 'invitee', id: invitation.userId },
      action: 'user.confirmed',
      targetType: 'user',
      targetId: invitation.userId,
      data: { via: 'invitation' },
    });
    return { ...confirmed, memberships: await membershipsOf(tx, invitation.companyId, [confirmed.id]) };
  });
}
