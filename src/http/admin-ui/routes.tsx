/**
 * GET /admin: the web admin page for a signed-in company admin (session cookie, permission set holding
 * `admin`). Others get a page saying how to sign in (401) or that admins only may enter (403). The page
 * carries a strict Content-Security-Policy: its one inline script and stylesheet run under a per-request
 * nonce, and it may talk to its own origin only.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { resolveSession } from '../../services/sessions.js';
import { companySpUrls } from '../../services/sp-keys.js';
import { scimBaseUrl } from '../../services/scim-tokens.js';
import type { AppEnv } from '../env.js';
import { ADMIN_PERMISSION } from '../middleware/auth.js';
import { newNonce } from '../nonce.js';
import { describe } from '../openapi-helpers.js';
import { readSessionToken } from '../session-cookie.js';
import { AdminForbiddenPage, AdminPage, AdminSignInPage } from './pages.js';

function protect(c: Context<AppEnv>, nonce: string): void {
  c.header(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self'",
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  c.header('Cache-Control', 'no-store');
  c.header('X-Frame-Options', 'DENY');
}

export const adminUiRoutes = new Hono<AppEnv>().get(
  '/admin',
  describe({
    summary: 'Web admin page (HTML) for a signed-in company admin; 401 page when not signed in, 403 page for non-admins',
    operationId: 'showAdminPage',
    tag: 'Session',
    security: 'session',
    responses: {
      200: { description: 'HTML admin page', mediaType: 'text/html' },
      401: { description: 'HTML page: sign in through your identity provider', mediaType: 'text/html' },
      403: { description: 'HTML page: admins only', mediaType: 'text/html' },
    },
  }),
  async (c) => {
    const nonce = newNonce();
    protect(c, nonce);
    const token = await readSessionToken(c);
    const me = token ? await resolveSession(c.get('deps'), token) : null;
    if (!me) return c.html(<AdminSignInPage nonce={nonce} development={!c.get('config').production} />, 401);
    if (!me.permissionSet?.permissions.includes(ADMIN_PERMISSION)) {
      return c.html(
        <AdminForbiddenPage nonce={nonce} email={me.user.email} companyName={me.company.name} permissionSet={me.permissionSet?.name ?? null} />,
        403,
      );
    }
    const { publicUrl } = c.get('deps');
    return c.html(
      <AdminPage
        nonce={nonce}
        companyId={me.company.id}
        companyName={me.company.name}
        email={me.user.email}
        permissionSet={me.permissionSet.name}
        sp={companySpUrls(publicUrl, me.company.id)}
        scimBaseUrl={scimBaseUrl(publicUrl, me.company.id)}
      />,
    );
  },
);
