/**
 * Cross-site request forgery: a browser sends the admin's session cookie along with any form or
 * fetch another site makes it send, whatever the body (an empty text/plain POST needs no JSON).
 * So a write that the session cookie would authenticate must come from our own origin, as hono's
 * csrf middleware judges it from Origin or Sec-Fetch-Site.
 */
import type { MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { carriesSessionCookie } from '../session-cookie.js';

/**
 * OAuth endpoints an application calls server to server, authenticated by its client secret or an
 * access token, never by the cookie.
 */
const CLIENT_AUTHENTICATED = new Set(['/oauth/token', '/oauth/userinfo']);

/**
 * The IdP's browser form posts are cross-site by design (SAML HTTP-POST binding: the ACS, and Single
 * Logout, which acts on signed messages only, never on the cookie); SCIM is bearer-only; the demo
 * application's back-channel receiver is posted to by the bridge itself, with a signed logout token.
 */
const exempt = (path: string) =>
  path.startsWith('/scim/') || /^\/saml\/[^/]+\/(acs|slo)\/?$/.test(path) || CLIENT_AUTHENTICATED.has(path) || path === '/dev/app/backchannel-logout' || path === '/dev/app/webhooks';

/**
 * Refuses (403 `cross_site_request`) an unsafe request that carries the session cookie and no
 * Authorization header unless it comes from the public origin. A request with Authorization is not
 * cookie-authenticated (the guards then never read the cookie), and another site cannot add that
 * header without a CORS preflight this app never grants. A request without the cookie has nothing
 * a forger could borrow.
 */
export function refuseCrossSiteCookieWrites(publicOrigin: string): MiddlewareHandler<AppEnv> {
  const check = csrf({ origin: publicOrigin });
  return async (c, next) => {
    if (exempt(c.req.path) || c.req.header('Authorization') !== undefined || !carriesSessionCookie(c)) return next();
    // Run hono's check alone: its refusal is an exception with a plain-text body; ours is the API's JSON error.
    let allowed = false;
    try {
      await check(c, async () => {
        allowed = true;
      });
    } catch (error) {
      if (!(error instanceof HTTPException)) throw error;
    }
    if (allowed) return next();
    return errorResponse(c, 403, {
      code: 'cross_site_request',
      message: `A signed-in write must come from this application's own pages (${publicOrigin}); the request's Origin or Sec-Fetch-Site says it did not.`,
    });
  };
}
