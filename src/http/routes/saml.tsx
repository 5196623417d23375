/** The IdP- and browser-facing SAML routes: SP metadata, the ACS, and the SP-initiated start. */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { safeRelayPath } from '../../core/relay-state.js';
import { SAML_RESPONSE_MAX_BASE64_LENGTH } from '../../saml/index.js';
import { consumeSamlResponse, refuseUnreadAcsPost } from '../../services/login.js';
import type { LoginRefused } from '../../services/login.js';
import { spMetadataFor, startSpInitiatedLogin } from '../../services/sp-initiated.js';
import type { SpLoginStart } from '../../services/sp-initiated.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { describe } from '../openapi-helpers.js';
import { browserBindingFor, presentedBrowserBinding, setBrowserBindingCookie } from '../authn-cookie.js';
import { newNonce, postPagePolicy } from '../nonce.js';
import { IdpPostPage, RefusalPage, TooManySignInsPage } from '../pages.js';
import { ErrorBody } from '../schemas.js';
import { replaceBrowserSession } from '../session-cookie.js';

const tag = 'SAML';
/** The base64 limit of the verifier plus room for URL-encoding and RelayState. */
const ACS_BODY_LIMIT_BYTES = SAML_RESPONSE_MAX_BASE64_LENGTH * 2;

/** The refusal page of a sign-in outcome: the reason, the company and the connection posted to. */
function Refusal({ outcome }: { outcome: LoginRefused }) {
  return <RefusalPage reason={outcome.reason} companyName={outcome.companyName} connectionName={outcome.connectionName} email={outcome.email} />;
}

function refusalStatus(reason: string): 400 | 403 | 404 | 413 {
  if (reason === 'unknown_company') return 404;
  if (reason === 'too_large') return 413;
  if (reason === 'malformed' || reason === 'dtd_forbidden') return 400;
  return 403;
}

