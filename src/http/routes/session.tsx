/** The signed-in person: `GET /api/me`, logout, and the small landing page sign-ins redirect to. */
import { Hono } from 'hono';
import type { Context } from 'hono';
import * as v from 'valibot';
import type { OutgoingLogout } from '../../saml/index.js';
import { isAccountsFirstSession, resolveSession } from '../../services/sessions.js';
import { endSessionWithSingleLogout } from '../../services/slo.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { ADMIN_PERMISSION } from '../middleware/auth.js';
import { NUL_IN_URL, describe } from '../openapi-helpers.js';
import { SignedInPage, SignedOutPage } from '../pages.js';
import { presentPermissionSet, presentUser, presentWorkspace } from '../present.js';
import * as s from '../schemas.js';
import { clearSessionCookie, readSessionToken } from '../session-cookie.js';
import { sendToIdp } from './slo.js';

const tag = 'Session';
const Me = v.object({ user: s.User, company: v.object({ id: v.string(), name: v.string() }), workspace: v.nullable(s.Workspace), permissionSet: v.nullable(s.PermissionSet) });

const LogoutForm = v.object({
  action: v.string(),
  fields: v.record(v.string(), v.string()),
});
const LoggedOut = v.object({ logoutUrl: v.optional(v.string()), logoutForm: v.optional(LogoutForm) });

/**
 * Revokes the caller's session server-side (if any) and clears the cookie; returns the signed
 * LogoutRequest to take to the IdP when the session's SAML connection does Single Logout.
 */
async function endCurrentSession(c: Context<AppEnv>): Promise<OutgoingLogout | null> {
  const token = await readSessionToken(c);
  const idpLogout = token ? await endSessionWithSingleLogout(c.get('deps'), token) : null;
  clearSessionCookie(c);
  return idpLogout;
}

export const sessionRoutes = new Hono<AppEnv>()
  .get(
    '/api/me',
    describe({ operationId: 'getCurrentUser', summary: 'The signed-in user, their workspace and permission set', tag, security: 'session', responses: { 200: { description: 'Signed in', schema: Me } }, errors: [401] }),
    async (c) => {
      const token = await readSessionToken(c);
      const me = token ? await resolveSession(c.get('deps'), token) : null;
      c.header('Cache-Control', 'no-store');
      if (!me) return errorResponse(c, 401, { code: 'unauthorized', message: 'Not signed in.' });
      return c.json({
        user: presentUser(me.user, me.membership ? [me.membership] : []),
        company: { id: me.company.id, name: me.company.name },
        workspace: me.workspace ? presentWorkspace(me.workspace) : null,
        permissionSet: me.permissionSet ? presentPermissionSet(me.permissionSet) : null,
      });
    },
  )
  .post(
    '/api/logout',
    describe({
      operationId: 'logout',
      summary: 'End the session (revoked server-side) and clear the cookie',
      description:
        'When a SAML connection that does Single Logout (an IdP SLO URL and an SP signing key) signed the session in, the answer ' +
        "is 200 with where to send the browser so the IdP ends its session too: `logoutUrl` (the IdP's HTTP-Redirect binding: " +
        'navigate to it) or `logoutForm` (HTTP-POST binding: post its fields to its action as a form). Otherwise 204, as always.',
      tag,
      security: 'optionalSession',
      responses: {
        200: { description: 'Signed out here; the browser should now go to the IdP with the signed LogoutRequest', schema: LoggedOut },
        204: { description: 'Signed out (also when there was no session)' },
        400: NUL_IN_URL,
      },
    }),
    async (c) => {
      const idpLogout = await endCurrentSession(c);
      if (!idpLogout) return c.body(null, 204);
      c.header('Cache-Control', 'no-store');
      if (idpLogout.binding === 'redirect') return c.json({ logoutUrl: idpLogout.location }, 200);
      const { action, field, value, relayState } = idpLogout.form;
      return c.json({ logoutForm: { action, fields: { [field]: value, ...(relayState ? { RelayState: relayState } : {}) } } }, 200);
    },
  )
  .post(
    '/logout',
    describe({
      operationId: 'logoutFromLandingPage',
      summary: 'Sign-out form target of the landing page',
      tag,
      security: 'optionalSession',
      description:
        "With Single Logout (see POST /api/logout): 303 to the IdP's SLO URL with the signed LogoutRequest (HTTP-Redirect), or an " +
        'auto-submitting form page posting it (HTTP-POST); the IdP then answers at /saml/{connectionId}/slo, which lands on /.',
      responses: {
        200: { description: "HTML page posting the signed LogoutRequest to the IdP's SLO URL (HTTP-POST binding)", mediaType: 'text/html' },
        303: { description: "Back to /, or to the IdP's SLO URL with the signed LogoutRequest", headers: { Location: { description: '/ or the IdP SLO URL' } } },
        400: NUL_IN_URL,
      },
    }),
    async (c) => {
      const idpLogout = await endCurrentSession(c);
      if (idpLogout) return sendToIdp(c, idpLogout, 303);
      return c.redirect('/', 303);
    },
  )
  .get(
    '/',
    describe({
      operationId: 'showLandingPage',
      summary: 'Landing page after sign-in (a signed-out page without a session)',
      tag,
      security: 'optionalSession',
      responses: { 200: { description: 'HTML page', mediaType: 'text/html' }, 400: NUL_IN_URL },
    }),
    async (c) => {
      const token = await readSessionToken(c);
      const me = token ? await resolveSession(c.get('deps'), token) : null;
      c.header('Cache-Control', 'no-store');
      if (!me) return c.html(<SignedOutPage />);
      return c.html(
        <SignedInPage
          email={me.user.email}
          workspace={me.workspace?.name ?? null}
          companyName={me.company.name}
          permissionSet={me.permissionSet?.name ?? null}
          accountJustCreated={isAccountsFirstSession(me)}
          isAdmin={me.permissionSet?.permissions.includes(ADMIN_PERMISSION) ?? false}
        />,
      );
    },
  );
