/**
 * The API's payloads as valibot schemas: the routes validate with them and the OpenAPI document is
 * generated from them, so the two cannot drift apart.
 */
import * as v from 'valibot';
import { AUDIT_ACTIONS } from '../core/audit-actions.js';

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
  action: v.optional(v.picklist(AUDIT_ACTIONS, 'action must be one of the recorded audit actions')),
  limit,
});

// ---- responses
const isoDate = v.pipe(v.string(), v.isoTimestamp());
const nullableDate = v.nullable(isoDate);

export const Company = v.object({ id: v.string(), name: v.string(), createdAt: isoDate });
export const CompanyList = v.object({ companies: v.array(Company) });
export const ResealReport = v.object({
  resealed: v.pipe(v.number(), v.description('Keys re-sealed with the current SESSION_SECRET (a SESSION_SECRET_PREVIOUS had sealed them)')),
  alreadyCurrent: v.pipe(v.number(), v.description('Keys already sealed with the current SESSION_SECRET')),
  unreadable: v.pipe(
    v.array(v.string()),
    v.description('Companies whose key no configured secret opens: their encrypted sign-ins answer 503 sealed_key_unreadable'),
  ),
  signingKeys: v.object({
    resealed: v.number(),
    alreadyCurrent: v.number(),
    unreadable: v.pipe(v.array(v.string()), v.description('kids of OpenID signing keys no configured secret opens')),
  }),
});
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
  count: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(1),
    v.description(
      'How many attempts this event stands for: 1, except for refused sign-ins nobody authenticated (no valid IdP signature, not SAML...), counted on one event per reason and hour',
    ),
  ),
  lastAt: v.pipe(
    isoDate,
    v.description(
      'When the latest of them happened (createdAt is the first; equal for a single event). An aggregated event keeps its place in the newest-first order by when it started',
    ),
  ),
});
export const AuditList = v.object({ events: v.array(AuditEvent), nextCursor: v.nullable(v.string()) });
export const Health = v.object({ status: v.literal('ok'), database: v.picklist(['pglite', 'postgres']) });

// ---- SAML connection
const SsoBinding = v.pipe(
  v.picklist(['redirect', 'post'], 'ssoBinding must be "redirect" or "post"'),
  v.description(
    "How SP-initiated sign-in carries the AuthnRequest to ssoUrl: 'redirect' (HTTP-Redirect, a 302) or 'post' (HTTP-POST, an auto-submitting form) for an IdP that offers only that",
  ),
);
const AttributeName = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(300));
const SamlCommon = {
  allowSha1: v.optional(v.boolean('allowSha1 must be true or false')),
  attributeMapping: v.optional(
    v.strictObject({
      email: v.optional(AttributeName),
      firstName: v.optional(AttributeName),
      lastName: v.optional(AttributeName),
      groups: v.optional(AttributeName),
    }),
  ),
  spEntityId: v.optional(v.nullable(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(1024)))),
  acsUrl: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2048)))),
  spEncryption: v.optional(
    v.nullable(
      v.strictObject({
        privateKeyPem: v.pipe(v.string(), v.maxLength(16 * 1024)),
        certificatePem: v.pipe(v.string(), v.maxLength(16 * 1024)),
      }),
    ),
  ),
  spSigning: v.optional(
    v.nullable(
      v.pipe(
        v.strictObject({
          privateKeyPem: v.pipe(v.string(), v.maxLength(16 * 1024)),
          certificatePem: v.pipe(v.string(), v.maxLength(16 * 1024)),
        }),
        v.description('The SP signing key pair (RSA): a new one replaces the current, whose certificate stays published until dropPreviousSpSigningCertificate'),
      ),
    ),
  ),
  dropPreviousSpSigningCertificate: v.optional(
    v.pipe(v.boolean('dropPreviousSpSigningCertificate must be true or false'), v.description('End a signing-key rollover: stop publishing the previous SP signing certificate')),
  ),
  signAuthnRequests: v.optional(v.pipe(v.boolean('signAuthnRequests must be true or false'), v.description('Sign AuthnRequests with the SP signing key (RSA-SHA256)'))),
  // Per-connection options.
  clockSkewSeconds: v.optional(
    v.pipe(
      v.number('clockSkewSeconds must be a number'),
      v.integer('clockSkewSeconds must be a whole number'),
      v.minValue(0, 'clockSkewSeconds must be 0 or more'),
      v.maxValue(300, 'clockSkewSeconds must be at most 300 (5 minutes)'),
      v.description('Tolerance on assertion times, in seconds (default 120, at most 300); it never extends a session'),
    ),
  ),
  idpInitiatedAllowed: v.optional(v.pipe(v.boolean('idpInitiatedAllowed must be true or false'), v.description('Accept IdP-initiated sign-in (default true)'))),
  defaultLandingPath: v.optional(
    v.nullable(v.pipe(v.string(), v.maxLength(1024), v.description('Where an IdP-initiated sign-in without RelayState lands: a path on this origin'))),
  ),
  allowExpiredCertificates: v.optional(
    v.pipe(v.boolean('allowExpiredCertificates must be true or false'), v.description('Accept signatures by an expired IdP certificate (default false)')),
  ),
  strictSecondVerdict: v.optional(
    v.pipe(
      v.boolean('strictSecondVerdict must be true or false'),
      v.description("Also require samlify's own verification of every response (a second, independent verdict; default false: it roughly doubles the CPU of a sign-in, see the README's benchmarks)"),
    ),
  ),
};
const ConnectionIdentity = {
  name: v.optional(v.pipe(v.string('name must be a string'), v.trim(), v.minLength(1, 'name must not be empty'), v.maxLength(100))),
  enabled: v.optional(v.boolean('enabled must be true or false')),
};
const ManualIdp = {
  idpEntityId: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(1024)),
  ssoUrl: v.pipe(v.string(), v.maxLength(2048)),
  ssoBinding: v.optional(SsoBinding),
  certificates: v.pipe(v.array(v.pipe(v.string(), v.maxLength(16 * 1024))), v.minLength(1), v.maxLength(10)),
  sloUrl: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2048), v.description("The IdP's Single Logout endpoint")))),
  sloBinding: v.optional(SsoBinding),
};
const MetadataXml = v.pipe(v.string(), v.minLength(1), v.maxLength(512 * 1024));
const MetadataUrl = v.pipe(
  v.string('metadataUrl must be a string'),
  v.trim(),
  v.minLength(1, 'metadataUrl must not be empty'),
  v.maxLength(2048, 'metadataUrl must be at most 2048 characters'),
  v.description("An https URL serving the IdP's metadata: fetched on save (a failure is a 400 naming it), then refreshed on a schedule"),
);
const BODY_SHAPES =
  'send either {metadataXml}, {metadataUrl} or {idpEntityId, ssoUrl, certificates} with an optional ssoBinding "redirect" or "post"';
