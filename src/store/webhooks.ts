/**
 * Webhook endpoints and their delivery queue. Events reach an endpoint in three steps, each safe on
 * any number of instances at once:
 *  1. fan-out: the numbered events past an endpoint's `fanned_cursor` become delivery rows (one
 *     serialised run at a time, under an advisory lock, so a row is never queued twice and none is skipped);
 *  2. claim: a sender takes the *head* of each (endpoint, company) queue — its smallest pending cursor —
 *     with FOR UPDATE SKIP LOCKED and a claim deadline, so one event is never POSTed by two senders at
 *     once and an event never overtakes an earlier one of the same company;
 *  3. settle: only the sender whose claim is still the row's records the outcome.
 */
import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from './db.js';
import { events } from './schema-events.js';
import { webhookDeliveries, webhookEndpoints } from './schema-webhooks.js';

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

const FAN_OUT_LOCK = 7_114_212;
/** Events one fan-out queues per endpoint at most (the next run takes the rest). */
const FAN_OUT_BATCH = 5000;

/** The owner of an endpoint: a company, or null for the operator's global endpoints. */
const ownedBy = (companyId: string | null) => (companyId === null ? isNull(webhookEndpoints.companyId) : eq(webhookEndpoints.companyId, companyId));

export async function insertEndpoint(db: Executor, row: typeof webhookEndpoints.$inferInsert): Promise<WebhookEndpoint> {
  const [created] = await db.insert(webhookEndpoints).values(row).returning();
  return created!;
}

export async function listEndpoints(db: Executor, companyId: string | null): Promise<WebhookEndpoint[]> {
  return db.select().from(webhookEndpoints).where(ownedBy(companyId)).orderBy(webhookEndpoints.createdAt, webhookEndpoints.id);
}

export async function countEndpoints(db: Executor, companyId: string | null): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(webhookEndpoints).where(ownedBy(companyId));
  return row?.n ?? 0;
}

/** One endpoint of this owner, locked when `forUpdate` (a write reads it first). */
export async function findEndpoint(db: Executor, companyId: string | null, id: string, forUpdate = false): Promise<WebhookEndpoint | null> {
  const query = db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), ownedBy(companyId)));
  const [row] = forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

export async function updateEndpoint(db: Executor, id: string, changes: Partial<typeof webhookEndpoints.$inferInsert>): Promise<WebhookEndpoint> {
  const [row] = await db.update(webhookEndpoints).set(changes).where(eq(webhookEndpoints.id, id)).returning();
  return row!;
}

export async function deleteEndpoint(db: Executor, id: string): Promise<void> {
  await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
}

/** The largest cursor given so far (0: none): a new endpoint starts after it. */
export async function topCursor(db: Executor): Promise<number> {
  const [row] = await db.select({ c: sql<string | number | null>`max(${events.cursor})` }).from(events);
  return Number(row?.c ?? 0);
}

/** Whether any endpoint exists: the one probe a write request pays when nobody uses webhooks. */
export async function anyEndpoint(db: Executor): Promise<boolean> {
  const [row] = await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).limit(1);
  return row !== undefined;
}

/**
 * Queues, for every endpoint behind the newest cursor, the events after its `fanned_cursor` that it
 * wants (its company's, or every company's for a global endpoint; its types), up to a batch; how many.
 */
export async function fanOutEvents(db: Executor, now: Date): Promise<number> {
  const [behind] = await db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(lt(webhookEndpoints.fannedCursor, sql`(select coalesce(max(${events.cursor}), 0) from ${events})`))
    .limit(1);
  if (!behind) return 0;
  return db.transaction(async (tx) => {
    // Another run fanning out right now does this run's work too: skip rather than queue on the lock
    // (on Workers every write request's background dispatch would wait there holding a connection).
    const locked = await tx.execute(sql`select pg_try_advisory_xact_lock(${FAN_OUT_LOCK}) as ok`);
    if (rowsOf<{ ok: boolean }>(locked)[0]?.ok !== true) return 0;
    const top = await topCursor(tx);
    const inserted = await tx.execute(sql`
      with queued as (
        insert into ${webhookDeliveries} (endpoint_id, event_id, company_id, cursor, next_attempt_at, created_at)
        select w.id, e.id, e.company_id, e.cursor, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
        from ${webhookEndpoints} w
        join ${events} e on e.cursor > w.fanned_cursor and e.cursor <= least(${top}::bigint, w.fanned_cursor + ${FAN_OUT_BATCH})
        where w.fanned_cursor < ${top}
          and (w.company_id is null or w.company_id = e.company_id)
          and (w.event_types is null or e.type = any(w.event_types))
        on conflict do nothing
        returning 1
      )
      select count(*)::int as n from queued`);
    await tx
      .update(webhookEndpoints)
      .set({ fannedCursor: sql`least(${top}::bigint, ${webhookEndpoints.fannedCursor} + ${FAN_OUT_BATCH})` })
      .where(lt(webhookEndpoints.fannedCursor, top));
    return Number(rowsOf<{ n: number }>(inserted)[0]?.n ?? 0);
  });
}

