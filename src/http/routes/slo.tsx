/** SAML Single Logout at /saml/:connectionId/slo: the IdP's LogoutRequest, or its LogoutResponse to ours (both bindings). */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LOGOUT_POST_MAX_BASE64_LENGTH } from '../../saml/index.js';
import type { IncomingLogout, OutgoingLogout } from '../../saml/index.js';
import { handleSloMessage } from '../../services/slo.js';
import type { AppEnv } from '../env.js';
import { describe } from '../openapi-helpers.js';
import { newNonce, postPagePolicy } from '../nonce.js';
import { LogoutRefusedPage, SamlLogoutPostPage } from '../pages.js';
import { clearSessionCookie } from '../session-cookie.js';

const tag = 'SAML';
const SLO_BODY_LIMIT_BYTES = LOGOUT_POST_MAX_BASE64_LENGTH * 2;

/** The query exactly as the browser sent it: §3.4.4.1 signatures cover the raw, still-encoded octets. */
function rawQueryOf(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return '';
  const hash = url.indexOf('#', at);
  return url.slice(at + 1, hash < 0 ? undefined : hash);
}

/** Sends the browser to the IdP with a signed logout message: a 302 (Redirect) or an auto-posting page (POST). */
export function sendToIdp(c: Context<AppEnv>, message: OutgoingLogout, redirectStatus: 302 | 303) {
  c.header('Cache-Control', 'no-store');
  if (message.binding === 'redirect') return c.redirect(message.location, redirectStatus);
  const nonce = newNonce();
  c.header('Content-Security-Policy', postPagePolicy(nonce));
  return c.html(<SamlLogoutPostPage {...message.form} nonce={nonce} />, 200);
}

async function answer(c: Context<AppEnv>, incoming: IncomingLogout) {
  const outcome = await handleSloMessage(c.get('deps'), c.req.param('connectionId') ?? '', incoming);
  c.header('Cache-Control', 'no-store');
  if (outcome.kind === 'refused') {
    return c.html(<LogoutRefusedPage reason={outcome.reason} companyName={outcome.companyName} connectionName={outcome.connectionName} />, outcome.status);
  }
  if (outcome.kind === 'signed_out') {
    // Our own logout came back: the cookie went at /logout already; clear it again, in case.
    clearSessionCookie(c);
    return c.redirect('/', 303);
  }
  // The IdP's request ended sessions server-side; this browser's cookie may be another session's, so it stays.
  return sendToIdp(c, outcome.message, 302);
}

const responses = {
  200: { description: "HTTP-POST binding: an auto-submitting form posting the signed LogoutResponse to the IdP's SLO URL", mediaType: 'text/html' },
  302: { description: "HTTP-Redirect binding: to the IdP's SLO URL with the signed LogoutResponse", headers: { Location: { description: 'The IdP SLO URL' } } },
  303: { description: 'Our LogoutRequest was answered: back to /, signed out', headers: { Location: { description: '/' } } },
  400: { description: 'HTML page: the message could not be read', mediaType: 'text/html' },
  403: { description: 'HTML page naming the reason (unsigned, wrong signature or issuer, unknown or used request...)', mediaType: 'text/html' },
  404: { description: 'HTML page: no such connection', mediaType: 'text/html' },
  409: { description: 'HTML page: the connection cannot answer (no SP signing key, or no IdP SLO URL); the sessions were ended', mediaType: 'text/html' },
  413: { description: 'HTML page: the message is too large', mediaType: 'text/html' },
} as const;

const description =
  "Single Logout (SAML profiles §4.4). An IdP's signed LogoutRequest ends this connection's sessions of its NameID (only the " +
  "named SessionIndexes when it names any) and is answered by a LogoutResponse signed with the connection's SP signing key, in " +
  "the IdP's SLO binding (Success; Requester/UnknownPrincipal when no session matched). A LogoutResponse must answer a LogoutRequest " +
  'this service sent (InResponseTo, once). HTTP-Redirect messages are verified per bindings §3.4.4.1 over the query as received; ' +
  'HTTP-POST messages by their enveloped signature. Unsigned messages are refused.';

export const sloRoutes = new Hono<AppEnv>()
  .get(
    '/:connectionId/slo',
    describe({ operationId: 'samlSingleLogoutRedirect', summary: 'Single Logout, HTTP-Redirect binding (SAMLRequest or SAMLResponse, RelayState, SigAlg, Signature)', description, tag, responses }),
    (c) => answer(c, { binding: 'redirect', rawQuery: rawQueryOf(c.req.url) }),
  )
  .post(
    '/:connectionId/slo',
    describe({ operationId: 'samlSingleLogoutPost', summary: 'Single Logout, HTTP-POST binding (SAMLRequest or SAMLResponse, RelayState)', description, tag, responses }),
    bodyLimit({
      maxSize: SLO_BODY_LIMIT_BYTES,
      onError: (c) => c.html(<LogoutRefusedPage reason="too_large" companyName={null} connectionName={null} />, 413),
    }),
    async (c) => {
      let form: Record<string, unknown> = {};
      try {
        form = await c.req.parseBody();
      } catch {
        form = {};
      }
      const request = typeof form.SAMLRequest === 'string' && form.SAMLRequest !== '' ? form.SAMLRequest : null;
      const response = typeof form.SAMLResponse === 'string' && form.SAMLResponse !== '' ? form.SAMLResponse : null;
      if ((request === null) === (response === null)) {
        c.header('Cache-Control', 'no-store');
        return c.html(<LogoutRefusedPage reason="malformed" companyName={null} connectionName={null} />, 400);
      }
      return answer(c, {
        binding: 'post',
        field: request !== null ? 'SAMLRequest' : 'SAMLResponse',
        value: (request ?? response)!,
        relayState: typeof form.RelayState === 'string' ? form.RelayState : null,
      });
    },
  );
