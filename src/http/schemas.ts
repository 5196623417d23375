/**
 * The API's payloads as valibot schemas: the routes validate with them and the OpenAPI document is
 * generated from them, so the two cannot drift apart.
 */
import * as v from 'valibot';

const trimmedName = (what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.trim(),
    v.minLength(1, `${what} must not be empty`),
    v.maxLength(200, `${what} must be at most 200 characters`),
    v.check((s) => !/[\u0000-\u001f\u007f]/.test(s), `${what} must not contain control characters`),
  );

const emailInput = v.pipe(v.string('email must be a string'), v.trim(), v.minLength(3), v.maxLength(320));
const id = (prefix: string) => v.pipe(v.string(), v.regex(new RegExp(`^${prefix}_[0-9a-z]{16}$`), `must be a ${prefix}_ id`));

export const ErrorBody = v.object({
  error: v.object({
    code: v.string(),
    message: v.string(),
    issues: v.optional(v.array(v.object({ path: v.string(), message: v.string() }))),
  }),
});

// ---- requests
export const CreateCompanyBody = v.strictObject({ name: trimmedName('name') });
export const CreateApiKeyBody = v.optional(v.strictObject({ label: v.optional(trimmedName('label')) }), {});
export const CreateWorkspaceBody = v.strictObject({ name: trimmedName('name') });
export const Permission = v.pipe(
  v.string(),
  v.regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'permissions are lower-case identifiers such as "admin" or "dashboards:read"'),
);
export const CreatePermissionSetBody = v.strictObject({
  name: trimmedName('name'),
  permissions: v.pipe(v.array(Permission, 'permissions must be an array of strings'), v.maxLength(100)),
});
export const InviteUserBody = v.strictObject({
  email: emailInput,
  workspaceId: v.pipe(v.string('workspaceId must be a string'), v.minLength(1), v.maxLength(64)),
  permissionSetId: v.pipe(v.string('permissionSetId must be a string'), v.minLength(1), v.maxLength(64)),
  firstName: v.optional(trimmedName('firstName')),
  lastName: v.optional(trimmedName('lastName')),
});
export const DomainExceptionBody = v.strictObject({
  domain: v.pipe(v.string('domain must be a string'), v.trim(), v.minLength(1), v.maxLength(253)),
  reason: trimmedName('reason'),
  grantedBy: v.optional(trimmedName('grantedBy')),
});
export const ImpersonationBody = v.strictObject({ email: emailInput });

const limit = v.optional(
  v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'limit must be a number'), v.transform(Number), v.minValue(1), v.maxValue(200)),
  '50',
);
export const ListUsersQuery = v.object({
  email: v.optional(emailInput),
  cursor: v.optional(id('usr')),
  limit,
});
export const AuditQuery = v.object({
  cursor: v.optional(v.pipe(v.string(), v.regex(/^\d{1,18}$/, 'cursor must come from nextCursor'))),
  action: v.optional(v.pipe(v.string(), v.maxLength(100))),
  limit,
});

// ---- responses
const isoDate = v.pipe(v.string(), v.isoTimestamp());
const nullableDate = v.nullable(isoDate);

export const Company = v.object({ id: v.string(), name: v.string(), createdAt: isoDate });
export const CompanyList = v.object({ companies: v.array(Company) });
export const ApiKeyInfo = v.object({ id: v.string(), label: v.nullable(v.string()), createdAt: isoDate, revokedAt: nullableDate });
export const CreatedApiKey = v.object({ ...ApiKeyInfo.entries, key: v.string() });
export const ApiKeyList = v.object({ apiKeys: v.array(ApiKeyInfo) });
export const Workspace = v.object({ id: v.string(), name: v.string(), createdAt: isoDate });
export const WorkspaceList = v.object({ workspaces: v.array(Workspace) });
export const PermissionSet = v.object({ id: v.string(), name: v.string(), permissions: v.array(v.string()), createdAt: isoDate });
export const PermissionSetList = v.object({ permissionSets: v.array(PermissionSet) });
export const Membership = v.object({ workspaceId: v.string(), permissionSetId: v.string() });
export const User = v.object({
  id: v.string(),
  email: v.string(),
  emailNormalized: v.string(),
  firstName: v.nullable(v.string()),
  lastName: v.nullable(v.string()),
  status: v.picklist(['invited', 'active', 'suspended', 'deprovisioned']),
  provisionedBy: v.picklist(['invitation', 'jit', 'scim', 'impersonation']),
  confirmedAt: nullableDate,
  confirmedVia: v.nullable(v.picklist(['invitation', 'saml', 'scim', 'operator'])),
  impersonation: v.boolean(),
  memberships: v.array(Membership),
  createdAt: isoDate,
});
export const UserList = v.object({ users: v.array(User), nextCursor: v.nullable(v.string()) });
export const InvitedUser = v.object({ ...User.entries, invitationUrl: v.string(), invitationExpiresAt: isoDate });
export const DomainException = v.object({ domain: v.string(), reason: v.string(), grantedBy: v.string(), grantedAt: isoDate });
export const DomainExceptionList = v.object({ domainExceptions: v.array(DomainException) });
export const AuditEvent = v.object({
  id: v.string(),
  action: v.string(),
  actor: v.object({ type: v.string(), id: v.nullable(v.string()) }),
  target: v.nullable(v.object({ type: v.string(), id: v.nullable(v.string()) })),
  reason: v.nullable(v.string()),
  data: v.record(v.string(), v.unknown()),
  createdAt: isoDate,
});
export const AuditList = v.object({ events: v.array(AuditEvent), nextCursor: v.nullable(v.string()) });
export const Health = v.object({ status: v.literal('ok'), database: v.picklist(['pglite', 'postgres']) });
