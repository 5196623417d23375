/**
 * The event outbox: what an application must learn (a provisioning, a sign-in, a directory change...),
 * one row per event, written in the transaction of the change itself, so that a rolled-back change
 * leaves no event and a committed one always has its event. The feed (and, later, webhooks) read it.
 */
import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { companies, timestampTz } from './schema-core.js';

export const events = pgTable(
  'events',
  {
    /** `ev_…`: stable, the same wherever the event is read. */
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    companyId: text('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    occurredAt: timestampTz('occurred_at').notNull().defaultNow(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    /**
     * The feed's cursor, given after commit by the sequencer (src/store/events.ts), one committed batch
     * at a time: it increases in the order events become visible, so a reader never skips one that a
     * slower transaction commits later. Null until then.
     */
    cursor: bigint('cursor', { mode: 'number' }),
    /** Insertion order (a sequence): how the sequencer orders what it numbers, so one transaction's events keep their order. */
    written: bigint('written', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
  },
  (t) => [
    uniqueIndex('events_cursor_key').on(t.cursor),
    index('events_company_cursor_idx').on(t.companyId, t.cursor),
    index('events_unsequenced_idx').on(t.written).where(sql`${t.cursor} is null`),
    index('events_occurred_idx').on(t.occurredAt),
  ],
);