export const SamlConnectionBody = v.union(
  [
    v.strictObject({ metadataXml: MetadataXml, ...SamlCommon }),
    v.strictObject({ metadataUrl: MetadataUrl, ...SamlCommon }),
    v.strictObject({ ...ManualIdp, ...SamlCommon }),
  ],
  BODY_SHAPES,
);
/** POST …/saml-connections: what PUT …/saml takes, plus a name and the enabled flag. */
export const NewSamlConnectionBody = v.union(
  [
    v.strictObject({ metadataXml: MetadataXml, ...SamlCommon, ...ConnectionIdentity }),
    v.strictObject({ metadataUrl: MetadataUrl, ...SamlCommon, ...ConnectionIdentity }),
    v.strictObject({ ...ManualIdp, ...SamlCommon, ...ConnectionIdentity }),
  ],
  BODY_SHAPES,
);
/**
 * PATCH …/saml-connections/:id: any of the fields; new metadataXml or metadataUrl replaces the IdP,
 * manual fields change one by one (and end refreshes from a metadata URL).
 */
export const SamlConnectionPatchBody = v.strictObject({
  metadataXml: v.optional(MetadataXml),
  metadataUrl: v.optional(MetadataUrl),
  idpEntityId: v.optional(ManualIdp.idpEntityId),
  ssoUrl: v.optional(ManualIdp.ssoUrl),
  ssoBinding: v.optional(SsoBinding),
  certificates: v.optional(ManualIdp.certificates),
  sloUrl: ManualIdp.sloUrl,
  sloBinding: ManualIdp.sloBinding,
  ...SamlCommon,
  ...ConnectionIdentity,
});
export const SamlCertificate = v.object({
  fingerprintSha256: v.string(),
  subject: v.string(),
  notBefore: isoDate,
  notAfter: isoDate,
  expired: v.pipe(v.boolean(), v.description('notAfter has passed: a response signed only with it is refused certificate_expired, unless allowExpiredCertificates')),
  daysLeft: v.pipe(v.number(), v.description('Whole days until notAfter, rounded down: 0 on its last day, negative once expired')),
  warning: v.pipe(
    v.nullable(v.picklist(['expiring_60', 'expiring_30', 'expiring_7', 'expired'])),
    v.description('The expiry step reached: within 60, 30 or 7 days of notAfter, or expired; null with more than 60 days left'),
  ),
});
export const SamlConnectionWarning = v.object({
  code: v.picklist(['certificate_expiring', 'certificate_expired']),
  message: v.pipe(v.string(), v.description('What is wrong and what to do, in plain words')),
  fingerprint: v.pipe(v.string(), v.description('The SHA-256 fingerprint of the certificate concerned (as in idp.certificates)')),
});
export const SamlConnection = v.object({
  id: v.pipe(v.string(), v.description('The connection id (saml_...)')),
  name: v.string(),
  enabled: v.boolean(),
  companyUrls: v.pipe(v.boolean(), v.description("The connection answers at the company-level URLs (/saml/<companyId>/...): the company's first connection")),
  spEntityId: v.string(),
  acsUrl: v.string(),
  metadataUrl: v.string(),
  loginUrl: v.string(),
  sloUrl: v.pipe(v.string(), v.description('Our Single Logout endpoint for this connection (HTTP-Redirect and HTTP-POST)')),
  idp: v.object({
    entityId: v.string(),
    ssoUrl: v.string(),
    ssoBinding: v.pipe(SsoBinding, v.description("The binding of ssoUrl: from the metadata (HTTP-Redirect when offered, else HTTP-POST), or as configured (default 'redirect')")),
    sloUrl: v.nullable(v.string()),
    sloBinding: v.nullable(SsoBinding),
    certificates: v.array(SamlCertificate),
    retiredCertificates: v.pipe(
      v.array(SamlCertificate),
      v.description('Certificates the last metadata refresh no longer found: still trusted until the next refresh confirms their removal'),
    ),
    metadata: v.pipe(
      v.nullable(
        v.object({
          url: v.string(),
          fetchedAt: v.nullable(isoDate),
          nextRefreshAt: v.nullable(isoDate),
          lastError: v.pipe(v.nullable(v.string()), v.description('Why the last fetch failed (the last good copy is kept); null after a good one')),
        }),
      ),
      v.description("The IdP's metadata URL and its refreshes; null when the IdP is configured from pasted metadata or by hand"),
    ),
  }),
  options: v.object({
    clockSkewSeconds: v.number(),
    idpInitiatedAllowed: v.boolean(),
    defaultLandingPath: v.nullable(v.string()),
    allowExpiredCertificates: v.boolean(),
    strictSecondVerdict: v.boolean(),
  }),
  allowSha1: v.boolean(),
  attributeMapping: v.record(v.string(), v.string()),
  encryptionCertificate: v.nullable(v.string()),
  signing: v.object({
    signAuthnRequests: v.boolean(),
    certificate: v.pipe(v.nullable(v.string()), v.description('The current SP signing certificate (PEM), published in the SP metadata')),
    previousCertificate: v.pipe(v.nullable(v.string()), v.description('During a rollover: the previous one, still published')),
  }),
  warnings: v.pipe(v.array(SamlConnectionWarning), v.description('What needs the admin: an IdP signing certificate within 60 days of expiry, or expired')),
  createdAt: isoDate,
  updatedAt: isoDate,
  setupNotes: v.array(v.string()),
});
export const SamlConnectionList = v.object({ connections: v.array(SamlConnection) });

