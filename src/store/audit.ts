/** The audit log: append-only (aggregated refusals excepted: their count grows), newest first, paginated by the sequence number. */
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { AuditAction } from '../core/audit-actions.js';
import { toStorableJson, toStorableText } from '../core/text.js';
import { newId } from '../crypto.js';
import type { Executor } from './db.js';
import { eventsOfAudit } from '../core/events.js';
import { appendEvents } from './events.js';
import { jsonRows } from './lists.js';
import { auditEvents } from './schema.js';

export type ActorType = 'operator' | 'api_key' | 'user' | 'invitee' | 'idp' | 'scim' | 'system';

export interface Actor {
  readonly type: ActorType;
  readonly id: string | null;
}

export interface AuditInput {
  /** Null for operator-level events (OIDC applications, signing keys). */
  companyId: string | null;
  actor: Actor;
  action: AuditAction;
  targetType?: string;
  targetId?: string;
  reason?: string;
  data?: Record<string, unknown>;
}

export type AuditEvent = typeof auditEvents.$inferSelect;

// Audit rows quote what outsiders sent (NameIDs, emails, error details); PostgreSQL text and jsonb
// refuse U+0000 and jsonb refuses an unpaired surrogate, and an audit write must never fail because
// of what it records: both become U+FFFD (src/core/text.ts).
const clean = (value: string | null | undefined) => (value == null ? null : toStorableText(value));
const cleanData = (data: Record<string, unknown>) => toStorableJson(data) as Record<string, unknown>;

/** The stored form of an event (its id drawn here); also what audit-rows.ts writes inside a statement. */
export function auditRow(input: AuditInput) {
  return {
    id: newId('evt'),
    companyId: input.companyId,
    actorType: input.actor.type,
    actorId: clean(input.actor.id),
    action: input.action,
    targetType: input.targetType ?? null,
    targetId: clean(input.targetId),
    reason: clean(input.reason),
    data: cleanData(input.data ?? {}),
  };
}

/**
 * Appends one event; call it inside the transaction that makes the change. The events applications
 * receive (src/core/events.ts) are appended with it, in the same transaction.
 */
export async function recordAudit(db: Executor, input: AuditInput): Promise<void> {
  await db.insert(auditEvents).values(auditRow(input));
  await appendEvents(db, eventsOfAudit(input));
}

/** Appends many events in one statement, in this order (the effects of a 50,000-member group push). */
export async function recordAudits(db: Executor, inputs: readonly AuditInput[]): Promise<void> {
  if (inputs.length === 0) return;
  const rows = jsonRows(inputs.map(auditRow), 'e', {
    id: 'text',
    companyId: 'text',
    actorType: 'text',
    actorId: 'text',
    action: 'text',
    targetType: 'text',
    targetId: 'text',
    reason: 'text',
    data: 'jsonb',
  });
  await db.execute(sql`
    insert into ${auditEvents} (id, company_id, actor_type, actor_id, action, target_type, target_id, reason, data)
    select e."id", e."companyId", e."actorType", e."actorId", e."action", e."targetType", e."targetId", e."reason", e."data" from ${rows}`);
  await appendEvents(db, inputs.flatMap(eventsOfAudit));
}

/**
 * Counts one more occurrence on the company's row for `aggregateKey` (created at the first), in one
 * statement: concurrent attempts on any instance add up on the unique (company_id, aggregate_key)
 * index. `data` and `last_at` describe the latest occurrence, `created_at` the first. The row keeps
 * the seq of its first occurrence, so newest-first pages place it by when it started, not by last_at.
 */
export async function recordAggregatedAudit(db: Executor, input: AuditInput & { aggregateKey: string; at: Date }): Promise<void> {
  const row = auditRow(input);
  await db
    .insert(auditEvents)
    .values({
      ...row,
      aggregateKey: input.aggregateKey,
      count: 1,
      lastAt: input.at,
      createdAt: input.at,
    })
    .onConflictDoUpdate({
      target: [auditEvents.companyId, auditEvents.aggregateKey],
      set: { count: sql`${auditEvents.count} + 1`, lastAt: input.at, data: row.data },
    });
}

/** Events of one company, newest first; `beforeSeq` is the cursor from the previous page. */
export async function listAudit(
  db: Executor,
  companyId: string,
  page: { beforeSeq?: number; limit: number; action?: string },
): Promise<AuditEvent[]> {
  const filters = [eq(auditEvents.companyId, companyId)];
  if (page.beforeSeq !== undefined) filters.push(lt(auditEvents.seq, page.beforeSeq));
  if (page.action !== undefined) filters.push(eq(auditEvents.action, page.action));
  return db
    .select()
    .from(auditEvents)
    .where(and(...filters))
    .orderBy(desc(auditEvents.seq))
    .limit(page.limit);
}
