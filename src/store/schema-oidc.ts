/**
 * OpenID Connect provider state: the applications (OIDC clients) the bridge hands signed-in people to,
 * its signing keys, pending authorization requests, codes, access tokens, which application received
 * tokens for which session, and the back-channel logout deliveries still owed. All of it lives here,
 * never in process memory: many instances share one database.
 */
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { companies, createdAt, timestampTz } from './schema-core.js';
import { sessions } from './schema-saml.js';

/** One client secret: only its SHA-256 is stored; an application holds one, or two during a rotation. */
export interface ClientSecretEntry {
  id: string;
  hash: string;
  createdAt: string;
}

/** An application (OIDC client). One serves every company: the SaaS dashboard is multi-tenant. */
export const oidcApplications = pgTable(
  'oidc_applications',
  {
    /** `app_…`; the OAuth client_id is this id. */
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    secrets: jsonb('secrets').$type<ClientSecretEntry[]>().notNull(),
    /** Compared exactly, no wildcards. */
    redirectUris: jsonb('redirect_uris').$type<string[]>().notNull(),
    postLogoutRedirectUris: jsonb('post_logout_redirect_uris').$type<string[]>().notNull().default([]),
    /** OIDC Core §4 third-party-initiated login: where an IdP-initiated sign-in sends the browser. */
    initiateLoginUri: text('initiate_login_uri'),
    backchannelLogoutUri: text('backchannel_logout_uri'),
    /** At most one: the application IdP-initiated sign-ins go to. */
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: timestampTz('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('oidc_applications_one_default').on(t.isDefault).where(sql`${t.isDefault}`)],
);

/**
 * The provider's RS256 signing keys. A key is published in the JWKS from its creation and signs from
 * `activates_at` (a rotation creates the next key ahead of time, so relying parties see it before it
 * signs); the newest active key signs, and an older one stays published until every token it signed
 * has expired (`retires_at`, set when its successor activates plus the longest token lifetime).
 */
export const oidcSigningKeys = pgTable(
  'oidc_signing_keys',
  {
    /** The JWK `kid`. */
    id: text('id').primaryKey(),
    publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
    /** The private JWK (JSON), sealed with a key derived from SESSION_SECRET. */
    privateKeySealed: text('private_key_sealed').notNull(),
    activatesAt: timestampTz('activates_at').notNull(),
    /** Null while the key is the newest; after that, when it leaves the JWKS. */
    retiresAt: timestampTz('retires_at'),
    createdAt: createdAt(),
  },
  (t) => [index('oidc_signing_keys_activates_idx').on(t.activatesAt)],
);

/**
 * Authorization requests waiting for a SAML sign-in (GET /oauth/authorize without a live session): the
 * ACS resumes them. Bound to the browser that made them by the SHA-256 of a cookie nonce.
 */
export const oidcAuthorizations = pgTable(
  'oidc_authorizations',
  {
    id: text('id').primaryKey(),
    applicationId: text('application_id')
      .notNull()
      .references(() => oidcApplications.id, { onDelete: 'cascade' }),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    redirectUri: text('redirect_uri').notNull(),
    scope: text('scope').notNull(),
    state: text('state'),
    nonce: text('nonce'),
    codeChallenge: text('code_challenge').notNull(),
    loginHint: text('login_hint'),
    browserBinding: text('browser_binding').notNull(),
    expiresAt: timestampTz('expires_at').notNull(),
    usedAt: timestampTz('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('oidc_authorizations_expires_idx').on(t.expiresAt)],
);

/** Authorization codes (only their SHA-256): single use, bound to client, redirect URI and PKCE challenge, valid ≤ 60 s. */
export const oidcCodes = pgTable(
  'oidc_codes',
  {
    codeHash: text('code_hash').primaryKey(),
    applicationId: text('application_id')
      .notNull()
      .references(() => oidcApplications.id, { onDelete: 'cascade' }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    companyId: text('company_id').notNull(),
    userId: text('user_id').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    scope: text('scope').notNull(),
    nonce: text('nonce'),
    codeChallenge: text('code_challenge').notNull(),
    expiresAt: timestampTz('expires_at').notNull(),
    /** Set when redeemed; a second redemption revokes the access tokens the first one issued. */
    usedAt: timestampTz('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('oidc_codes_expires_idx').on(t.expiresAt)],
);

/** Access tokens for GET /oauth/userinfo (only their SHA-256). */
export const oidcAccessTokens = pgTable(
  'oidc_access_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    /** The code it was issued for: reusing that code revokes it. */
    codeHash: text('code_hash').notNull(),
    applicationId: text('application_id')
      .notNull()
      .references(() => oidcApplications.id, { onDelete: 'cascade' }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    companyId: text('company_id').notNull(),
    userId: text('user_id').notNull(),
    scope: text('scope').notNull(),
    expiresAt: timestampTz('expires_at').notNull(),
    revokedAt: timestampTz('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [index('oidc_access_tokens_code_idx').on(t.codeHash), index('oidc_access_tokens_expires_idx').on(t.expiresAt)],
);

/** Which application received tokens for which bridge session: back-channel logout notifies exactly these. */
export const oidcSessionApplications = pgTable(
  'oidc_session_applications',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    applicationId: text('application_id')
      .notNull()
      .references(() => oidcApplications.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.applicationId] }), index('oidc_session_applications_app_idx').on(t.applicationId)],
);

/**
 * Back-channel logout deliveries owed (an outbox): written in the transaction that revokes the session,
 * POSTed until the application answers 2xx, retried with back-off, kept across restarts.
 */
export const backchannelDeliveries = pgTable(
  'backchannel_deliveries',
  {
    id: text('id').primaryKey(),
    applicationId: text('application_id')
      .notNull()
      .references(() => oidcApplications.id, { onDelete: 'cascade' }),
    /** The ended session (the logout token's `sid`) and its user (`sub`); no foreign key: the session may be purged first. */
    sessionId: text('session_id').notNull(),
    companyId: text('company_id').notNull(),
    userId: text('user_id').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestampTz('next_attempt_at').notNull().defaultNow(),
    /** A sender claims a row until then, so two instances never POST it at once. */
    claimedUntil: timestampTz('claimed_until'),
    lastError: text('last_error'),
    deliveredAt: timestampTz('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('backchannel_deliveries_session_app').on(t.sessionId, t.applicationId),
    index('backchannel_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.deliveredAt} is null`),
  ],
);
