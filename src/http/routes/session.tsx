/** The signed-in person: `GET /api/me`, logout, and the small landing page sign-ins redirect to. */
import { Hono } from 'hono';
import type { Context } from 'hono';
import * as v from 'valibot';
import { endSession, isAccountsFirstSession, resolveSession } from '../../services/sessions.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { ADMIN_PERMISSION } from '../middleware/auth.js';
import { NUL_IN_URL, describe } from '../openapi-helpers.js';
import { SignedInPage, SignedOutPage } from '../pages.js';
import { presentPermissionSet, presentUser, presentWorkspace } from '../present.js';
import * as s from '../schemas.js';
import { clearSessionCookie, readSessionToken } from '../session-cookie.js';

const tag = 'Session';
const Me = v.object({ user: s.User, company: v.object({ id: v.string(), name: v.string() }), workspace: v.nullable(s.Workspace), permissionSet: v.nullable(s.PermissionSet) });

/** Revokes the caller's session server-side (if any) and clears the cookie. */
async function endCurrentSession(c: Context<AppEnv>): Promise<void> {
  const token = await readSessionToken(c);
  if (token) await endSession(c.get('deps'), token);
  clearSessionCookie(c);
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
      tag,
      security: 'optionalSession',
      responses: { 204: { description: 'Signed out (also when there was no session)' }, 400: NUL_IN_URL },
    }),
    async (c) => {
      await endCurrentSession(c);
      return c.body(null, 204);
    },
  )
  .post(
    '/logout',
    describe({
      operationId: 'logoutFromLandingPage',
      summary: 'Sign-out form target of the landing page',
      tag,
      security: 'optionalSession',
      responses: { 303: { description: 'Back to /', headers: { Location: { description: '/' } } }, 400: NUL_IN_URL },
    }),
    async (c) => {
      await endCurrentSession(c);
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
