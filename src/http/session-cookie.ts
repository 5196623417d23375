/**
 * The session cookie: HttpOnly, Secure, SameSite=Lax, signed with SESSION_SECRET (hono's signed
 * cookies; SESSION_SECRET_PREVIOUS is still accepted during a rotation). Over https it carries the `__Host-` prefix, which pins it to our exact origin.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { SESSION_LIFETIME_MS } from '../services/sessions.js';
import type { AppEnv } from './env.js';

const NAME = 'bridge_session';

function prefixFor(c: Context<AppEnv>): { prefix?: 'host' } {
  return c.get('config').publicUrl.startsWith('https:') ? { prefix: 'host' } : {};
}

export async function setSessionCookie(c: Context<AppEnv>, token: string): Promise<void> {
  await setSignedCookie(c, NAME, token, c.get('config').sessionSecret, {
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: Math.floor(SESSION_LIFETIME_MS / 1000),
    ...prefixFor(c),
  });
}

async function tokenSignedWith(c: Context<AppEnv>, secret: string): Promise<string | null> {
  const value = await getSignedCookie(c, secret, NAME, prefixFor(c).prefix);
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The session token from a validly signed cookie, or null. During a SESSION_SECRET rotation a cookie
 * signed with a SESSION_SECRET_PREVIOUS is accepted and re-issued signed with the current secret, so
 * nobody is signed out by the rotation and the previous secret can be dropped once sessions renew.
 */
export async function readSessionToken(c: Context<AppEnv>): Promise<string | null> {
  const config = c.get('config');
  const current = await tokenSignedWith(c, config.sessionSecret);
  if (current !== null) return current;
  for (const previous of config.previousSessionSecrets ?? []) {
    const token = await tokenSignedWith(c, previous);
    if (token !== null) {
      await setSessionCookie(c, token);
      return token;
    }
  }
  return null;
}

/**
 * Whether the request carries a session cookie at all, valid or not: what a cross-site forger would
 * borrow (see the csrf middleware), decided without checking the signature or the session.
 */
export function carriesSessionCookie(c: Context<AppEnv>): boolean {
  const cookies = getCookie(c);
  return cookies[NAME] !== undefined || cookies[`__Host-${NAME}`] !== undefined;
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, NAME, { path: '/', secure: true, ...prefixFor(c) });
}
