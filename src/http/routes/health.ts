/** Liveness and readiness: 200 only when the database answers. */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { DATABASE_RETRY_AFTER_SECONDS, errorResponse } from '../errors.js';
import { NUL_IN_URL, describe } from '../openapi-helpers.js';
import * as s from '../schemas.js';

/** A probe must hear back quickly: a database that has not answered `select 1` by then counts as down. */
export const HEALTH_DEADLINE_MS = 2000;

/** `select 1` within the deadline; a frozen server (no answer, no error) fails it like a stopped one. */
async function databaseAnswers(db: AppEnv['Variables']['deps']['db']): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), HEALTH_DEADLINE_MS)));
  const probe = db.execute(sql`select 1`).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

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
      if (!(await databaseAnswers(c.get('deps').db))) {
        c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
        return errorResponse(c, 503, { code: 'database_unavailable', message: 'The database does not answer.' });
      }
      return c.json({ status: 'ok' as const, database: databaseKind });
    },
  );
}
