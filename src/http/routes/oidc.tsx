/**
 * The OpenID provider's HTTP endpoints (OIDC Core 1.0, Discovery 1.0, RP-Initiated Logout 1.0,
 * Back-Channel Logout 1.0, RFC 7636, RFC 9207): discovery, JWKS, authorize (and its resumption after
 * the SAML sign-in), token, userinfo and end-session. The protocol decisions live in the services;
 * here are only parameters in and responses out.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import * as v from 'valibot';
import { authorize, resumeAuthorization } from '../../services/oidc-authorize.js';
import type { AuthorizeOutcome } from '../../services/oidc-authorize.js';
import { JWKS_MAX_AGE_SECONDS, SIGNING_ALG, publishedJwks } from '../../services/oidc-keys.js';
import { endSession } from '../../services/oidc-logout.js';
import type { EndSessionParams } from '../../services/oidc-logout.js';
import { exchangeCode, userInfo } from '../../services/oidc-token.js';
import type { ClientCredentials } from '../../services/oidc-token.js';
import { resolveSession } from '../../services/sessions.js';
import type { SignedInUser } from '../../services/sessions.js';
import { startSpInitiatedLogin } from '../../services/sp-initiated.js';
import { browserBindingFor, presentedBrowserBinding } from '../authn-cookie.js';
import type { AppEnv } from '../env.js';
import { AuthorizeErrorPage, LoggedOutPage, LogoutConfirmPage } from '../oidc-pages.js';
import { NUL_IN_URL, describe } from '../openapi-helpers.js';
import { clearSessionCookie, readSessionToken } from '../session-cookie.js';
import { sendToIdpForSignIn } from './saml.js';

const tag = 'OpenID Connect';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

const OAuthError = v.object({ error: v.string(), error_description: v.optional(v.string()) });
const TokenBody = v.object({
  access_token: v.string(),
  token_type: v.literal('Bearer'),
  expires_in: v.number(),
  id_token: v.pipe(v.string(), v.description('RS256 JWT: iss, sub, aud, exp, iat, auth_time, nonce, amr, sid, email, email_verified, given_name, family_name, company_id, memberships, and jit_provisioned (true on the sign-in that created the account)')),
  scope: v.string(),
});
const Membership = v.object({ workspace_id: v.string(), permission_set_id: v.string(), permissions: v.array(v.string()) });
const UserInfo = v.object({
  sub: v.string(),
  email: v.optional(v.string()),
  email_verified: v.optional(v.boolean()),
  given_name: v.optional(v.string()),
  family_name: v.optional(v.string()),
  name: v.optional(v.string()),
  company_id: v.string(),
  memberships: v.array(Membership),
});
const Jwks = v.object({ keys: v.array(v.record(v.string(), v.unknown())) });
const Discovery = v.record(v.string(), v.unknown());

async function browserSession(c: Context<AppEnv>): Promise<SignedInUser | null> {
  const token = await readSessionToken(c);
  return token ? resolveSession(c.get('deps'), token) : null;
}

function discoveryDocument(publicUrl: string) {
  return {
    issuer: publicUrl,
    authorization_endpoint: `${publicUrl}/oauth/authorize`,
    token_endpoint: `${publicUrl}/oauth/token`,
    userinfo_endpoint: `${publicUrl}/oauth/userinfo`,
    jwks_uri: `${publicUrl}/oauth/jwks`,
    end_session_endpoint: `${publicUrl}/oauth/logout`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [SIGNING_ALG],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'email', 'profile'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'amr', 'sid', 'email', 'email_verified', 'given_name', 'family_name', 'name', 'company_id', 'memberships', 'jit_provisioned'],
    prompt_values_supported: ['none', 'login'],
    authorization_response_iss_parameter_supported: true,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    frontchannel_logout_supported: false,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}

/** What the authorize and resume services decided, as a response. */
async function respond(c: Context<AppEnv>, outcome: AuthorizeOutcome, binding: string): Promise<Response> {
  c.header('Cache-Control', 'no-store');
  if (outcome.kind === 'page') return c.html(<AuthorizeErrorPage error={outcome.error} description={outcome.description} />, outcome.status);
  if (outcome.kind === 'redirect') return c.redirect(outcome.location, 302);
  const started = await startSpInitiatedLogin(c.get('deps'), outcome.companyId, outcome.relayPath, binding);
  if (started.ok) return sendToIdpForSignIn(c, started, binding);
  if (started.reason === 'rate_limited') return c.redirect(outcome.redirectError('temporarily_unavailable', 'Too many sign-ins are starting for this company; try again in a minute.'), 302);
  const why = started.reason === 'connection_disabled' ? "The company's SAML connection is switched off." : 'The company has no SAML single sign-on set up.';
  return c.redirect(outcome.redirectError('access_denied', why), 302);
}

