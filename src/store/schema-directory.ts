/** Directory sync (SCIM): tokens, the synced users and groups, memberships, group mappings. */
import { sql } from 'drizzle-orm';
import { bigint, boolean, foreignKey, index, jsonb, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { companies, createdAt, credentialColumns, permissionSets, timestampTz, workspaces } from './schema-core.js';

/** Per-company SCIM bearer tokens; only the secret's SHA-256 is stored. */
export const scimTokens = pgTable('scim_tokens', credentialColumns(), (t) => [index('scim_tokens_company_idx').on(t.companyId)]);

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

/**
 * People the IdP deleted from the directory (SCIM DELETE): what identified them, so that a sign-in
 * with an assertion issued earlier is refused as directory_user_deleted, not provisioned. A new
 * directory record with the same userName removes the tombstone.
 */
export const directoryUserDeletions = pgTable(
  'directory_user_deletions',
  {
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    userNameLower: text('user_name_lower').notNull(),
    externalId: text('external_id'),
    emailsLower: text('emails_lower').array().notNull().default(sql`'{}'::text[]`),
    deletedAt: timestampTz('deleted_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.companyId, t.userNameLower] }),
    index('directory_user_deletions_emails_idx').using('gin', t.emailsLower),
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