/** postgres.js returns the rows themselves, PGlite an object holding them. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}

/**
 * Claims up to `limit` due heads (of one queue only, with `stream`) (the smallest pending cursor of each (endpoint, company) queue, of
 * an enabled endpoint) until `claimUntil`. A head another sender holds is skipped, and while it is
 * pending nothing behind it is a head: one company's events reach one endpoint in cursor order.
 */
export async function claimDueDeliveries(
  db: Executor,
  now: Date,
  claimUntil: Date,
  limit: number,
  stream: { endpointId: string; companyId: string } | null = null,
): Promise<WebhookDelivery[]> {
  const inStream = (alias: string) =>
    stream === null ? sql`` : sql`and ${sql.raw(alias)}.endpoint_id = ${stream.endpointId}::text and ${sql.raw(alias)}.company_id = ${stream.companyId}::text`;
  // The heads are computed once (materialized): as a subquery the planner may re-run it for every
  // pending row (a nested loop on stale statistics), a claim then costs the backlog squared. A stream's
  // head is its one smallest pending cursor (limit 1: the index scan stops at it).
  const claimed = await db.execute(sql`
    with heads as materialized (
      select distinct on (p.endpoint_id, p.company_id) p.endpoint_id, p.event_id
      from ${webhookDeliveries} p
      where p.status = 'pending' ${inStream('p')}
      order by p.endpoint_id, p.company_id, p.cursor
      ${stream === null ? sql`` : sql`limit 1`}
    )
    update ${webhookDeliveries} d set claimed_until = ${claimUntil.toISOString()}::timestamptz
    from (
      select h.endpoint_id, h.event_id from ${webhookDeliveries} h
      where (h.endpoint_id, h.event_id) in (select heads.endpoint_id, heads.event_id from heads)
        and h.status = 'pending' ${inStream('h')}
        and h.next_attempt_at <= ${now.toISOString()}::timestamptz
        and (h.claimed_until is null or h.claimed_until < ${now.toISOString()}::timestamptz)
        and exists (select 1 from ${webhookEndpoints} w where w.id = h.endpoint_id and w.enabled)
      order by h.next_attempt_at
      limit ${limit}
      for update of h skip locked
    ) due
    where d.endpoint_id = due.endpoint_id and d.event_id = due.event_id
    returning d.endpoint_id, d.event_id, d.attempts, (extract(epoch from d.first_failed_at) * 1000)::float8 as first_failed_ms, d.company_id, d.cursor`);
  return rowsOf<Record<string, unknown>>(claimed).map((r) => ({
    endpointId: String(r.endpoint_id),
    eventId: String(r.event_id),
    companyId: String(r.company_id),
    cursor: Number(r.cursor),
    attempts: Number(r.attempts),
    // The claim is the value just written (ms precision): read back as text it could differ in form.
    claimedUntil: claimUntil,
    firstFailedAt: r.first_failed_ms === null || r.first_failed_ms === undefined ? null : new Date(Math.round(Number(r.first_failed_ms))),
  })) as WebhookDelivery[];
}

/** The row while this sender's claim is still its claim: a sender that overran it settles nothing. */
const stillClaimed = (row: Pick<WebhookDelivery, 'endpointId' | 'eventId' | 'claimedUntil'>) =>
  and(
    eq(webhookDeliveries.endpointId, row.endpointId),
    eq(webhookDeliveries.eventId, row.eventId),
    eq(webhookDeliveries.status, 'pending'),
    row.claimedUntil ? eq(webhookDeliveries.claimedUntil, row.claimedUntil) : isNull(webhookDeliveries.claimedUntil),
  );

export interface AttemptRecord {
  at: Date;
  status: number | null;
  latencyMs: number;
  error: string | null;
  response: string | null;
}