/** RFC 6749 §2.3.1: client_id and client_secret are form-urlencoded inside the Basic credentials. */
function basicCredentials(header: string): ClientCredentials | 'malformed' {
  const encoded = header.slice('basic '.length).trim();
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0)));
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'malformed';
    const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { clientId: unform(decoded.slice(0, colon)), clientSecret: unform(decoded.slice(colon + 1)), method: 'client_secret_basic' };
  } catch {
    return 'malformed';
  }
}

function oauthError(c: Context<AppEnv>, status: 400 | 401, error: string, description: string, basic = false): Response {
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
  if (status === 401) c.header('WWW-Authenticate', basic ? 'Basic realm="oauth", charset="UTF-8"' : 'Basic realm="oauth"');
  return c.json({ error, error_description: description }, status);
}

/** The form of a POST, each parameter at most once (RFC 6749 §3.2); null when it is not a form or repeats one. */
async function singleValuedForm(c: Context<AppEnv>): Promise<Record<string, string> | null> {
  if (!(c.req.header('Content-Type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) return null;
  // Read as bytes: workerd warns when a form body is read with .text().
  const params = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
  const form: Record<string, string> = {};
  for (const [name, value] of params) {
    if (name in form) return null;
    form[name] = value;
  }
  return form;
}

function endSessionParams(source: Record<string, string | undefined>): EndSessionParams {
  const one = (name: string) => (typeof source[name] === 'string' && source[name] !== '' ? source[name]!.slice(0, 16_000) : null);
  return { idTokenHint: one('id_token_hint'), clientId: one('client_id'), postLogoutRedirectUri: one('post_logout_redirect_uri'), state: one('state') };
}

async function logout(c: Context<AppEnv>, params: EndSessionParams, confirmed: boolean): Promise<Response> {
  c.header('Cache-Control', 'no-store');
  const outcome = await endSession(c.get('deps'), params, await browserSession(c), confirmed);
  if (outcome.kind === 'page') return c.html(<AuthorizeErrorPage error={outcome.error} description={outcome.description} />, outcome.status);
  if (outcome.kind === 'confirm') {
    const fields = Object.fromEntries(
      Object.entries({ client_id: params.clientId, post_logout_redirect_uri: params.postLogoutRedirectUri, state: params.state }).filter((e): e is [string, string] => e[1] !== null),
    );
    return c.html(<LogoutConfirmPage applicationName={outcome.applicationName} fields={fields} />, 200);
  }
  if (outcome.endedBrowserSession) clearSessionCookie(c);
  if (outcome.location) return c.redirect(outcome.location, 303);
  return c.html(<LoggedOutPage />, 200);
}

const authorizeDescription =
  'OpenID Connect authorization code flow with PKCE S256 (required). The company is `organization=<company id>`, or found from ' +
  "`login_hint=<email>` by the same domain facts the JIT rules read (or the browser's own session). With a live bridge session " +
  "for that company the browser goes straight back to redirect_uri with `code`, `state` and `iss`; without one the request is " +
  "stored (bound to this browser by the `__Host-bridge_authn` cookie) and the company's SP-initiated SAML sign-in starts; it " +
  'resumes after the ACS. An OIDC request never provisions anyone: the SAML response it triggers is SP-initiated, which signs in ' +
  'existing users only. Until client_id and redirect_uri are validated, errors are an HTML page; after that they go to ' +
  'redirect_uri (RFC 6749 §4.1.2.1: invalid_request, unsupported_response_type, invalid_scope, access_denied, login_required, ' +
  'temporarily_unavailable, request_not_supported).';

/** The authorization request's parameters (each at most once, RFC 6749 §3.1). */
const AUTHORIZE_PARAMETERS = {
  client_id: { description: "The application's clientId", required: true },
  redirect_uri: { description: 'One of its redirectUris, exactly', required: true },
  response_type: { description: 'code (the only one)', required: true },
  scope: { description: 'openid, optionally email and profile (space-separated)', required: true },
  code_challenge: { description: 'PKCE: base64url SHA-256 of the code_verifier (43 characters)', required: true },
  code_challenge_method: { description: 'S256 (the only one)', required: true },
  state: { description: 'Echoed back to redirect_uri' },
  nonce: { description: 'Copied into the id_token' },
  organization: { description: 'The company id (cmp_…) that signs the person in' },
  login_hint: { description: "The person's email: names the company by its domain when organization is absent" },
  prompt: { description: 'none (never a sign-in page: login_required instead) or login (a new SAML sign-in)' },
  max_age: { description: 'Seconds: an older bridge session means a new SAML sign-in' },
  response_mode: { description: 'query (the only one)' },
};

const redirectResponses = {
  200: { description: "HTML page posting the AuthnRequest to the company's IdP (its HTTP-POST binding)", mediaType: 'text/html' as const },
  302: { description: 'To redirect_uri with code (or error), state and iss; or to the IdP (HTTP-Redirect binding)', headers: { Location: { description: 'Where to' } } },
  400: { description: 'HTML page: unknown client_id, missing or unregistered redirect_uri', mediaType: 'text/html' as const },
};

const describeUserInfo = (operationId: string, method: string) =>
  describe({
    operationId,
    summary: `UserInfo endpoint (${method}): the claims of the access token's person (company and memberships included)`,
    tag,
    security: 'oidcAccessToken',
    responses: {
      200: { description: 'Claims', schema: UserInfo },
      401: { description: 'invalid_token', schema: OAuthError, headers: { 'WWW-Authenticate': { description: 'Bearer error="invalid_token"' } } },
    },
  });

const userInfoHandler = async (c: Context<AppEnv>) => {
  c.header('Cache-Control', 'no-store');
  const authorization = c.req.header('Authorization') ?? '';
  const token = /^bearer /i.test(authorization) ? authorization.slice(7).trim() : null;
  if (token === null) {
    c.header('WWW-Authenticate', 'Bearer realm="oauth"');
    return c.json({ error: 'invalid_request', error_description: 'Send the access token as a Bearer token.' }, 401);
  }
  const outcome = await userInfo(c.get('deps'), token);
  if (!outcome.ok) {
    c.header('WWW-Authenticate', `Bearer realm="oauth", error="invalid_token", error_description="${outcome.description}"`);
    return c.json({ error: outcome.error, error_description: outcome.description }, 401);
  }
  return c.json(outcome.claims);
};

export const oidcRoutes = new Hono<AppEnv>()
  .get(
    '/.well-known/openid-configuration',
    describe({ operationId: 'openidConfiguration', summary: 'OpenID Provider metadata (Discovery 1.0); issuer = PUBLIC_URL', tag, responses: { 200: { description: 'The provider metadata', schema: Discovery }, 400: NUL_IN_URL } }),
    (c) => {
      c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      return c.json(discoveryDocument(c.get('deps').publicUrl));
    },
  )
  .get(
    '/oauth/jwks',
    describe({
      operationId: 'oidcJwks',
      summary: "The provider's public signing keys (RS256), the next one included during a rotation",
      tag,
      responses: { 200: { description: 'JSON Web Key Set', schema: Jwks, headers: { 'Cache-Control': { description: `public, max-age=${JWKS_MAX_AGE_SECONDS}` } } }, 400: NUL_IN_URL },
    }),
    async (c) => {
      c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      return c.json(await publishedJwks(c.get('deps')));
    },
  )
  .get(
    '/oauth/authorize',
    describe({
      operationId: 'oidcAuthorize',
      summary: 'Authorization endpoint (code flow, PKCE S256 required)',
      description: authorizeDescription,
      tag,
      security: 'optionalSession',
      query: AUTHORIZE_PARAMETERS,
      responses: redirectResponses,
    }),
    async (c) => {
      const binding = browserBindingFor(c);
      return respond(c, await authorize(c.get('deps'), c.req.queries(), await browserSession(c), binding), binding);
    },
  )
  .get(
    '/oauth/authorize/resume',
    describe({
      operationId: 'oidcAuthorizeResume',
      summary: 'Where the ACS sends the browser after the SAML sign-in an authorization started: redirect to the application with the code',
      tag,
      security: 'session',
      query: { authorization: { description: 'The stored authorization request (az_…), as the ACS was told by RelayState', required: true } },
      responses: {
        302: { description: 'To redirect_uri with code, state and iss (or access_denied)', headers: { Location: { description: 'redirect_uri' } } },
        400: { description: 'HTML page: the authorization was used or expired', mediaType: 'text/html' },
        403: { description: 'HTML page: the authorization was started in another browser', mediaType: 'text/html' },
      },
    }),
    async (c) => {
      const binding = presentedBrowserBinding(c);
      const outcome = await resumeAuthorization(c.get('deps'), c.req.query('authorization') ?? '', binding, await browserSession(c));
      return respond(c, outcome, binding ?? '');
    },
  )
  .post(
    '/oauth/token',
    describe({
      operationId: 'oidcToken',
      summary: 'Token endpoint: redeem a code (grant_type=authorization_code) for an id_token and an access token',
      description:
        'Client authentication client_secret_basic or client_secret_post. A code is single-use (a second use revokes the access tokens ' +
        'the first issued), bound to its client, redirect_uri and PKCE code_verifier, and valid for 60 seconds. Errors per RFC 6749 §5.2: ' +
        'invalid_request, invalid_client (401), invalid_grant, unsupported_grant_type.',
      tag,
      security: 'oauthClient',
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: ['grant_type', 'code', 'redirect_uri', 'code_verifier'],
              properties: {
                grant_type: { type: 'string', enum: ['authorization_code'] },
                code: { type: 'string' },
                redirect_uri: { type: 'string' },
                code_verifier: { type: 'string', minLength: 43, maxLength: 128 },
                client_id: { type: 'string', description: 'client_secret_post' },
                client_secret: { type: 'string', description: 'client_secret_post' },
              },
            },
          },
        },
      },
      responses: {
        200: { description: 'Tokens', schema: TokenBody },
        400: { description: 'invalid_request, invalid_grant or unsupported_grant_type', schema: OAuthError },
        401: { description: 'invalid_client', schema: OAuthError, headers: { 'WWW-Authenticate': { description: 'Basic' } } },
      },
    }),
    async (c) => {
      const form = await singleValuedForm(c);
      if (form === null) return oauthError(c, 400, 'invalid_request', 'The body must be application/x-www-form-urlencoded, each parameter once.');
      const authorization = c.req.header('Authorization');
      let client: ClientCredentials | null = null;
      if (authorization !== undefined && /^basic /i.test(authorization)) {
        if (form.client_secret !== undefined) return oauthError(c, 400, 'invalid_request', 'Use one client authentication method, not both.');
        const basic = basicCredentials(authorization);
        if (basic === 'malformed') return oauthError(c, 401, 'invalid_client', 'The Basic credentials are malformed.', true);
        client = basic;
      } else if (form.client_id !== undefined && form.client_secret !== undefined) {
        client = { clientId: form.client_id, clientSecret: form.client_secret, method: 'client_secret_post' };
      }
      const outcome = await exchangeCode(c.get('deps'), client, form);
      if (!outcome.ok) return oauthError(c, outcome.status, outcome.error, outcome.description, client?.method === 'client_secret_basic');
      c.header('Cache-Control', 'no-store');
      c.header('Pragma', 'no-cache');
      return c.json(outcome.body);
    },
  )
  .get('/oauth/userinfo', describeUserInfo('oidcUserInfo', 'GET'), userInfoHandler)
  .post('/oauth/userinfo', describeUserInfo('oidcUserInfoPost', 'POST'), userInfoHandler)
  .get(
    '/oauth/logout',
    describe({
      operationId: 'oidcEndSession',
      summary: 'End-session endpoint (RP-Initiated Logout 1.0): ends the bridge session, back to a registered post_logout_redirect_uri',
      description:
        'Parameters: id_token_hint (checked by signature; an expired one is fine), client_id, post_logout_redirect_uri (must be ' +
        'registered for the application, compared exactly), state. With a valid id_token_hint the session it names ends at once; ' +
        'without one the person confirms on a page first. Applications that received tokens for the session get a back-channel ' +
        `logout_token (events: ${BACKCHANNEL_EVENT}). The company's IdP session is not ended (no SAML Single Logout from here).`,
      tag,
      security: 'optionalSession',
      query: {
        id_token_hint: { description: 'An id_token this provider issued (it may have expired): the session to end' },
        client_id: { description: 'The application, when there is no id_token_hint' },
        post_logout_redirect_uri: { description: "Where to go afterwards: one of the application's postLogoutRedirectUris, exactly" },
        state: { description: 'Echoed back to post_logout_redirect_uri' },
      },
      responses: {
        200: { description: 'HTML page: signed out, or the confirmation form', mediaType: 'text/html' },
        303: { description: 'To post_logout_redirect_uri (with state)', headers: { Location: { description: 'post_logout_redirect_uri' } } },
        400: { description: 'HTML page: bad id_token_hint, unknown client, unregistered post_logout_redirect_uri', mediaType: 'text/html' },
      },
    }),
    (c) => logout(c, endSessionParams(c.req.query()), false),
  )
  .post(
    '/oauth/logout',
    describe({
      operationId: 'oidcEndSessionConfirm',
      summary: "The end-session confirmation form's post (same origin only), or a relying party's form post of the same parameters",
      tag,
      security: 'optionalSession',
      responses: {
        200: { description: 'HTML page: signed out', mediaType: 'text/html' },
        303: { description: 'To post_logout_redirect_uri (with state)', headers: { Location: { description: 'post_logout_redirect_uri' } } },
        400: { description: 'HTML page: bad parameters', mediaType: 'text/html' },
      },
    }),
    async (c) => {
      const form = (await singleValuedForm(c)) ?? {};
      return logout(c, endSessionParams(form), form.confirm === 'yes');
    },
  );
