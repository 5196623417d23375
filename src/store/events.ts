/**
 * The event outbox: appended inside the change's transaction; numbered after commit by the sequencer;
 * read by cursor.
 *
 * Why a sequencer rather than a sequence default: a sequence is drawn when a row is written, not when
 * it commits, so a transaction that drew cursor 41 and commits after another's 42 would appear behind
 * a reader that already moved past 42, and be skipped. The sequencer numbers only committed rows, one
 * run at a time (a transaction-scoped advisory lock, across every instance), each after the largest
 * cursor given so far: a cursor, once visible, is never followed by a smaller one.
 */
import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { NewEvent } from '../core/events.js';
import { toStorableJson } from '../core/text.js';
import { newId } from '../crypto.js';
import type { Executor } from './db.js';
import { jsonRows } from './lists.js';
import { events } from './schema.js';

export type StoredEvent = typeof events.$inferSelect;

/** The advisory lock key of the sequencer (any constant the app uses for nothing else). */
const SEQUENCER_LOCK = 7_114_211;
const BULK_FROM = 50;

/** Appends events, in this order, in the caller's transaction (one statement, whatever their number). */
/** The stored form of an outbox event (its id drawn here). */
export function eventRow(e: NewEvent) {
  return { id: newId('ev'), type: e.type, companyId: e.companyId, data: toStorableJson(e.data) as Record<string, unknown> };
}

export async function appendEvents(db: Executor, list: readonly NewEvent[]): Promise<void> {
  if (list.length === 0) return;
  const rows = list.map(eventRow);
  if (rows.length < BULK_FROM) {
    await db.insert(events).values(rows);
    return;
  }
  const source = jsonRows(rows, 'e', { id: 'text', type: 'text', companyId: 'text', data: 'jsonb' });
  await db.execute(sql`insert into ${events} (id, type, company_id, data) select e."id", e."type", e."companyId", e."data" from ${source}`);
}

/** Numbers up to `max` committed, unnumbered events in the order they were written; how many. */
export async function sequenceEvents(db: Executor, max = 5000): Promise<number> {
  // Most calls find nothing to number: they take no lock.
  const [pending] = await db.select({ id: events.id }).from(events).where(isNull(events.cursor)).limit(1);
  if (!pending) return 0;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK})`);
    const [top] = await tx.select({ c: sql<string | number | null>`max(${events.cursor})` }).from(events);
    const base = Number(top?.c ?? 0);
    const batch = await tx.select({ id: events.id }).from(events).where(isNull(events.cursor)).orderBy(asc(events.written)).limit(max);
    if (batch.length === 0) return 0;
    const numbering = jsonRows(
      batch.map((row, i) => ({ id: row.id, cursor: String(base + i + 1) })),
      'n',
      { id: 'text', cursor: 'text' },
    );
    await tx.execute(sql`update ${events} set cursor = n."cursor"::bigint from ${numbering} where ${events.id} = n."id"`);
    return batch.length;
  });
}

export interface EventQuery {
  /** null: every company (the operator's feed). */
  companyId: string | null;
  after: number;
  limit: number;
  types: readonly string[] | null;
}

/** Numbered events after a cursor, oldest first. */
export async function listEvents(db: Executor, query: EventQuery): Promise<StoredEvent[]> {
  return db
    .select()
    .from(events)
    .where(
      and(
        isNotNull(events.cursor),
        gt(events.cursor, query.after),
        query.companyId === null ? undefined : eq(events.companyId, query.companyId),
        query.types === null ? undefined : inArray(events.type, [...query.types]),
      ),
    )
    .orderBy(asc(events.cursor))
    .limit(query.limit);
}

/** Deletes a bounded batch of events older than `before` (the retention); how many. */
export async function purgeEvents(db: Executor, before: Date, max: number): Promise<number> {
  const old = db.select({ id: events.id }).from(events).where(lt(events.occurredAt, before)).limit(max);
  const rows = await db.delete(events).where(inArray(events.id, old)).returning({ id: events.id });
  return rows.length;
}
