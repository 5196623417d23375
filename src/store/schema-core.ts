/**
 * The data model: tenants, users, access and audit (SAML and directory tables are beside this file). Every tenant-owned row carries company_id, and references between tenant rows are
 * composite foreign keys (company_id, id), so the database itself refuses a membership that joins a
 * user of one company to a workspace of another.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const timestampTz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const userStatus = pgEnum('user_status', ['invited', 'active', 'suspended', 'deprovisioned']);
export const provisionedBy = pgEnum('provisioned_by', ['invitation', 'jit', 'scim', 'impersonation']);
export const confirmedVia = pgEnum('confirmed_via', ['invitation', 'saml', 'scim', 'operator']);

export const companies = pgTable('companies', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const workspaces = pgTable(
  'workspaces',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('workspaces_company_id_id_key').on(t.companyId, t.id),
    uniqueIndex('workspaces_company_name_key').on(t.companyId, sql`lower(${t.name})`),
  ],
);

export const permissionSets = pgTable(
  'permission_sets',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    permissions: jsonb('permissions').$type<string[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('permission_sets_company_id_id_key').on(t.companyId, t.id),
    uniqueIndex('permission_sets_company_name_key').on(t.companyId, sql`lower(${t.name})`),
  ],
);

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    /** The address as the admin or IdP gave it. */
    email: text('email').notNull(),
    /** Lower-case, IDN-to-ASCII form: the identity used for every comparison. */
    emailNormalized: text('email_normalized').notNull(),
    emailDomain: text('email_domain').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    status: userStatus('status').notNull(),
    confirmedAt: timestampTz('confirmed_at'),
    confirmedVia: confirmedVia('confirmed_via'),
    isImpersonation: boolean('is_impersonation').notNull().default(false),
    /** Set when directory sync (SCIM) locked the account, so that reactivation in the IdP restores only those. */
    lockedByDirectory: boolean('locked_by_directory').notNull().default(false),
    provisionedBy: provisionedBy('provisioned_by').notNull(),
    createdAt: createdAt(),
    updatedAt: timestampTz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    unique('users_company_id_id_key').on(t.companyId, t.id),
    unique('users_company_email_key').on(t.companyId, t.emailNormalized),
    // The JIT domain rule asks "does this company have a confirmed, non-impersonation user on this domain?"
    index('users_company_domain_idx').on(t.companyId, t.emailDomain),
    check('users_confirmed_consistent', sql`(${t.confirmedAt} is null) = (${t.confirmedVia} is null)`),
    check('users_invited_unconfirmed', sql`${t.status} <> 'invited' or ${t.confirmedAt} is null`),
    check('users_email_domain_matches', sql`${t.emailNormalized} like '%@' || ${t.emailDomain}`),
  ],
);

export const memberships = pgTable(
  'memberships',
  {
    companyId: text('company_id').notNull(),
    userId: text('user_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    permissionSetId: text('permission_set_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.workspaceId] }),
    foreignKey({ columns: [t.companyId, t.userId], foreignColumns: [users.companyId, users.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.companyId, t.workspaceId], foreignColumns: [workspaces.companyId, workspaces.id] }).onDelete(
      'cascade',
    ),
    foreignKey({
      columns: [t.companyId, t.permissionSetId],
      foreignColumns: [permissionSets.companyId, permissionSets.id],
    }),
    index('memberships_company_workspace_idx').on(t.companyId, t.workspaceId),
  ],
);

export const invitations = pgTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id').notNull(),
    userId: text('user_id').notNull(),
    /** SHA-256 of the token in the invitation URL; the token itself is never stored. */
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestampTz('expires_at').notNull(),
    acceptedAt: timestampTz('accepted_at'),
    createdAt: createdAt(),
  },
  (t) => [foreignKey({ columns: [t.companyId, t.userId], foreignColumns: [users.companyId, users.id] }).onDelete('cascade')],
);

/**
 * The columns of a company credential shown once and stored as a hash (admin API keys, SCIM tokens):
 * the presented `<id>.<secret>` is checked against `secret_hash` (SHA-256) in constant time.
 */
export const credentialColumns = () => ({
  id: text('id').primaryKey(),
  companyId: text('company_id')
    .notNull()
    .references(() => companies.id, { onDelete: 'cascade' }),
  secretHash: text('secret_hash').notNull(),
  label: text('label'),
  createdAt: createdAt(),
  revokedAt: timestampTz('revoked_at'),
});

export const apiKeys = pgTable('api_keys', credentialColumns(), (t) => [index('api_keys_company_idx').on(t.companyId)]);

export const jitSettings = pgTable(
  'jit_settings',
  {
    companyId: text('company_id')
      .primaryKey()
      .references(() => companies.id, { onDelete: 'cascade' }),
    enabled: boolean('enabled').notNull().default(false),
    defaultWorkspaceId: text('default_workspace_id'),
    defaultPermissionSetId: text('default_permission_set_id'),
    requireDirectoryMembership: boolean('require_directory_membership').notNull().default(false),
    updatedAt: timestampTz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ columns: [t.companyId, t.defaultWorkspaceId], foreignColumns: [workspaces.companyId, workspaces.id] }),
    foreignKey({
      columns: [t.companyId, t.defaultPermissionSetId],
      foreignColumns: [permissionSets.companyId, permissionSets.id],
    }),
    check(
      'jit_settings_enabled_needs_defaults',
      sql`not ${t.enabled} or (${t.defaultWorkspaceId} is not null and ${t.defaultPermissionSetId} is not null)`,
    ),
  ],
);

export const domainExceptions = pgTable(
  'domain_exceptions',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    /** ASCII (punycode), lower-case domain. */
    domain: text('domain').notNull(),
    reason: text('reason').notNull(),
    grantedBy: text('granted_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [unique('domain_exceptions_company_domain_key').on(t.companyId, t.domain)],
);

/**
 * Fixed-window counters shared by every instance (rate limits must hold across instances): one row
 * per key, reset when its window has passed; rows past expires_at are swept.
 */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    windowStart: timestampTz('window_start').notNull(),
    count: integer('count').notNull(),
    expiresAt: timestampTz('expires_at').notNull(),
  },
  (t) => [index('rate_limits_expires_idx').on(t.expiresAt)],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    /** Monotonic across instances (a sequence): the order and the pagination cursor. */
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    id: text('id').notNull().unique(),
    /** Null for operator-level events about no one company (OIDC applications, the provider's signing keys). */
    companyId: text('company_id').references(() => companies.id, { onDelete: 'cascade' }),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    reason: text('reason'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    /**
     * Set on refusals of unauthenticated garbage (no valid signature, unknown issuer): one row per key
     * (kind of refusal and time window) whose count grows, instead of one row per attempt.
     */
    aggregateKey: text('aggregate_key'),
    count: integer('count').notNull().default(1),
    lastAt: timestampTz('last_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_events_company_seq_idx').on(t.companyId, t.seq),
    uniqueIndex('audit_events_company_aggregate_key').on(t.companyId, t.aggregateKey),
  ],
);

