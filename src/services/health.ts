/** Readiness: does the database answer in time? */
import { pingDatabase } from '../store/db.js';
import type { ServiceDeps } from './deps.js';

/** A probe must hear back quickly: a database that has not answered `select 1` by then counts as down. */
export const HEALTH_DEADLINE_MS = 2000;

/** `select 1` within the deadline; a frozen server (no answer, no error) fails it like a stopped one. */
export async function databaseAnswers(deps: Pick<ServiceDeps, 'db'>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), HEALTH_DEADLINE_MS)));
  const probe = pingDatabase(deps.db).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
