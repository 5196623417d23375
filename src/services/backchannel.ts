/**
 * OpenID Connect Back-Channel Logout 1.0: POSTs a signed logout_token to every application owed one
 * (the outbox rows a revocation queued), retrying with back-off until it answers 2xx. Runs after write
 * requests (Workers: ctx.waitUntil), every 2 s on Node, and in the scheduled maintenance (the Workers
 * Cron Trigger drains what is left), on any number of instances: each row is claimed before its POST.
 */
import { recordAudit } from '../store/audit.js';
import type { Actor } from '../store/audit.js';
import type { BackchannelDelivery } from '../store/backchannel.js';
import {
  GAVE_UP,
  claimDueBackchannelLogouts,
  currentLogoutUris,
  dropBackchannelDelivery,
  hasDueBackchannelLogouts,
  markBackchannelDelivered,
  markBackchannelFailed,
  purgeSettledBackchannelLogouts,
} from '../store/backchannel.js';
import type { ServiceDeps } from './deps.js';
import { signJwt } from './oidc-keys.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A sender owns the rows it claimed this long: far more than one run takes (POSTs run in parallel, 5 s each at most). */
export const CLAIM_MS = 30_000;
export const POST_TIMEOUT_MS = 5_000;
export const LOGOUT_TOKEN_LIFETIME_SECONDS = 120;
/** Back-off: 2 s after the first failure, doubling, at most 5 minutes. */
export const FIRST_RETRY_MS = 2_000;
export const MAX_RETRY_MS = 5 * 60_000;
/** An application that has not answered 2xx for this long (since the session ended) is given up on. */
export const GIVE_UP_AFTER_MS = 72 * 60 * 60_000;
/** Delivered (and given-up) rows are kept this long, then swept. */
export const KEEP_SETTLED_MS = 7 * 24 * 60 * 60_000;
/** Rows one scheduled run sends at most (batches of DEFAULT_BATCH). */
export const MAX_PER_SCHEDULED_RUN = 200;
const DEFAULT_BATCH = 20;
const SWEEP_MAX_ROWS = 500;

const ACTOR: Actor = { type: 'system', id: 'backchannel_logout' };

export interface DeliveryReport {
  delivered: number;
  failed: number;
  gaveUp: number;
  /** Rows dropped because their application no longer has a back-channel logout URI. */
  dropped: number;
}

/** How long to wait after the `attempts`-th failure. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(attempts - 1, 20)), MAX_RETRY_MS);
}

/** The logout token (§2.4): sid and sub, the event, a short life, a unique jti; never a nonce. */
export async function logoutToken(deps: ServiceDeps, row: Pick<BackchannelDelivery, 'applicationId' | 'sessionId' | 'userId'>, now: Date): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return signJwt(
    deps,
    {
      iss: deps.publicUrl,
      aud: row.applicationId,
      iat,
      exp: iat + LOGOUT_TOKEN_LIFETIME_SECONDS,
      jti: crypto.randomUUID(),
      sid: row.sessionId,
      sub: row.userId,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    },
    'logout+jwt',
  );
}

/** POSTs the token; null on a 2xx, else a short reason for last_error (never the response body or a secret). */
async function post(uri: string, token: string): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(uri, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
      // A redirect is not an answer: §2.8 wants 200 from the URI registered.
      redirect: 'manual',
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
  } catch (error) {
    return failureReason(error);
  }
  // Only the status matters; the body is not read, so the connection is not held for it.
  await res.body?.cancel().catch(() => {});
  return res.status >= 200 && res.status < 300 ? null : `http_${res.status}`;
}

/** Why a POST got no answer, as a short reason for a delivery record (back-channel logouts, webhooks). */
export function failureReason(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  // Node's fetch says why in cause.code (ECONNREFUSED, ENOTFOUND...): safe to keep, it names no secret.
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? `unreachable: ${code}` : 'unreachable';
}

type Outcome = keyof DeliveryReport | 'lost';

