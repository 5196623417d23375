/**
 * The session cookie: HttpOnly, Secure, SameSite=Lax, signed with SESSION_SECRET (hono's signed
 * cookies; SESSION_SECRET_PREVIOUS is still accepted during a rotation). Over https it carries the `__Host-` prefix, which pins it to our exact origin.
 *
 * Beside it, the session reference cookie (`bridge_session_ref`): the SHA-256 of the session token
 * (what the database stores, never the token), signed the same way, SameSite=None so that it reaches
 * the IdP's cross-site POST to the ACS, where the Lax session cookie does not. It authenticates
 * nothing: it is only read at a successful sign-in, to end the session this browser had before.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { hashSecret } from '../crypto.js';
import { SESSION_LIFETIME_MS, endReplacedSession } from '../services/sessions.js';
import type { AppEnv } from './env.js';

const NAME = 'bridge_session';
const REF_NAME = 'bridge_session_ref';

function prefixFor(c: Context<AppEnv>): { prefix?: 'host' } {
  return c.get('config').publicUrl.startsWith('https:') ? { prefix: 'host' } : {};
}

/** Sets the session cookie and its reference cookie (see above), which live and die together. */
export async function setSessionCookie(c: Context<AppEnv>, token: string): Promise<void> {
  const secret = c.get('config').sessionSecret;
  const options = { httpOnly: true, secure: true, path: '/', maxAge: Math.floor(SESSION_LIFETIME_MS / 1000), ...prefixFor(c) };
  await setSignedCookie(c, NAME, token, secret, { ...options, sameSite: 'Lax' });
  await setSignedCookie(c, REF_NAME, hashSecret(token), secret, { ...options, sameSite: 'None' });
}

async function valueSignedWith(c: Context<AppEnv>, name: string, secret: string): Promise<string | null> {
  const value = await getSignedCookie(c, secret, name, prefixFor(c).prefix);
  return typeof value === 'string' && value !== '' ? value : null;
}

const tokenSignedWith = (c: Context<AppEnv>, secret: string) => valueSignedWith(c, NAME, secret);

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

/** The token hash a validly signed reference cookie names (current or previous secret), or null. */
async function readSessionRef(c: Context<AppEnv>): Promise<string | null> {
  const config = c.get('config');
  for (const secret of [config.sessionSecret, ...(config.previousSessionSecrets ?? [])]) {
    const ref = await valueSignedWith(c, REF_NAME, secret);
    if (ref !== null) return /^[0-9a-f]{64}$/.test(ref) ? ref : null;
  }
  return null;
}

/**
 * A successful sign-in on this browser: the session the browser had before, whoever's it was, is
 * ended (so one browser never holds two people's sessions, nor a stale one of the same person), then
 * the new cookies are set.
 */
export async function replaceBrowserSession(c: Context<AppEnv>, token: string, signedIn: { companyId: string; userId: string }): Promise<void> {
  const previous = await readSessionRef(c);
  if (previous !== null) await endReplacedSession(c.get('deps'), previous, hashSecret(token), signedIn);
  await setSessionCookie(c, token);
}

/** Clears the session cookie and its reference cookie (at sign-out). */
export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, NAME, { path: '/', secure: true, ...prefixFor(c) });
  deleteCookie(c, REF_NAME, { path: '/', secure: true, ...prefixFor(c) });
}
