/** The IdP- and browser-facing SAML routes: SP metadata, the ACS, and the SP-initiated start. */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { safeRelayPath } from '../../core/relay-state.js';
import { SAML_RESPONSE_MAX_BASE64_LENGTH } from '../../saml/index.js';
import { consumeSamlResponse } from '../../services/login.js';
import { spMetadataFor, startSpInitiatedLogin } from '../../services/sp-initiated.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { describe } from '../openapi-helpers.js';
import { RefusalPage } from '../pages.js';
import { setSessionCookie } from '../session-cookie.js';

const tag = 'SAML';
/** The base64 limit of the verifier plus room for URL-encoding and RelayState. */
const ACS_BODY_LIMIT_BYTES = SAML_RESPONSE_MAX_BASE64_LENGTH * 2;

function refusalStatus(reason: string): 400 | 403 | 404 | 413 {
  if (reason === 'unknown_company') return 404;
  if (reason === 'too_large') return 413;
  if (reason === 'malformed' || reason === 'dtd_forbidden') return 400;
  return 403;
}

export const samlRoutes = new Hono<AppEnv>()
  .get(
    '/:companyId/metadata',
    describe({ summary: "The company's SP metadata (entity ID, ACS URL, NameID format, WantAssertionsSigned)", tag, responses: { 200: { description: 'SAML metadata XML' } }, errors: [404] }),
    async (c) => {
      const xml = await spMetadataFor(c.get('deps'), c.req.param('companyId'));
      if (xml === null) return errorResponse(c, 404, { code: 'not_found', message: 'No such company.' });
      c.header('Content-Type', 'application/samlmetadata+xml; charset=utf-8');
      return c.body(xml);
    },
  )
  .post(
    '/:companyId/acs',
    describe({
      summary: 'Assertion Consumer Service (HTTP-POST binding: SAMLResponse, optional RelayState)',
      tag,
      responses: {
        303: { description: 'Signed in: session cookie set, redirect to RelayState (own origin only) or /' },
        400: { description: 'HTML page: the response could not be read' },
        403: { description: 'HTML page naming the reason for the refusal' },
      },
    }),
    bodyLimit({
      maxSize: ACS_BODY_LIMIT_BYTES,
      onError: (c) => c.html(<RefusalPage reason="too_large" companyName={null} email={null} />, 413),
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
        return c.html(<RefusalPage reason="malformed" companyName={null} email={null} />, 400);
      }
      const outcome = await consumeSamlResponse(c.get('deps'), c.req.param('companyId'), {
        samlResponse,
        relayState: typeof relayState === 'string' ? relayState : null,
      });
      if (!outcome.ok) {
        return c.html(<RefusalPage reason={outcome.reason} companyName={outcome.companyName} email={outcome.email} />, refusalStatus(outcome.reason));
      }
      await setSessionCookie(c, outcome.token);
      return c.redirect(outcome.redirectTo, 303);
    },
  )
  .get(
    '/:companyId/login',
    describe({
      summary: 'SP-initiated sign-in for existing users: redirects to the IdP with an AuthnRequest (HTTP-Redirect binding)',
      tag,
      responses: { 302: { description: 'Redirect to the IdP' }, 404: { description: 'HTML page: SAML is not set up' } },
    }),
    async (c) => {
      const deps = c.get('deps');
      const relayPath = safeRelayPath(c.req.query('RelayState') ?? c.req.query('relayState') ?? null, deps.publicUrl);
      const started = await startSpInitiatedLogin(deps, c.req.param('companyId'), relayPath);
      if (!started.ok) return c.html(<RefusalPage reason={started.reason} companyName={started.companyName} email={null} />, 404);
      c.header('Cache-Control', 'no-store');
      return c.redirect(started.location, 302);
    },
  );
