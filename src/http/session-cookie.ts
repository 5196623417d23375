/**
 * The session cookie: HttpOnly, Secure, SameSite=Lax, signed with SESSION_SECRET (hono's signed
 * cookies). Over https it carries the `__Host-` prefix, which pins it to our exact origin.
 */
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
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

/** The session token from a validly signed cookie, or null. */
export async function readSessionToken(c: Context<AppEnv>): Promise<string | null> {
  const value = await getSignedCookie(c, c.get('config').sessionSecret, NAME, prefixFor(c).prefix);
  return typeof value === 'string' && value !== '' ? value : null;
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, NAME, { path: '/', secure: true, ...prefixFor(c) });
}