// ---- JIT (Automatic user provisioning)
const nullableId = v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(64)));
export const JitSettingsBody = v.strictObject({
  enabled: v.boolean('enabled must be true or false'),
  defaultWorkspaceId: v.optional(nullableId, null),
  defaultPermissionSetId: v.optional(nullableId, null),
  requireDirectoryMembership: v.optional(v.boolean('requireDirectoryMembership must be true or false'), false),
});
export const JitSettings = v.object({
  enabled: v.boolean(),
  defaultWorkspaceId: v.nullable(v.string()),
  defaultPermissionSetId: v.nullable(v.string()),
  requireDirectoryMembership: v.boolean(),
  updatedAt: nullableDate,
});
export const JitDisableBody = v.optional(v.strictObject({ reason: v.optional(trimmedName('reason')) }), {});
export const ExplainBody = v.strictObject({
  email: v.pipe(v.string('email must be a string'), v.maxLength(320)),
  flow: v.optional(v.picklist(['idp_initiated', 'sp_initiated'], 'flow must be idp_initiated or sp_initiated'), 'idp_initiated'),
  connectionId: v.optional(
    v.pipe(v.string('connectionId must be a string'), v.minLength(1), v.maxLength(64), v.description("The SAML connection signed in at (default: the company's first)")),
  ),
});
export const Explanation = v.object({
  decision: v.picklist(['sign_in', 'provision', 'refuse']),
  reason: v.nullable(v.string()),
  checks: v.array(v.object({ check: v.string(), outcome: v.picklist(['passed', 'failed', 'skipped']), detail: v.string() })),
  connection: v.pipe(
    v.nullable(v.object({ id: v.string(), name: v.string(), enabled: v.boolean(), idpInitiatedAllowed: v.boolean() })),
    v.description('The connection explained (null: the company has none); when it would refuse first, decision is refuse with connection_disabled or idp_initiated_disabled'),
  ),
});

// ---- directory sync (SCIM) administration
export const CreateScimTokenBody = v.optional(v.strictObject({ label: v.optional(trimmedName('label')) }), {});
export const ScimTokenInfo = v.object({ id: v.string(), label: v.nullable(v.string()), createdAt: isoDate, revokedAt: nullableDate });
export const CreatedScimToken = v.object({ ...ScimTokenInfo.entries, token: v.string(), scimBaseUrl: v.string() });
export const ScimTokenList = v.object({ scimTokens: v.array(ScimTokenInfo), scimBaseUrl: v.string() });
export const GroupMappingBody = v.strictObject({
  workspaceId: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  permissionSetId: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  priority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000)), 100),
});
export const GroupMapping = v.object({
  groupId: v.string(),
  workspaceId: v.string(),
  permissionSetId: v.string(),
  priority: v.number(),
  createdAt: isoDate,
});
export const GroupMappingList = v.object({ groupMappings: v.array(GroupMapping) });
