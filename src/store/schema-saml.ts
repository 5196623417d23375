/** SAML state: connections, the AuthnRequests we issued, the replay cache, sessions. */
import { boolean, foreignKey, index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { companies, createdAt, timestampTz, users } from './schema-core.js';

/** One SAML connection per company: the IdP it trusts and how its attributes map onto a user. */
export const samlConnections = pgTable('saml_connections', {
  companyId: text('company_id')
    .primaryKey()
    .references(() => companies.id, { onDelete: 'cascade' }),
  idpEntityId: text('idp_entity_id').notNull(),
  ssoUrl: text('sso_url').notNull(),
  /** How the browser carries our AuthnRequest to ssoUrl: the IdP's HTTP-Redirect endpoint, or its HTTP-POST one when it offers only that. */
  ssoBinding: text('sso_binding').$type<'redirect' | 'post'>().notNull().default('redirect'),
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
    /** SHA-256 of the nonce in the browser's binding cookie: only that browser may answer the request. */
    browserBinding: text('browser_binding'),
    expiresAt: timestampTz('expires_at').notNull(),
    usedAt: timestampTz('used_at'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.companyId, t.id] }),
    index('saml_requests_expires_idx').on(t.expiresAt),
    index('saml_requests_company_created_idx').on(t.companyId, t.createdAt),
  ],
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
    index('sessions_expires_idx').on(t.expiresAt),
  ],
);

