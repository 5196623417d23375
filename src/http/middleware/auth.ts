/** Guards for the operator API (OPERATOR_TOKEN) and the company admin API (a company API key). */
import type { Context, MiddlewareHandler } from 'hono';
import { secretsEqual } from '../../crypto.js';
import { authenticateApiKey } from '../../services/companies.js';
import { resolveSession } from '../../services/sessions.js';
import type { Actor } from '../../store/audit.js';
import { readSessionToken } from '../session-cookie.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function unauthorized(c: Context<AppEnv>, message: string) {
  c.header('WWW-Authenticate', 'Bearer');
  return errorResponse(c, 401, { code: 'unauthorized', message });
}

/** Operator routes: `Authorization: Bearer <OPERATOR_TOKEN>`, compared in constant time. */
export const requireOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header('Authorization'));
  if (!token || !secretsEqual(token, c.get('config').operatorToken)) {
    return unauthorized(c, 'This route needs the operator token as a Bearer token.');
  }
  // Who in support acted, for the audit log: printable, short, else the generic name.
  const name = c.req.header('X-Operator-Name')?.trim();
  const printable = name !== undefined && /^[\x20-\x7e]{1,100}$/.test(name);
  c.set('actor', { type: 'operator', id: printable ? name : 'operator' });
  return next();
};

/**
 * Admin routes under /api/companies/:companyId: a company API key. A key of another company gets the
 * same 404 as a company that does not exist, so ids of other tenants cannot be probed.
 */
export const requireCompanyAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const auth = await authenticateAdmin(c);
  if (!auth) return unauthorized(c, 'This route needs a company API key as a Bearer token, or an admin signed in.');
  if (c.req.param('companyId') !== auth.companyId) {
    return errorResponse(c, 404, { code: 'not_found', message: 'No such company.' });
  }
  c.set('actor', auth.actor);
  c.set('authCompanyId', auth.companyId);
  return next();
};

/** ADMIN_PERMISSION in the user's permission set makes a signed-in user a company admin. */
export const ADMIN_PERMISSION = 'admin';

async function authenticateAdmin(c: Context<AppEnv>): Promise<{ companyId: string; actor: Actor } | null> {
  const header = c.req.header('Authorization');
  if (header !== undefined) {
    const token = bearer(header);
    const key = token ? await authenticateApiKey(c.get('deps'), token) : null;
    return key ? { companyId: key.companyId, actor: { type: 'api_key', id: key.keyId } } : null;
  }
  // Cookie sessions are safe here from cross-site forgery: the cookie is SameSite=Lax, and every
  // unsafe request carrying it must come from our own origin (middleware/csrf.ts), whatever its body.
  const sessionToken = await readSessionToken(c);
  const me = sessionToken ? await resolveSession(c.get('deps'), sessionToken) : null;
  if (!me || !me.permissionSet?.permissions.includes(ADMIN_PERMISSION)) return null;
  return { companyId: me.user.companyId, actor: { type: 'user', id: me.user.id } };
}
