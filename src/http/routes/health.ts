/** Liveness and readiness: 200 only when the database answers. */
import { Hono } from 'hono';
import { databaseAnswers } from '../../services/health.js';
import type { AppEnv } from '../env.js';
import { DATABASE_RETRY_AFTER_SECONDS, errorResponse } from '../errors.js';
import { NUL_IN_URL, describe } from '../openapi-helpers.js';
import * as s from '../schemas.js';

export function healthRoutes(databaseKind: 'pglite' | 'postgres') {
  return new Hono<AppEnv>().get(
    '/healthz',
    describe({
      operationId: 'getHealth',
      summary: 'Health: the app and its database answer',
      tag: 'Health',
      responses: { 200: { description: 'Healthy', schema: s.Health }, 400: NUL_IN_URL, 503: { description: 'Database unavailable', schema: s.ErrorBody } },
    }),
    async (c) => {
      if (!(await databaseAnswers(c.get('deps')))) {
        c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
        return errorResponse(c, 503, { code: 'database_unavailable', message: 'The database does not answer.' });
      }
      return c.json({ status: 'ok' as const, database: databaseKind });
    },
  );
}
