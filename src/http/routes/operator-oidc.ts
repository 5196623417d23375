/**
 * Operator API for the OpenID provider: the applications (OIDC clients) with their client secrets, and
 * the signing key rotation. Mounted at /api/operator next to the other operator routes.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import * as v from 'valibot';
import {
  addClientSecret,
  createApplication,
  deleteApplication,
  listApplications,
  MAX_REDIRECT_URIS,
  MAX_URI_LENGTH,
  removeClientSecret,
  requireApplication,
  updateApplication,
} from '../../services/oidc-applications.js';
import type { Application, UriPolicy } from '../../services/oidc-applications.js';
import { rotateSigningKey } from '../../services/oidc-keys.js';
import type { AppEnv } from '../env.js';
import { requireOperator } from '../middleware/auth.js';
import { describe } from '../openapi-helpers.js';
import { validate } from '../validate.js';

const tag = 'Operator';
const security = 'operator' as const;

// ---- requests

const Name = v.pipe(
  v.string('name must be a string'),
  v.trim(),
  v.minLength(1, 'name must not be empty'),
  v.maxLength(200, 'name must be at most 200 characters'),
  v.check((s) => !/[\u0000-\u001f\u007f]/.test(s), 'name must not contain control characters'),
  v.description('Shown to operators; at most 200 characters'),
);
const URI_RULES =
  `absolute, at most ${MAX_URI_LENGTH} characters, no fragment, no user name or password, https ` +
  '(http://localhost[:port] and http://127.0.0.1[:port] only outside production)';
const Uri = (what: string) => v.pipe(v.string(`${what} must be a string`), v.description(`${what}: ${URI_RULES}`));
const RedirectUris = v.pipe(
  v.array(v.string('redirectUris must list strings'), 'redirectUris must be an array'),
  v.description(`1 to ${MAX_REDIRECT_URIS} distinct URIs, compared exactly (no wildcards) with redirect_uri; each ${URI_RULES}`),
);
const PostLogoutRedirectUris = v.pipe(
  v.array(v.string('postLogoutRedirectUris must list strings'), 'postLogoutRedirectUris must be an array'),
  v.description(`Up to ${MAX_REDIRECT_URIS} distinct URIs the end-session endpoint may redirect to, compared exactly; each ${URI_RULES}`),
);
const InitiateLoginUri = Uri('initiateLoginUri (OIDC Core §4: where an IdP-initiated sign-in sends the browser)');
const BackchannelLogoutUri = Uri('backchannelLogoutUri (Back-Channel Logout 1.0: where logout tokens are POSTed)');
const IsDefault = v.pipe(
  v.boolean('isDefault must be true or false'),
  v.description('The application IdP-initiated sign-ins go to; setting it on one takes it off the others'),
);

const CreateApplicationBody = v.strictObject({
  name: Name,
  redirectUris: RedirectUris,
  postLogoutRedirectUris: v.nullish(PostLogoutRedirectUris),
  initiateLoginUri: v.nullish(InitiateLoginUri),
  backchannelLogoutUri: v.nullish(BackchannelLogoutUri),
  isDefault: v.nullish(IsDefault),
});
const PatchApplicationBody = v.strictObject({
  name: v.optional(Name),
  redirectUris: v.optional(RedirectUris),
  postLogoutRedirectUris: v.optional(v.nullable(PostLogoutRedirectUris)),
  initiateLoginUri: v.optional(v.nullable(InitiateLoginUri)),
  backchannelLogoutUri: v.optional(v.nullable(BackchannelLogoutUri)),
  isDefault: v.optional(IsDefault),
});
const ApplicationParam = v.object({ applicationId: v.pipe(v.string(), v.maxLength(64)) });
const SecretParam = v.object({ ...ApplicationParam.entries, secretId: v.pipe(v.string(), v.maxLength(64)) });

// ---- responses

const isoDate = v.pipe(v.string(), v.isoTimestamp());
const ApplicationBody = v.object({
  id: v.string(),
  clientId: v.pipe(v.string(), v.description('The OAuth client_id: the same as id')),
  name: v.string(),
  redirectUris: v.array(v.string()),
  postLogoutRedirectUris: v.array(v.string()),
  initiateLoginUri: v.nullable(v.string()),
  backchannelLogoutUri: v.nullable(v.string()),
  isDefault: v.boolean(),
  secrets: v.pipe(
    v.array(v.object({ id: v.string(), createdAt: isoDate })),
    v.description('The live client secrets (one, or two during a rotation): never their values'),
  ),
  createdAt: isoDate,
  updatedAt: isoDate,
});
const CreatedApplication = v.object({
  ...ApplicationBody.entries,
  clientSecret: v.pipe(v.string(), v.description('The client secret: shown only in this response, stored hashed')),
});
const ApplicationList = v.object({ applications: v.array(ApplicationBody) });
const CreatedClientSecret = v.object({
  secretId: v.string(),
  clientSecret: v.pipe(v.string(), v.description('The new client secret: shown only in this response; the old one keeps working until removed')),
});
const RotationReport = v.object({
  kid: v.pipe(v.string(), v.description('The new key: published in the JWKS now')),
  activatesAt: v.pipe(isoDate, v.description('When it starts signing (after relying parties have refreshed their cached JWKS)')),
  retiring: v.pipe(
    v.array(v.object({ kid: v.string(), retiresAt: isoDate })),
    v.description('The keys it replaces, each published until every token it signed has expired'),
  ),
});

const presentApplication = (app: Application) => ({
  id: app.id,
  clientId: app.id,
  name: app.name,
  redirectUris: app.redirectUris,
  postLogoutRedirectUris: app.postLogoutRedirectUris,
  initiateLoginUri: app.initiateLoginUri,
  backchannelLogoutUri: app.backchannelLogoutUri,
  isDefault: app.isDefault,
  secrets: app.secrets.map((s) => ({ id: s.id, createdAt: s.createdAt })),
  createdAt: app.createdAt.toISOString(),
  updatedAt: app.updatedAt.toISOString(),
});

/** Loopback http URIs are a development convenience: production refuses them. */
const uriPolicy = (c: Context<AppEnv>): UriPolicy => ({ allowLoopbackHttp: !c.get('config').production });

