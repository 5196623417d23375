/** SAML state: connections, the AuthnRequests we issued, the replay cache, sessions. */
import { sql } from 'drizzle-orm';
import { boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { companies, createdAt, timestampTz, users } from './schema-core.js';

/**
 * A company's SAML connections (zero or more): each trusts one IdP (its entity ID is unique within the
 * company) and has its own SP URLs, certificates, mapping and options. The JIT rules stay per company.
 */
export const samlConnections = pgTable(
  'saml_connections',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /**
     * The connection answers at the company-level URLs (/saml/<companyId>/...), as every connection did
     * before connections had ids of their own: the one made by `PUT /api/companies/:id/saml` and every
     * connection that existed before 0007. At most one per company; others use /saml/<connectionId>/...
     */
    companyUrls: boolean('company_urls').notNull().default(false),
    idpEntityId: text('idp_entity_id').notNull(),
    ssoUrl: text('sso_url').notNull(),
    /** How the browser carries our AuthnRequest to ssoUrl: the IdP's HTTP-Redirect endpoint, or its HTTP-POST one when it offers only that. */
    ssoBinding: text('sso_binding').$type<'redirect' | 'post'>().notNull().default('redirect'),
    /** The IdP's Single Logout endpoint and its binding, when it has one. */
    sloUrl: text('slo_url'),
    sloBinding: text('slo_binding').$type<'redirect' | 'post'>(),
    /** Signing certificates (PEM), several during a rollover; any one of them may sign. */
    certificates: jsonb('certificates').$type<string[]>().notNull(),
    allowSha1: boolean('allow_sha1').notNull().default(false),
    /** Accept a signature by a certificate past its notAfter (some IdPs ship long-expired certificates). */
    allowExpiredCertificates: boolean('allow_expired_certificates').notNull().default(false),
    /** Also require samlify's own verdict on every sign-in (a second, independent verification; costs CPU). */
    strictSecondVerdict: boolean('strict_second_verdict').notNull().default(false),
    /** The expiry warnings already recorded, by certificate SHA-256 fingerprint: the last threshold in days (60, 30, 7, 0). */
    certificateWarnings: jsonb('certificate_warnings').$type<Record<string, number>>().notNull().default({}),
    attributeMapping: jsonb('attribute_mapping').$type<Record<string, string>>().notNull().default({}),
    /** Options: the clock skew allowed on assertion times, whether IdP-initiated sign-in is accepted, where it lands. */
    clockSkewSeconds: integer('clock_skew_seconds').notNull().default(120),
    idpInitiatedAllowed: boolean('idp_initiated_allowed').notNull().default(true),
    defaultLandingPath: text('default_landing_path'),
    /** Overrides of our own SP entity ID and ACS URL, for an IdP app migrated from another SP or behind a proxy. */
    spEntityIdOverride: text('sp_entity_id_override'),
    acsUrlOverride: text('acs_url_override'),
    /** SP encryption key pair for encrypted assertions; the private key is sealed with a key derived from SESSION_SECRET. */
    spEncryptionCertificate: text('sp_encryption_certificate'),
    spEncryptionKeySealed: text('sp_encryption_key_sealed'),
    /** SP signing key pair (AuthnRequests, Single Logout messages), sealed the same way; the previous certificate stays published during a rollover. */
    spSigningCertificate: text('sp_signing_certificate'),
    spSigningKeySealed: text('sp_signing_key_sealed'),
    spSigningPreviousCertificate: text('sp_signing_previous_certificate'),
    signAuthnRequests: boolean('sign_authn_requests').notNull().default(false),
    /** Metadata by URL: fetched on save and refreshed on a schedule; the last good copy is kept when a fetch fails. */
    metadataUrl: text('metadata_url'),
    metadataFetchedAt: timestampTz('metadata_fetched_at'),
    metadataNextRefreshAt: timestampTz('metadata_next_refresh_at'),
    metadataLastError: text('metadata_last_error'),
    /** Certificates the last refresh no longer listed: still trusted until the next refresh confirms their removal. */
    retiredCertificates: jsonb('retired_certificates').$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: timestampTz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('saml_connections_company_idp_entity_id').on(t.companyId, t.idpEntityId),
    uniqueIndex('saml_connections_company_urls').on(t.companyId).where(sql`${t.companyUrls}`),
    index('saml_connections_company_created_idx').on(t.companyId, t.createdAt),
    index('saml_connections_metadata_refresh_idx').on(t.metadataNextRefreshAt),
  ],
);

/** AuthnRequests we sent (SP-initiated): a response may answer each one once, before it expires. */
export const samlRequests = pgTable(
  'saml_requests',
  {
    id: text('id').notNull(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    /** The connection the request was sent for: only its ACS may take the answer. */
    connectionId: text('connection_id').references(() => samlConnections.id, { onDelete: 'cascade' }),
    /** 'authn' (an AuthnRequest) or 'logout' (a LogoutRequest we sent). */
    kind: text('kind').$type<'authn' | 'logout'>().notNull().default('authn'),
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
    /** The connection that accepted it; the key stays per company, so no connection of the company accepts it again. */
    connectionId: text('connection_id'),
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
    /** The SAML connection that signed the person in, with the assertion's NameID and SessionIndex (Single Logout finds sessions by them). */
    connectionId: text('connection_id').references(() => samlConnections.id, { onDelete: 'set null' }),
    nameId: text('name_id'),
    nameIdFormat: text('name_id_format'),
    sessionIndex: text('session_index'),
    createdAt: createdAt(),
    expiresAt: timestampTz('expires_at').notNull(),
    revokedAt: timestampTz('revoked_at'),
  },
  (t) => [
    foreignKey({ columns: [t.companyId, t.userId], foreignColumns: [users.companyId, users.id] }).onDelete('cascade'),
    index('sessions_company_user_idx').on(t.companyId, t.userId),
    index('sessions_expires_idx').on(t.expiresAt),
    index('sessions_connection_name_id_idx').on(t.connectionId, t.nameId),
  ],
);