/** Sends one claimed row and settles it: delivered, retried later, given up on, or dropped. */
async function deliverOne(deps: ServiceDeps, row: BackchannelDelivery, uri: string | null | undefined, now: Date): Promise<Outcome> {
  if (!uri) {
    await dropBackchannelDelivery(deps.db, row);
    return 'dropped';
  }
  const error = await post(uri, await logoutToken(deps, row, now));
  const facts = { applicationId: row.applicationId, sessionId: row.sessionId, attempts: row.attempts + 1 };
  if (error === null) {
    return deps.db.transaction(async (tx) => {
      // A sender that overran its claim may POST a second time; it records nothing twice.
      if (!(await markBackchannelDelivered(tx, row, now))) return 'lost';
      await recordAudit(tx, { companyId: row.companyId, actor: ACTOR, action: 'oidc.backchannel_logout_delivered', targetType: 'user', targetId: row.userId, data: facts });
      return 'delivered';
    });
  }
  const givingUp = now.getTime() - row.createdAt.getTime() >= GIVE_UP_AFTER_MS;
  if (!givingUp) {
    const nextAttemptAt = new Date(now.getTime() + retryDelayMs(row.attempts + 1));
    return (await markBackchannelFailed(deps.db, row, { error, nextAttemptAt })) ? 'failed' : 'lost';
  }
  return deps.db.transaction(async (tx) => {
    if (!(await markBackchannelFailed(tx, row, { error: `gave_up: ${error}`, nextAttemptAt: GAVE_UP }))) return 'lost';
    await recordAudit(tx, {
      companyId: row.companyId,
      actor: ACTOR,
      action: 'oidc.backchannel_logout_failed',
      targetType: 'user',
      targetId: row.userId,
      reason: error,
      data: { ...facts, since: row.createdAt.toISOString() },
    });
    return 'gaveUp';
  });
}

/**
 * Claims up to `limit` due deliveries and sends them in parallel (each POST times out after 5 s, so a
 * run ends well inside its claim). Safe to run concurrently on many instances.
 */
export async function deliverDueBackchannelLogouts(deps: ServiceDeps, now: Date, { limit = DEFAULT_BATCH }: { limit?: number } = {}): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, failed: 0, gaveUp: 0, dropped: 0 };
  const claimed = await claimDueBackchannelLogouts(deps.db, now, new Date(now.getTime() + CLAIM_MS), limit);
  if (claimed.length === 0) return report;
  // Where to POST is read now, not when the row was queued: the operator may have changed or removed it.
  const uris = await currentLogoutUris(deps.db, claimed.map((r) => r.applicationId));
  const outcomes = await Promise.allSettled(claimed.map((row) => deliverOne(deps, row, uris.get(row.applicationId), now)));
  for (const outcome of outcomes) {
    // A row whose settling threw keeps its claim; it is due again when the claim lapses.
    if (outcome.status === 'fulfilled' && outcome.value !== 'lost') report[outcome.value] += 1;
  }
  // Every other row is settled by now; the first error (a signing key unreadable, the database gone) is
  // thrown so the caller's log shows it.
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
  return report;
}

/** After a write request: one indexed probe, and a run only when something is due. */
export async function deliverBackchannelLogoutsIfDue(deps: ServiceDeps): Promise<DeliveryReport | null> {
  const now = deps.now();
  if (!(await hasDueBackchannelLogouts(deps.db, now))) return null;
  return deliverDueBackchannelLogouts(deps, now);
}

/** The scheduled run: drains due rows (up to MAX_PER_SCHEDULED_RUN), then sweeps settled rows older than KEEP_SETTLED_MS. */
export async function runBackchannelMaintenance(deps: ServiceDeps, now: Date): Promise<DeliveryReport & { swept: number }> {
  const total: DeliveryReport = { delivered: 0, failed: 0, gaveUp: 0, dropped: 0 };
  for (let sent = 0; sent < MAX_PER_SCHEDULED_RUN; sent += DEFAULT_BATCH) {
    const batch = await deliverDueBackchannelLogouts(deps, now, { limit: DEFAULT_BATCH });
    for (const key of Object.keys(total) as (keyof DeliveryReport)[]) total[key] += batch[key];
    if (batch.delivered + batch.failed + batch.gaveUp + batch.dropped < DEFAULT_BATCH) break;
  }
  const cutoff = now.getTime() - KEEP_SETTLED_MS;
  const swept = await purgeSettledBackchannelLogouts(deps.db, new Date(cutoff), new Date(cutoff - GIVE_UP_AFTER_MS), SWEEP_MAX_ROWS);
  return { ...total, swept };
}
