/** Guards for the operator API (OPERATOR_TOKEN) and the company admin API (a company API key). */
import type { MiddlewareHandler } from 'hono';
import { secretsEqual } from '../../crypto.js';
import { authenticateApiKey } from '../../services/companies.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function unauthorized(c: Parameters<MiddlewareHandler<AppEnv>>[0], message: string) {
  c.header('WWW-Authenticate', 'Bearer');
  return errorResponse(c, 401, { code: 'unauthorized', message });
}

/** Operator routes: `Authorization: Bearer <OPERATOR_TOKEN>`, compared in constant time. */
export const requireOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header('Authorization'));
  if (!token || !secretsEqual(token, c.get('config').operatorToken)) {
    return unauthorized(c, 'This route needs the operator token as a Bearer token.');
  }
  const name = c.req.header('X-Operator-Name')?.trim();
  c.set('actor', { type: 'operator', id: name && name.length <= 100 ? name : 'operator' });
  return next();
};

/**
 * Admin routes under /api/companies/:companyId: a company API key. A key of another company gets the
 * same 404 as a company that does not exist, so ids of other tenants cannot be probed.
 */
export const requireCompanyAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header('Authorization'));
  const auth = token ? await authenticateApiKey(c.get('deps'), token) : null;
  if (!auth) return unauthorized(c, 'This route needs a company API key as a Bearer token.');
  const companyId = c.req.param('companyId');
  if (companyId !== auth.companyId) {
    return errorResponse(c, 404, { code: 'not_found', message: 'No such company.' });
  }
  c.set('actor', { type: 'api_key', id: auth.keyId });
  c.set('authCompanyId', auth.companyId);
  return next();
};
