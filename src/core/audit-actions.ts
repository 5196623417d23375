/**
 * Every action the audit log records, in one list: a recorded action must be one of these (a typo
 * fails the type check), and the admin API documents them. Never rename one: admins filter on them.
 */
export const AUDIT_ACTIONS = [
  'company.created',
  'api_key.created',
  'api_key.revoked',
  'workspace.created',
  'permission_set.created',
  'user.invited',
  'user.confirmed',
  'user.provisioned',
  'user.suspended',
  'user.reactivated',
  'membership.set_by_group',
  'impersonation.created',
  'domain_exception.granted',
  'domain_exception.revoked',
  'jit_settings.updated',
  'jit.disabled_by_support',
  'saml_connection.created',
  'saml_connection.deleted',
  'saml_connection.updated',
  'saml_connection.key_resealed',
  'saml.login',
  'saml.login_refused',
  'session.ended_by_other_signin',
  'scim_token.created',
  'scim_token.revoked',
  'directory_user.created',
  'directory_user.updated',
  'directory_user.activated',
  'directory_user.deactivated',
  'directory_user.deleted',
  'directory_group.created',
  'directory_group.updated',
  'directory_group.deleted',
  'group_mapping.saved',
  'group_mapping.deleted',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