/** Settles a claimed row: delivered, retried at `nextAttemptAt`, or failed (given up); false when the claim was lost. */
export async function settleDelivery(
  db: Executor,
  row: WebhookDelivery,
  attempt: AttemptRecord,
  outcome: { status: 'delivered' } | { status: 'pending'; nextAttemptAt: Date; firstFailedAt: Date } | { status: 'failed'; firstFailedAt: Date },
): Promise<boolean> {
  const rows = await db
    .update(webhookDeliveries)
    .set({
      status: outcome.status,
      attempts: row.attempts + 1,
      claimedUntil: null,
      lastAttemptAt: attempt.at,
      lastStatus: attempt.status,
      lastLatencyMs: attempt.latencyMs,
      lastError: attempt.error,
      lastResponse: attempt.response,
      ...(outcome.status === 'delivered' ? { deliveredAt: attempt.at } : { firstFailedAt: outcome.firstFailedAt }),
      ...(outcome.status === 'pending' ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
    })
    .where(stillClaimed(row))
    .returning({ id: webhookDeliveries.eventId });
  return rows.length > 0;
}

/** The endpoints and events a batch of claimed rows needs (two reads for the whole batch). */
export async function loadDeliveryContext(db: Executor, rows: readonly WebhookDelivery[]) {
  if (rows.length === 0) return { endpoints: new Map<string, WebhookEndpoint>(), events: new Map<string, typeof events.$inferSelect>() };
  const [endpointRows, eventRows] = await Promise.all([
    db.select().from(webhookEndpoints).where(inArray(webhookEndpoints.id, [...new Set(rows.map((r) => r.endpointId))])),
    db.select().from(events).where(inArray(events.id, [...new Set(rows.map((r) => r.eventId))])),
  ]);
  return { endpoints: new Map(endpointRows.map((e) => [e.id, e])), events: new Map(eventRows.map((e) => [e.id, e])) };
}

/**
 * Queues again, as pending and due now, the events after `after` (up to what was fanned out) that the
 * endpoint wants, delivered or not; how many. The same `webhook-id` as before: a receiver that already
 * has one can drop it.
 */
export async function requeueAfter(db: Executor, endpoint: WebhookEndpoint, after: number, now: Date): Promise<number> {
  const types = endpoint.eventTypes === null ? null : JSON.stringify(endpoint.eventTypes);
  const result = await db.execute(sql`
    with queued as (
      insert into ${webhookDeliveries} (endpoint_id, event_id, company_id, cursor, next_attempt_at, created_at)
      select ${endpoint.id}::text, e.id, e.company_id, e.cursor, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
      from ${events} e
      where e.cursor > ${after} and e.cursor <= ${endpoint.fannedCursor}
        and (${endpoint.companyId}::text is null or e.company_id = ${endpoint.companyId}::text)
        and (${types}::jsonb is null or e.type in (select jsonb_array_elements_text(${types}::jsonb)))
      on conflict (endpoint_id, event_id) do update
        set status = 'pending', next_attempt_at = excluded.next_attempt_at, first_failed_at = null, attempts = 0,
          -- A row a sender is POSTing right now keeps its claim: that sender settles it, nobody POSTs it beside it.
          claimed_until = case when ${webhookDeliveries.claimedUntil} > ${now.toISOString()}::timestamptz then ${webhookDeliveries.claimedUntil} else null end
      returning 1
    )
    select count(*)::int as n from queued`);
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}

export interface DeliveryLogQuery {
  endpointId: string;
  /** Only rows with a cursor below this one (the previous page's last), newest first. */
  before: number | null;
  status: 'pending' | 'delivered' | 'failed' | null;
  limit: number;
}

/** The delivery log, newest event first, with each event's type. */
export async function listDeliveries(db: Executor, query: DeliveryLogQuery) {
  return db
    .select({ delivery: webhookDeliveries, eventType: events.type })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.endpointId, query.endpointId),
        query.before === null ? undefined : lt(webhookDeliveries.cursor, query.before),
        query.status === null ? undefined : eq(webhookDeliveries.status, query.status),
      ),
    )
    .orderBy(desc(webhookDeliveries.cursor))
    .limit(query.limit);
}

/** Deletes up to `max` delivered rows older than `before` (the log keeps failures and pending rows until their event goes). */
export async function purgeDelivered(db: Executor, before: Date, max: number): Promise<number> {
  const result = await db.execute(sql`
    with gone as (
      delete from ${webhookDeliveries} where (endpoint_id, event_id) in (
        select endpoint_id, event_id from ${webhookDeliveries} where status = 'delivered' and delivered_at < ${before.toISOString()}::timestamptz limit ${max}
      )
      returning 1
    )
    select count(*)::int as n from gone`);
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}