export const samlRoutes = new Hono<AppEnv>()
  .get(
    '/:connectionId/metadata',
    describe({
      operationId: 'getSpMetadata',
      summary: "The company's SP metadata (entity ID, ACS URL, NameID format, WantAssertionsSigned)",
      tag,
      responses: { 200: { description: 'SAML metadata XML', mediaType: 'application/samlmetadata+xml' } },
      errors: [404],
    }),
    async (c) => {
      const xml = await spMetadataFor(c.get('deps'), c.req.param('connectionId'));
      if (xml === null) return errorResponse(c, 404, { code: 'not_found', message: 'No such company.' });
      c.header('Content-Type', 'application/samlmetadata+xml; charset=utf-8');
      return c.body(xml);
    },
  )
  .post(
    '/:connectionId/acs',
    describe({
      operationId: 'samlAssertionConsumerService',
      summary: 'Assertion Consumer Service (HTTP-POST binding: SAMLResponse, optional RelayState)',
      description:
        "The IdP's browser form post. A valid, signed response signs the user in (or creates their account under the " +
        'just-in-time rules) and sets the session cookie; every refusal is an HTML page that names the reason.',
      tag,
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            // (contentEncoding is JSON Schema 2020-12, which OpenAPI 3.1 uses; openapi-types lacks it.)
            schema: {
              type: 'object',
              required: ['SAMLResponse'],
              properties: {
                SAMLResponse: {
                  type: 'string',
                  contentEncoding: 'base64',
                  maxLength: SAML_RESPONSE_MAX_BASE64_LENGTH,
                  description: 'The base64-encoded SAML <Response> from the IdP',
                },
                RelayState: {
                  type: 'string',
                  description: 'Where to go after sign-in: a path or URL on this origin (anything else is ignored and / is used)',
                },
              },
            } as never,
          },
        },
      },
      responses: {
        303: {
          description: 'Signed in: session cookie set, redirect to RelayState (own origin only) or /',
          headers: {
            Location: { description: 'RelayState or /' },
            'Set-Cookie': {
              description:
                'The session cookie (__Host-bridge_session) and its reference (__Host-bridge_session_ref), by which the next sign-in on this browser ends this session',
            },
          },
        },
        400: { description: 'HTML page: the response could not be read (no SAMLResponse, not base64, not XML)', mediaType: 'text/html' },
        403: { description: 'HTML page naming the reason for the refusal (signature, audience, expiry, replay, request_other_browser, JIT rules...)', mediaType: 'text/html' },
        404: { description: 'HTML page: no such company, or SAML is not set up', mediaType: 'text/html' },
        413: { description: 'HTML page: the body is too large', mediaType: 'text/html' },
        503: {
          description: 'sealed_key_unreadable: an encrypted assertion, and no configured SESSION_SECRET opens the SP key (the operator must act)',
          schema: ErrorBody,
        },
      },
    }),
    bodyLimit({
      maxSize: ACS_BODY_LIMIT_BYTES,
      onError: async (c) => {
        const outcome = await refuseUnreadAcsPost(c.get('deps'), c.req.param('connectionId') ?? '', 'too_large', `The body is over ${ACS_BODY_LIMIT_BYTES} bytes.`);
        return c.html(<Refusal outcome={outcome} />, 413);
      },
    }),
    async (c) => {
      let samlResponse: unknown;
      let relayState: unknown;
      try {
        const form = await c.req.parseBody();
        samlResponse = form.SAMLResponse;
        relayState = form.RelayState;
      } catch {
        samlResponse = undefined;
      }
      c.header('Cache-Control', 'no-store');
      if (typeof samlResponse !== 'string' || samlResponse === '') {
        const outcome = await refuseUnreadAcsPost(c.get('deps'), c.req.param('connectionId'), 'malformed', 'The form has no SAMLResponse.');
        return c.html(<Refusal outcome={outcome} />, 400);
      }
      const outcome = await consumeSamlResponse(c.get('deps'), c.req.param('connectionId'), {
        samlResponse,
        relayState: typeof relayState === 'string' ? relayState : null,
        browserBinding: presentedBrowserBinding(c),
      });
      if (!outcome.ok) return c.html(<Refusal outcome={outcome} />, refusalStatus(outcome.reason));
      await replaceBrowserSession(c, outcome.token, { companyId: outcome.companyId, userId: outcome.userId });
      return c.redirect(outcome.redirectTo, 303);
    },
  )
  .get(
    '/:connectionId/login',
    describe({
      operationId: 'startSpInitiatedLogin',
      summary: "SP-initiated sign-in for existing users: sends the browser to the IdP with an AuthnRequest, in the IdP's binding",
      description:
        "The IdP's binding is the connection's ssoBinding: 'redirect' answers a 302 to the SSO URL (HTTP-Redirect binding, the " +
        "deflated AuthnRequest in the query); 'post' answers an HTML page whose form posts SAMLRequest (base64, not deflated) and " +
        'RelayState to the SSO URL, submitted by an inline script under a CSP nonce, or by its Continue button without JavaScript. ' +
        'The AuthnRequest is bound to this browser by the `__Host-bridge_authn` cookie (only its SHA-256 is stored): the response ' +
        'answering it is accepted only with that cookie. Each company may start SAML_LOGIN_RATE_LIMIT_PER_MINUTE sign-ins a minute ' +
        '(default 300), counted across instances.',
      tag,
      responses: {
        200: {
          description: "ssoBinding 'post': HTML page with the auto-submitting HTTP-POST form to the IdP",
          mediaType: 'text/html',
          headers: {
            'Content-Security-Policy': { description: 'Allows the inline script and stylesheet under a per-response nonce only' },
            'Set-Cookie': { description: 'The binding cookie, as for 302' },
          },
        },
        302: {
          description: "ssoBinding 'redirect': redirect to the IdP",
          headers: {
            Location: { description: "The IdP's SSO URL with SAMLRequest and RelayState" },
            'Set-Cookie': { description: 'The binding cookie (__Host-bridge_authn; HttpOnly, Secure, SameSite=None, 10 minutes)' },
          },
        },
        404: { description: 'HTML page: SAML is not set up', mediaType: 'text/html' },
        429: {
          description: "HTML page: the company's sign-in starts for this minute are used up; nothing was stored",
          mediaType: 'text/html',
          headers: { 'Retry-After': { description: 'Seconds until the window ends' } },
        },
      },
    }),
    async (c) => {
      const deps = c.get('deps');
      const relayPath = safeRelayPath(c.req.query('RelayState') ?? c.req.query('relayState') ?? null, deps.publicUrl);
      const binding = browserBindingFor(c);
      const started = await startSpInitiatedLogin(deps, c.req.param('connectionId'), relayPath, binding);
      c.header('Cache-Control', 'no-store');
      if (!started.ok && started.reason === 'rate_limited') {
        c.header('Retry-After', String(started.retryAfterSeconds));
        return c.html(<TooManySignInsPage retryAfterSeconds={started.retryAfterSeconds} />, 429);
      }
      if (!started.ok) {
        return c.html(<RefusalPage reason={started.reason} companyName={started.companyName} connectionName={started.connectionName} email={null} />, started.reason === 'connection_disabled' ? 403 : 404);
      }
      return sendToIdpForSignIn(c, started, binding);
    },
  );

/** Takes the browser to the IdP with a stored AuthnRequest (its binding cookie set): a redirect, or the auto-posting form. */
export function sendToIdpForSignIn(c: Context<AppEnv>, started: Extract<SpLoginStart, { ok: true }>, binding: string): Response | Promise<Response> {
  setBrowserBindingCookie(c, binding);
  if (started.binding === 'redirect') return c.redirect(started.location, 302);
  const nonce = newNonce();
  c.header('Content-Security-Policy', postPagePolicy(nonce));
  return c.html(<IdpPostPage {...started.form} nonce={nonce} />, 200);
}
