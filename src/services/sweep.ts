/**
 * The sweep of what has expired (replay-cache entries, AuthnRequests, sessions, rate-limit counters),
 * run as sign-ins go by: one request in `purgeEvery` (default 32) pays for it, and each sweep deletes a
 * bounded number of rows, so no request ever carries an unbounded delete.
 */
import { purgeExpiredOidcState } from '../store/oidc.js';
import { sweepRateLimits } from '../store/rate-limits.js';
import { purgeExpiredSamlState } from '../store/saml.js';
import { DEFAULT_PURGE_EVERY } from './deps.js';
import type { ServiceDeps } from './deps.js';

/** Rows of each kind one sweep deletes at most. */
export const SWEEP_MAX_ROWS = 500;

/** Deletes up to SWEEP_MAX_ROWS expired rows of each kind, for every company. */
export async function sweepExpired(deps: ServiceDeps, now: Date): Promise<void> {
  await purgeExpiredSamlState(deps.db, now, { max: SWEEP_MAX_ROWS });
  await sweepRateLimits(deps.db, now, SWEEP_MAX_ROWS);
  await purgeExpiredOidcState(deps.db, now, SWEEP_MAX_ROWS);
}

/** Runs the sweep on one call in `purgeEvery` (never when it is 0). */
export async function maybeSweepExpired(deps: ServiceDeps, now: Date): Promise<void> {
  const every = deps.purgeEvery ?? DEFAULT_PURGE_EVERY;
  if (every > 0 && Math.floor(Math.random() * every) === 0) await sweepExpired(deps, now);
}
