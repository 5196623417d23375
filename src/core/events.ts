/**
 * The events applications receive (the outbox and its feed), and how each comes from the audit event
 * its change records. Every change is audited inside its own transaction, so deriving the events at
 * that one place writes each in the same transaction as its change, never one without the other.
 * Payloads are chosen here, field by field: an application sees what it needs, not the audit's detail.
 */
import type { AuditAction } from './audit-actions.js';

export const EVENT_TYPES = [
  'user.provisioned',
  'user.confirmed',
  'user.suspended',
  'user.reactivated',
  'user.deprovisioned',
  'membership.created',
  'membership.updated',
  'session.revoked',
  'signin.succeeded',
  'signin.refused',
  'directory.user.created',
  'directory.user.updated',
  'directory.user.activated',
  'directory.user.deactivated',
  'directory.user.deleted',
  'directory.group.created',
  'directory.group.updated',
  'directory.group.deleted',
  'connection.certificate_expiring',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  companyId: string;
  data: Record<string, unknown>;
}

/** What an audit event says, as far as events need it. */
export interface AuditFacts {
  companyId: string | null;
  action: AuditAction;
  targetId?: string | undefined;
  reason?: string | undefined;
  data?: Record<string, unknown> | undefined;
}

const pick = (data: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => data[k] !== undefined).map((k) => [k, data[k]]));
const connectionIdOf = (data: Record<string, unknown>) => ((data.connection as { id?: unknown } | null | undefined)?.id as string | undefined) ?? null;

/** The events one audit event stands for (none for most: API keys, settings, ...). */
export function eventsOfAudit(audit: AuditFacts): NewEvent[] {
  const { companyId } = audit;
  if (companyId === null) return [];
  const targetId = audit.targetId ?? null;
  const reason = audit.reason ?? null;
  const data = audit.data ?? {};
  const one = (type: EventType, payload: Record<string, unknown>): NewEvent[] => [{ type, companyId, data: payload }];
  switch (audit.action) {
    case 'user.provisioned':
    case 'user.invited': {
      // A new account always comes with its first membership: two events of one change.
      const how = audit.action === 'user.invited' ? 'invitation' : (data.via ?? 'jit');
      return [
        ...one('user.provisioned', { userId: targetId, how, ...pick(data, ['email', 'workspaceId', 'permissionSetId']) }),
        ...one('membership.created', { userId: targetId, source: how, ...pick(data, ['workspaceId', 'permissionSetId']) }),
      ];
    }
    case 'user.confirmed':
      return one('user.confirmed', { userId: targetId, via: data.via ?? null });
    case 'user.suspended': {
      const suspended = one('user.suspended', { userId: targetId, reason, ...pick(data, ['directoryUserId']) });
      // Deleted from the company's directory: the IdP deprovisioned the person, which is more than a lock.
      return reason === 'directory_user_deleted' ? [...suspended, ...one('user.deprovisioned', { userId: targetId, reason, ...pick(data, ['directoryUserId']) })] : suspended;
    }
    case 'user.reactivated':
      return one('user.reactivated', { userId: targetId, reason, ...pick(data, ['directoryUserId']) });
    case 'membership.set_by_group':
      // A group mapping gives a new workspace (created) or another permission set in one (updated).
      return one(data.created === true ? 'membership.created' : 'membership.updated', {
        userId: targetId,
        source: 'group_mapping',
        ...pick(data, ['groupId', 'workspaceId', 'permissionSetId']),
      });
    case 'saml.login':
      return one('signin.succeeded', {
        userId: targetId,
        sessionId: data.sessionId ?? null,
        flow: data.flow ?? null,
        provisioned: data.provisioned === true,
        connectionId: connectionIdOf(data),
      });
    case 'saml.login_refused':
      return one('signin.refused', { reason, email: data.email ?? null, flow: data.flow ?? null, connectionId: connectionIdOf(data) });
    case 'directory_user.created':
    case 'directory_user.updated':
    case 'directory_user.activated':
    case 'directory_user.deactivated':
    case 'directory_user.deleted':
      return one(`directory.user.${audit.action.slice('directory_user.'.length)}` as EventType, { directoryUserId: targetId, ...pick(data, ['userName', 'active']) });
    case 'directory_group.created':
    case 'directory_group.updated':
    case 'directory_group.deleted':
      return one(`directory.group.${audit.action.slice('directory_group.'.length)}` as EventType, {
        directoryGroupId: targetId,
        ...pick(data, ['displayName', 'members', 'membersAdded', 'membersRemoved']),
      });
    case 'saml_connection.certificate_expiring':
    case 'saml_connection.certificate_expired':
      return one('connection.certificate_expiring', {
        connectionId: targetId,
        expired: audit.action === 'saml_connection.certificate_expired',
        ...pick(data, ['fingerprint', 'notAfter', 'daysLeft', 'threshold']),
      });
    default:
      return [];
  }
}
