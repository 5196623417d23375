/**
 * The one app factory both runtimes serve: routes, middleware and the single error mapping. It knows
 * nothing about Node or Workers; the entry points hand it a database and the configuration.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { openAPIRouteHandler } from 'hono-openapi';
import type { AppConfig } from './config.js';
import type { Db } from './store/db.js';
import { deliverBackchannelLogoutsIfDue } from './services/backchannel.js';
import { dispatchWebhooksIfAny } from './services/webhook-delivery.js';
import type { ServiceDeps } from './services/deps.js';
import type { HostResolver } from './services/metadata-fetch.js';
import type { AppEnv } from './http/env.js';
import { errorResponse, handleError } from './http/errors.js';
import { requireCompanyAdmin } from './http/middleware/auth.js';
import { refuseCrossSiteCookieWrites } from './http/middleware/csrf.js';
import { refuseNulInUrl, requestLog, requireJsonBody } from './http/middleware/request.js';
import type { LogSink } from './http/middleware/request.js';
import { adminRoutes } from './http/routes/admin.js';
import { adminJitRoutes } from './http/routes/admin-jit.js';
import { adminScimRoutes } from './http/routes/admin-scim.js';
import { adminSamlRoutes } from './http/routes/admin-saml.js';
import { samlRoutes } from './http/routes/saml.js';
import { sloRoutes } from './http/routes/slo.js';
import { scimRoutes } from './http/routes/scim.js';
import { sessionRoutes } from './http/routes/session.js';
import { adminUiRoutes } from './http/admin-ui/routes.js';
import { docsRoutes } from './http/routes/docs.js';
import type { ApiReferenceScript } from './http/routes/docs.js';
import { securitySchemes } from './http/openapi-helpers.js';
import { scimComponentSchemas, scimTokenScheme } from './http/scim-openapi.js';
import { healthRoutes } from './http/routes/health.js';
import { invitationRoutes } from './http/routes/invitations.js';
import { operatorRoutes } from './http/routes/operator.js';
import { oidcRoutes } from './http/routes/oidc.js';
import { companyEventRoutes, operatorEventRoutes } from './http/routes/events.js';
import { operatorOidcRoutes } from './http/routes/operator-oidc.js';
import { companyWebhookRoutes, operatorWebhookRoutes, webhookDocumentation } from './http/routes/webhooks.js';

export interface AppOptions {
  config: AppConfig;
  /** The database for a request: one shared handle on Node, a client per request in Workers. */
  database: { kind: 'pglite' | 'postgres'; db: Db | ((env: AppEnv['Bindings']) => Db) };
  /** The clock; tests pin it. */
  now?: () => Date;
  /** Where the one-line-per-request JSON logs go; null silences them. */
  log?: LogSink | null;
  /** Extra routes of one runtime (the Node development demo), mounted before the 404 handler. */
  extraRoutes?: Hono<AppEnv>;
  /** See ServiceDeps.purgeEvery. */
  purgeEvery?: number;
  /**
   * The Scalar script behind GET /docs/scalar.js (Node reads it from node_modules). Without it that
   * route answers 404: a Worker serves the file from its static assets instead (too big to bundle).
   */
  apiReferenceScript?: ApiReferenceScript;
  /**
   * Whether a write request starts a webhook dispatch after its response (default true: Workers, whose
   * only other sender is the Cron Trigger). The Node server has its own dispatcher and passes false.
   */
  deferWebhooks?: boolean;
  /** Resolves IdP metadata hosts before they are fetched (Node passes node:dns; Workers have no DNS API). */
  resolveHost?: HostResolver;
}

/** The use cases' dependencies from the configuration: what each request gets, and what scheduled jobs run with. */
export function serviceDeps(
  config: AppConfig,
  db: Db,
  now: () => Date,
  extra: { purgeEvery?: number | undefined; resolveHost?: HostResolver | undefined } = {},
): ServiceDeps {
  return {
    db,
    publicUrl: config.publicUrl,
    now,
    sessionSecret: config.sessionSecret,
    previousSessionSecrets: config.previousSessionSecrets ?? [],
    ...(extra.purgeEvery !== undefined ? { purgeEvery: extra.purgeEvery } : {}),
    ...(config.samlLoginRateLimitPerMinute !== undefined ? { samlLoginRateLimitPerMinute: config.samlLoginRateLimitPerMinute } : {}),
    ...(config.metadataRefreshMinutes !== undefined ? { metadataRefreshMinutes: config.metadataRefreshMinutes } : {}),
    ...(config.eventRetentionDays !== undefined ? { eventRetentionDays: config.eventRetentionDays } : {}),
    ...(config.metadataAllowLoopbackUrls ? { metadataAllowLoopbackUrls: true } : {}),
    ...(config.production ? {} : { webhookAllowLoopback: true }),
    ...(extra.resolveHost ? { resolveHost: extra.resolveHost } : {}),
  };
}

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The GETs that end sessions: Single Logout on the HTTP-Redirect binding, and RP-initiated logout. */
const ENDS_SESSIONS_ON_GET = /^\/(?:saml\/[^/]+\/slo|oauth\/logout)\/?$/;

/**
 * Work that outlives the response: Workers keep the request alive for it (waitUntil); on Node there is
 * no execution context (the getter throws) and the promise runs on by itself. Its errors are not the
 * request's: what fails here is retried by the timer or the Cron Trigger, which log.
 */
