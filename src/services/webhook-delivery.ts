/**
 * Webhook delivery (Standard Webhooks): POSTs each queued event to its endpoint, signed, at least
 * once, in cursor order per (endpoint, company), retrying with back-off (5 s, 30 s, 2 min, 10 min,
 * 30 min, 1 h, 2 h, 4 h, then every 8 h) until it answers 2xx; after 24 hours of failures the event is
 * given up on, the endpoint is disabled and marked failing, and that is audited.
 *
 * Each queue is worked as a *stream*: a sender claims its head, POSTs it, and on success claims the
 * next one of the same queue, so a slow endpoint holds its own stream only. It runs after write
 * requests (Workers: ctx.waitUntil), continuously on Node (src/node/webhook-dispatcher.ts), and in the
 * scheduled maintenance (the Workers Cron Trigger drains what is left), on any number of instances.
 */
import { Webhook } from 'standardwebhooks';
import { recordAudit } from '../store/audit.js';
import type { Actor } from '../store/audit.js';
import type { StoredEvent } from '../store/events.js';
import { anyEndpoint, claimDueDeliveries, fanOutEvents, loadDeliveryContext, purgeDelivered, settleDelivery, updateEndpoint } from '../store/webhooks.js';
import type { AttemptRecord, WebhookDelivery, WebhookEndpoint } from '../store/webhooks.js';
import { failureReason } from './backchannel.js';
import type { ServiceDeps } from './deps.js';
import { presentEvent, sequenceAll } from './events.js';
import { refusedAddress, signingSecrets, webhookUrlPolicy } from './webhooks.js';

/** How long a sender owns a row it claimed: one POST (10 s at most) and its settling, with room to spare. */
export const CLAIM_MS = 20_000;
export const POST_TIMEOUT_MS = 10_000;
/** The answer's body is read up to this many bytes (kept in the delivery log), never further. */
export const RESPONSE_KEEP_BYTES = 1024;
export const RETRY_SCHEDULE_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000] as const;
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Delivered rows stay in the delivery log this long. */
export const KEEP_DELIVERED_MS = 7 * 24 * 3_600_000;
const USER_AGENT = 'saml-scim-bridge-webhooks/1';

const ACTOR: Actor = { type: 'system', id: 'webhooks' };

export type Outcome = 'delivered' | 'failed' | 'gaveUp' | 'lost';
export interface DispatchReport {
  delivered: number;
  failed: number;
  gaveUp: number;
}

/** The wait after the failure of attempt number `attempts` (0-based: 0 is the first failure). */
export function retryDelayMs(attempts: number): number {
  return RETRY_SCHEDULE_MS[Math.min(Math.max(attempts, 0), RETRY_SCHEDULE_MS.length - 1)]!;
}

/** The body every attempt of one event carries: the feed's event, plus the spec's `timestamp`. */
export function webhookPayload(event: StoredEvent): string {
  const presented = presentEvent(event);
  return JSON.stringify({ ...presented, timestamp: presented.occurredAt });
}

/** Standard Webhooks headers: the event id (the same on every retry), the send time, one signature per live secret. */
export function signedHeaders(secrets: readonly string[], eventId: string, at: Date, body: string): Record<string, string> {
  const signature = secrets.map((secret) => new Webhook(secret).sign(eventId, at, body)).join(' ');
  return { 'webhook-id': eventId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
}

/** Reads at most RESPONSE_KEEP_BYTES of the answer, then lets the connection go. */
async function responseStart(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < RESPONSE_KEEP_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } catch {
    // The body broke off: what arrived is enough for the log.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(total, RESPONSE_KEEP_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
  return text === '' ? null : text;
}

/** One POST; what to record about it. */
async function attempt(deps: ServiceDeps, endpoint: WebhookEndpoint, event: StoredEvent, now: Date): Promise<AttemptRecord & { ok: boolean }> {
  const started = performance.now();
  const record = (status: number | null, error: string | null, response: string | null, ok = false) => ({
    at: now,
    status,
    latencyMs: Math.round(performance.now() - started),
    error,
    response,
    ok,
  });
  // Checked again now, not only when the URL was set: a host name may have been re-pointed inside.
  const refused = await refusedAddress(endpoint.url, webhookUrlPolicy(deps));
  if (refused) return record(null, `refused: url ${refused}`, null);
  const body = webhookPayload(event);
  let secrets: string[];
  try {
    secrets = signingSecrets(deps, endpoint, now);
  } catch {
    // Not the receiver's fault, and nothing was sent: say what the operator must fix.
    return record(null, 'configuration: the signing secret cannot be opened (SESSION_SECRET changed without SESSION_SECRET_PREVIOUS?)', null);
  }
  let res: Response;
  try {
    res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': USER_AGENT, ...signedHeaders(secrets, event.id, now, body) },
      body,
      // A redirect is not an answer (and following it could lead inside): 3xx counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.webhookTimeoutMs ?? POST_TIMEOUT_MS),
    });
  } catch (error) {
    return record(null, failureReason(error), null);
  }
  const response = await responseStart(res);
  const ok = res.status >= 200 && res.status < 300;
  return record(res.status, ok ? null : `http_${res.status}`, response, ok);
}