const WRITE_ERRORS = [400, 401, 404, 413, 415];

export const operatorOidcRoutes = new Hono<AppEnv>()
  // operatorRoutes' guard also covers /api/operator/*, but only while it is mounted first: this router
  // guards itself so no mounting order can leave it open.
  .use(requireOperator)
  .post(
    '/applications',
    describe({
      operationId: 'createApplication',
      summary: 'Register an application (OIDC client); its client secret is shown only in this response',
      tag,
      security,
      responses: { 201: { description: 'Registered', schema: CreatedApplication } },
      errors: [400, 401, 413, 415],
    }),
    validate('json', CreateApplicationBody),
    async (c) => {
      const { application, clientSecret } = await createApplication(c.get('deps'), c.get('actor'), c.req.valid('json'), uriPolicy(c));
      return c.json({ ...presentApplication(application), clientSecret }, 201);
    },
  )
  .get(
    '/applications',
    describe({
      operationId: 'listApplications',
      summary: 'List the applications (never their client secrets)',
      tag,
      security,
      responses: { 200: { description: 'Applications, oldest first', schema: ApplicationList } },
      errors: [401],
    }),
    async (c) => c.json({ applications: (await listApplications(c.get('deps').db)).map(presentApplication) }),
  )
  .get(
    '/applications/:applicationId',
    describe({ operationId: 'getApplication', summary: 'Get an application', tag, security, responses: { 200: { description: 'The application', schema: ApplicationBody } }, errors: [400, 401, 404] }),
    validate('param', ApplicationParam),
    async (c) => c.json(presentApplication(await requireApplication(c.get('deps'), c.req.valid('param').applicationId))),
  )
  .patch(
    '/applications/:applicationId',
    describe({
      operationId: 'updateApplication',
      summary: 'Change an application: any field of the create body; null clears an optional URI',
      tag,
      security,
      responses: { 200: { description: 'The changed application', schema: ApplicationBody } },
      errors: WRITE_ERRORS,
    }),
    validate('param', ApplicationParam),
    validate('json', PatchApplicationBody),
    async (c) => {
      const app = await updateApplication(c.get('deps'), c.get('actor'), c.req.valid('param').applicationId, c.req.valid('json'), uriPolicy(c));
      return c.json(presentApplication(app));
    },
  )
  .delete(
    '/applications/:applicationId',
    describe({
      operationId: 'deleteApplication',
      summary: 'Delete an application (its pending codes, tokens and back-channel deliveries go with it)',
      tag,
      security,
      responses: { 204: { description: 'Deleted' } },
      errors: [400, 401, 404],
    }),
    validate('param', ApplicationParam),
    async (c) => {
      await deleteApplication(c.get('deps'), c.get('actor'), c.req.valid('param').applicationId);
      return c.body(null, 204);
    },
  )
  .post(
    '/applications/:applicationId/secrets',
    describe({
      operationId: 'addClientSecret',
      summary: 'Add a second client secret for a rotation (shown only in this response; at most two)',
      description: 'Both secrets authenticate until the old one is removed with DELETE .../secrets/{secretId}. A third answers 409 too_many_client_secrets.',
      tag,
      security,
      responses: { 201: { description: 'Added', schema: CreatedClientSecret } },
      errors: [400, 401, 404, 409],
    }),
    validate('param', ApplicationParam),
    async (c) => c.json(await addClientSecret(c.get('deps'), c.get('actor'), c.req.valid('param').applicationId), 201),
  )
  .delete(
    '/applications/:applicationId/secrets/:secretId',
    describe({
      operationId: 'removeClientSecret',
      summary: 'Remove a client secret (never the last one: 409 last_client_secret)',
      tag,
      security,
      responses: { 204: { description: 'Removed: it no longer authenticates' } },
      errors: [400, 401, 404, 409],
    }),
    validate('param', SecretParam),
    async (c) => {
      const { applicationId, secretId } = c.req.valid('param');
      await removeClientSecret(c.get('deps'), c.get('actor'), applicationId, secretId);
      return c.body(null, 204);
    },
  )
  .post(
    '/oidc/signing-keys/rotate',
    describe({
      operationId: 'rotateSigningKey',
      summary: 'Rotate the OpenID signing key: the next key is published now and signs once cached JWKS have refreshed',
      description: 'The keys it replaces stay in the JWKS until every token they signed has expired. Audited as oidc.signing_key_rotated.',
      tag,
      security,
      responses: { 200: { description: 'The new key and the keys it replaces', schema: RotationReport } },
      errors: [401, 503],
    }),
    async (c) => c.json(await rotateSigningKey(c.get('deps'), c.get('actor'))),
  );