function deferAfterResponse(c: Context<AppEnv>, work: Promise<unknown>): void {
  const settled = work.catch(() => {});
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // Node: nothing to extend.
  }
}

/** API bodies are small JSON documents; anything bigger is refused before it is read. */
export const API_BODY_LIMIT_BYTES = 64 * 1024;
/** IdP metadata (PUT .../saml) may carry several certificates and a signature. */
export const METADATA_BODY_LIMIT_BYTES = 600 * 1024;

export function createApp(options: AppOptions): Hono<AppEnv> {
  const now = options.now ?? (() => new Date());
  const { database, config } = options;
  const app = new Hono<AppEnv>();

  app.use(requestLog(options.log === undefined ? null : options.log));
  app.use(secureHeaders());
  app.use(refuseNulInUrl);
  app.use(async (c, next) => {
    const db = typeof database.db === 'function' ? database.db(c.env ?? {}) : database.db;
    c.set('config', config);
    const deps = serviceDeps(config, db, now, { purgeEvery: options.purgeEvery, resolveHost: options.resolveHost });
    c.set('deps', { ...deps, defer: (work) => deferAfterResponse(c, work) });
    return next();
  });
  // A write may have ended sessions (SCIM, logout, an admin...): their back-channel logouts go out now,
  // after the response, when the one indexed probe finds any due. The timers and the cron retry the rest.
  app.use(async (c, next) => {
    await next();
    if (READ_ONLY_METHODS.has(c.req.method) && !ENDS_SESSIONS_ON_GET.test(c.req.path)) return;
    const deps = c.get('deps');
    deps.defer?.(deliverBackchannelLogoutsIfDue(deps));
    // Webhooks too, on Workers (ctx.waitUntil); the Node server's dispatcher sends them already.
    if (options.deferWebhooks !== false) deps.defer?.(dispatchWebhooksIfAny(deps));
  });

  // Before any body is read or any route runs: a forged write is refused whatever it carries.
  app.use(refuseCrossSiteCookieWrites(config.publicUrl));

  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) => errorResponse(c, 413, { code: 'payload_too_large', message: `The body is over ${maxSize} bytes.` }),
    });
  const apiLimit = limit(API_BODY_LIMIT_BYTES);
  const metadataLimit = limit(METADATA_BODY_LIMIT_BYTES);
  // IdP metadata XML can be larger than any other API body; every other API route keeps the small limit.
  app.use('/api/*', (c, next) => (c.req.path.endsWith('/saml') ? metadataLimit(c, next) : apiLimit(c, next)), requireJsonBody);
  app.use('/invitations/*', apiLimit);
  app.use('/oauth/*', apiLimit);

  app.route('/', healthRoutes(database.kind));
  app.route('/api/operator', operatorRoutes);
  app.route('/api/operator', operatorOidcRoutes);
  app.route('/api/operator', operatorEventRoutes);
  app.route('/api/operator', operatorWebhookRoutes);
  // One guard for every admin route; the routers below assume it ran.
  app.use('/api/companies/:companyId/*', requireCompanyAdmin);
  app.route('/api/companies/:companyId', adminRoutes);
  app.route('/api/companies/:companyId', adminSamlRoutes);
  app.route('/api/companies/:companyId', adminJitRoutes);
  app.route('/api/companies/:companyId', adminScimRoutes);
  app.route('/api/companies/:companyId', companyEventRoutes);
  app.route('/api/companies/:companyId', companyWebhookRoutes);
  app.route('/scim/v2/:companyId', scimRoutes);
  app.route('/saml', samlRoutes);
  app.route('/saml', sloRoutes);
  app.route('/', sessionRoutes);
  app.route('/', oidcRoutes);
  app.route('/', adminUiRoutes);
  app.route('/invitations', invitationRoutes);
  app.route('/', docsRoutes(options.apiReferenceScript));

  if (options.extraRoutes) app.route('/', options.extraRoutes);

  app.get(
    '/openapi.json',
    openAPIRouteHandler(app, {
      documentation: {
        openapi: '3.1.0',
        info: {
          title: 'SAML + SCIM enrollment bridge',
          version: '0.1.0',
          description: 'IdP-initiated SAML sign-in, just-in-time provisioning under strict rules, and SCIM 2.0 directory sync.',
        },
        servers: [{ url: config.publicUrl }],
        tags: [
          { name: 'Health', description: 'Liveness and readiness' },
          { name: 'Operator', description: 'Support and onboarding, with OPERATOR_TOKEN' },
          { name: 'Company admin', description: "A company's own administration: API key, or an admin's session" },
          { name: 'SAML', description: 'Browser and IdP facing SAML endpoints' },
          { name: 'SCIM 2.0', description: "RFC 7644 directory sync for the company's IdP, with the company's SCIM token" },
          { name: 'Session', description: 'The signed-in person' },
          { name: 'OpenID Connect', description: 'The OpenID provider applications sign people in through (SAML upstream, JIT rules unchanged)' },
          { name: 'Invitations', description: "The invitee's side" },
          { name: 'Webhooks', description: 'What the bridge POSTs to your webhook endpoints (Standard Webhooks)' },
          { name: 'Documentation', description: 'This reference' },
        ],
        webhooks: webhookDocumentation,
        components: {
          securitySchemes: { ...securitySchemes, scimToken: scimTokenScheme },
          schemas: scimComponentSchemas,
        },
      },
    }),
  );

  app.notFound((c) => errorResponse(c, 404, { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` }));
  app.onError(handleError);
  return app;
}
