/**
 * The data model. Every tenant-owned row carries company_id, and references between tenant rows are
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
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const timestampTz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

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

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    /** SHA-256 of the secret part, compared in constant time. */
    secretHash: text('secret_hash').notNull(),
    label: text('label'),
    createdAt: createdAt(),
    revokedAt: timestampTz('revoked_at'),
  },
  (t) => [index('api_keys_company_idx').on(t.companyId)],
);

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

export const auditEvents = pgTable(
  'audit_events',
  {
    /** Monotonic across instances (a sequence): the order and the pagination cursor. */
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    id: text('id').notNull().unique(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    reason: text('reason'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('audit_events_company_seq_idx').on(t.companyId, t.seq)],
);

/** One SAML connection per company: the IdP it trusts and how its attributes map onto a user. */
export const samlConnections = pgTable('saml_connections', {
  companyId: text('company_id')
    .primaryKey()
    .references(() => companies.id, { onDelete: 'cascade' }),
  idpEntityId: text('idp_entity_id').notNull(),
  ssoUrl: text('sso_url').notNull(),
  /** Signing certificates (PEM), several during a rollover; any one of them may sign. */
  certificates: jsonb('certificates').$type<string[]>().notNull(),
  allowSha1: boolean('allow_sha1').notNull().default(false),
  attributeMapping: jsonb('attribute_mapping').$type<Record<string, string>>().notNull().default({}),
  /** Overrides of our own SP entity ID and ACS URL, for an IdP app migrated from another SP or behind a proxy. */
  spEntityIdOverride: text('sp_entity_id_override'),
  acsUrlOverride: text('acs_url_override'),
  /** SP encryption key pair for encrypted assertions; the private key is sealed with a key derived from SESSION_SECRET. */
  spEncryptionCertificate: text('sp_encryption_certificate'),
  spEncryptionKeySealed: text('sp_encryption_key_sealed'),
  updatedAt: timestampTz('updated_at').notNull().defaultNow(),
});

/** AuthnRequests we sent (SP-initiated): a response may answer each one once, before it expires. */
export const samlRequests = pgTable(
  'saml_requests',
  {
    id: text('id').notNull(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    relayState: text('relay_state'),
    expiresAt: timestampTz('expires_at').notNull(),
    usedAt: timestampTz('used_at'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.id] }), index('saml_requests_expires_idx').on(t.expiresAt)],
);

/** Assertion IDs already accepted, kept until they would expire anyway: replay protection across instances. */
export const samlReplayCache = pgTable(
  'saml_replay_cache',
  {
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    assertionId: text('assertion_id').notNull(),
    expiresAt: timestampTz('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.assertionId] }), index('saml_replay_cache_expires_idx').on(t.expiresAt)],
);

/** Server-side sessions, so they can be revoked. The cookie carries a token; only its SHA-256 is stored. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    companyId: text('company_id').notNull(),
    userId: text('user_id').notNull(),
    createdAt: createdAt(),
    expiresAt: timestampTz('expires_at').notNull(),
    revokedAt: timestampTz('revoked_at'),
  },
  (t) => [
    foreignKey({ columns: [t.companyId, t.userId], foreignColumns: [users.companyId, users.id] }).onDelete('cascade'),
    index('sessions_company_user_idx').on(t.companyId, t.userId),
  ],
);

/** Per-company SCIM bearer tokens; only the secret's SHA-256 is stored. */
export const scimTokens = pgTable(
  'scim_tokens',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    secretHash: text('secret_hash').notNull(),
    label: text('label'),
    createdAt: createdAt(),
    revokedAt: timestampTz('revoked_at'),
  },
  (t) => [index('scim_tokens_company_idx').on(t.companyId)],
);

/** The company's directory as its IdP pushes it over SCIM (Users). */
export const directoryUsers = pgTable(
  'directory_users',
  {
    id: text('id').primaryKey(),
    /** Creation order, unique across instances: the stable order of SCIM list pages. */
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    userName: text('user_name').notNull(),
    /** userName is caseExact:false (RFC 7643 §4.1.1): unique and matched in lower case. */
    userNameLower: text('user_name_lower').notNull(),
    externalId: text('external_id'),
    active: boolean('active').notNull(),
    displayName: text('display_name'),
    /** Every other attribute, canonical SCIM names (name, emails, the enterprise extension...). */
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull(),
    /** Lower-cased emails[].value, GIN-indexed: the JIT directory lookup and `emails eq` filters. */
    emailsLower: text('emails_lower').array().notNull().default(sql`'{}'::text[]`),
    version: bigint('version', { mode: 'number' }).notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestampTz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    unique('directory_users_company_id_id_key').on(t.companyId, t.id),
    unique('directory_users_company_user_name_key').on(t.companyId, t.userNameLower),
    index('directory_users_company_external_idx').on(t.companyId, t.externalId),
    index('directory_users_emails_idx').using('gin', t.emailsLower),
  ],
);

/** Directory groups; displayName is unique per company (Entra matches groups on it). */
export const directoryGroups = pgTable(
  'directory_groups',
  {
    id: text('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    displayName: text('display_name').notNull(),
    displayNameLower: text('display_name_lower').notNull(),
    externalId: text('external_id'),
    version: bigint('version', { mode: 'number' }).notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestampTz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    unique('directory_groups_company_id_id_key').on(t.companyId, t.id),
    unique('directory_groups_company_name_key').on(t.companyId, t.displayNameLower),
  ],
);

export const directoryGroupMembers = pgTable(
  'directory_group_members',
  {
    companyId: text('company_id').notNull(),
    groupId: text('group_id').notNull(),
    userId: text('user_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.userId] }),
    foreignKey({ columns: [t.companyId, t.groupId], foreignColumns: [directoryGroups.companyId, directoryGroups.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.companyId, t.userId], foreignColumns: [directoryUsers.companyId, directoryUsers.id] }).onDelete('cascade'),
    index('directory_group_members_user_idx').on(t.companyId, t.userId),
  ],
);

/** An IdP group decides the workspace and permission set of its members. */
export const groupMappings = pgTable(
  'group_mappings',
  {
    companyId: text('company_id').notNull(),
    groupId: text('group_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    permissionSetId: text('permission_set_id').notNull(),
    /** Lower wins when a person is in several mapped groups. */
    priority: bigint('priority', { mode: 'number' }).notNull().default(100),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.companyId, t.groupId] }),
    foreignKey({ columns: [t.companyId, t.groupId], foreignColumns: [directoryGroups.companyId, directoryGroups.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.companyId, t.workspaceId], foreignColumns: [workspaces.companyId, workspaces.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.companyId, t.permissionSetId], foreignColumns: [permissionSets.companyId, permissionSets.id] }),
  ],
);

export const schema = {
  companies,
  workspaces,
  permissionSets,
  users,
  memberships,
  invitations,
  apiKeys,
  jitSettings,
  domainExceptions,
  auditEvents,
  samlConnections,
  samlRequests,
  samlReplayCache,
  sessions,
  scimTokens,
  directoryUsers,
  directoryGroups,
  directoryGroupMembers,
  groupMappings,
};
