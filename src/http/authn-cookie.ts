/**
 * The sign-in binding cookie: GET /saml/:id/login gives the browser a random value and the AuthnRequest
 * stores only its SHA-256, so a response answering that request is accepted only from the browser that
 * started it (nobody can make a victim's browser finish a sign-in the attacker started). HttpOnly, Secure and
 * SameSite=None, because it must come back on the IdP's cross-site form post to the ACS; it lives as
 * long as an AuthnRequest. Over https it carries the `__Host-` prefix, like the session cookie.
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { newSecret } from '../crypto.js';
import { AUTHN_REQUEST_LIFETIME_MS } from '../services/sp-initiated.js';
import type { AppEnv } from './env.js';

const NAME = 'bridge_authn';
/** What newSecret() makes: 32 random bytes in base64url. Anything else is not ours and is replaced. */
const WELL_FORMED = /^[A-Za-z0-9_-]{43}$/;

function prefixFor(c: Context<AppEnv>): { prefix?: 'host' } {
  return c.get('config').publicUrl.startsWith('https:') ? { prefix: 'host' } : {};
}

/** The binding value the browser sent, when it is one we could have issued; else null. */
export function presentedBrowserBinding(c: Context<AppEnv>): string | null {
  const value = getCookie(c, NAME, prefixFor(c).prefix);
  return typeof value === 'string' && WELL_FORMED.test(value) ? value : null;
}

/** The binding for a new AuthnRequest: the browser's own (one cookie serves several pending sign-ins, e.g. two tabs), else a new one. */
export function browserBindingFor(c: Context<AppEnv>): string {
  return presentedBrowserBinding(c) ?? newSecret();
}

/** (Re)sets the cookie for a full AuthnRequest lifetime, once the request bound to it is stored. */
export function setBrowserBindingCookie(c: Context<AppEnv>, value: string): void {
  setCookie(c, NAME, value, {
    httpOnly: true,
    secure: true,
    sameSite: 'None',
    path: '/',
    maxAge: Math.floor(AUTHN_REQUEST_LIFETIME_MS / 1000),
    ...prefixFor(c),
  });
}