/** Sends one claimed row and settles it. */
async function deliverOne(deps: ServiceDeps, row: WebhookDelivery, endpoint: WebhookEndpoint, event: StoredEvent, now: Date): Promise<Outcome> {
  const result = await attempt(deps, endpoint, event, now);
  const { ok, ...record } = result;
  if (ok) return (await settleDelivery(deps.db, row, record, { status: 'delivered' })) ? 'delivered' : 'lost';
  const firstFailedAt = row.firstFailedAt ?? now;
  if (now.getTime() - firstFailedAt.getTime() < GIVE_UP_AFTER_MS) {
    // The last retry falls at the 24-hour mark exactly, and its failure is the one that gives up.
    const nextAttemptAt = new Date(Math.min(now.getTime() + retryDelayMs(row.attempts), firstFailedAt.getTime() + GIVE_UP_AFTER_MS));
    return (await settleDelivery(deps.db, row, record, { status: 'pending', nextAttemptAt, firstFailedAt })) ? 'failed' : 'lost';
  }
  return deps.db.transaction(async (tx) => {
    if (!(await settleDelivery(tx, row, record, { status: 'failed', firstFailedAt }))) return 'lost';
    // Paused, not dropped: its other events stay queued and go out once it is enabled again.
    await updateEndpoint(tx, endpoint.id, { enabled: false, failingSince: firstFailedAt, updatedAt: now });
    await recordAudit(tx, {
      companyId: endpoint.companyId,
      actor: ACTOR,
      action: 'webhook.failing',
      targetType: 'webhook',
      targetId: endpoint.id,
      reason: record.error ?? 'failed',
      data: { url: endpoint.url, eventId: event.id, cursor: row.cursor, attempts: row.attempts + 1, since: firstFailedAt.toISOString() },
    });
    return 'gaveUp';
  });
}

export interface StreamOptions {
  /** No new head is claimed after this (ms since the epoch, on the real clock). */
  deadline: number;
  /** Events one stream sends at most in this run. */
  max: number;
}

/**
 * Works one queue from a claimed head: after each delivered event, the next head of the same
 * (endpoint, company) is claimed, until the queue is empty, an attempt fails, or the run's budget ends.
 */
async function runStream(deps: ServiceDeps, first: WebhookDelivery, options: StreamOptions, report: DispatchReport): Promise<void> {
  let row: WebhookDelivery | undefined = first;
  for (let sent = 0; row && sent < options.max; sent++) {
    const { endpoints, events } = await loadDeliveryContext(deps.db, [row]);
    const endpoint = endpoints.get(row.endpointId);
    const event = events.get(row.eventId);
    // Deleted meanwhile (the endpoint, or the event past retention): its row went with it.
    if (!endpoint || !event || !endpoint.enabled) return;
    const now = deps.now();
    const outcome = await deliverOne(deps, row, endpoint, event, now);
    if (outcome !== 'lost') report[outcome] += 1;
    if (outcome !== 'delivered' || Date.now() >= options.deadline) return;
    const stream = { endpointId: row.endpointId, companyId: row.companyId };
    const at = deps.now();
    [row] = await claimDueDeliveries(deps.db, at, new Date(at.getTime() + CLAIM_MS), 1, stream);
  }
}

/** Numbers what has committed and queues it for the endpoints that want it. */
export async function prepareWebhookDeliveries(deps: ServiceDeps): Promise<number> {
  await sequenceAll(deps);
  return fanOutEvents(deps.db, deps.now());
}

/** Claims up to `limit` due heads (one per queue). */
export async function claimHeads(deps: ServiceDeps, limit: number): Promise<WebhookDelivery[]> {
  const now = deps.now();
  return claimDueDeliveries(deps.db, now, new Date(now.getTime() + CLAIM_MS), limit);
}

/** Works one claimed head's stream; what it did. */
export async function workStream(deps: ServiceDeps, head: WebhookDelivery, options: StreamOptions): Promise<DispatchReport> {
  const report: DispatchReport = { delivered: 0, failed: 0, gaveUp: 0 };
  await runStream(deps, head, options, report);
  return report;
}

const add = (into: DispatchReport, from: DispatchReport) => {
  into.delivered += from.delivered;
  into.failed += from.failed;
  into.gaveUp += from.gaveUp;
};

/**
 * One dispatch run: prepares, then works up to `streams` queues in parallel until they are empty or
 * the budget ends, claiming more heads as long as some are due. Safe to run concurrently anywhere.
 */
export async function dispatchWebhooks(deps: ServiceDeps, { streams = 16, budgetMs = 20_000, maxPerStream = 1000 } = {}): Promise<DispatchReport> {
  const total: DispatchReport = { delivered: 0, failed: 0, gaveUp: 0 };
  await prepareWebhookDeliveries(deps);
  const deadline = Date.now() + budgetMs;
  let firstError: unknown = null;
  while (Date.now() < deadline) {
    const heads = await claimHeads(deps, streams);
    if (heads.length === 0) break;
    const runs = await Promise.allSettled(heads.map((head) => workStream(deps, head, { deadline, max: maxPerStream })));
    for (const run of runs) {
      if (run.status === 'fulfilled') add(total, run.value);
      else firstError ??= run.reason;
    }
    // Nothing delivered this round (every head failed): the rest waits for its back-off.
    if (runs.every((r) => r.status === 'fulfilled' && r.value.delivered === 0)) break;
  }
  if (firstError) throw firstError;
  return total;
}

/** After a write request: nothing unless some endpoint exists (one probe), else one short run. */
export async function dispatchWebhooksIfAny(deps: ServiceDeps): Promise<DispatchReport | null> {
  if (!(await anyEndpoint(deps.db))) return null;
  return dispatchWebhooks(deps, { budgetMs: 15_000 });
}

/** The scheduled run (the Workers Cron Trigger; on Node as well): a longer run, then the log's sweep. */
export async function runWebhookMaintenance(deps: ServiceDeps, now: Date): Promise<DispatchReport & { swept: number }> {
  const report = (await anyEndpoint(deps.db)) ? await dispatchWebhooks(deps, { budgetMs: 25_000 }) : { delivered: 0, failed: 0, gaveUp: 0 };
  const swept = await purgeDelivered(deps.db, new Date(now.getTime() - KEEP_DELIVERED_MS), 5000);
  return { ...report, swept };
}
