/**
 * Webhooks (Standard Webhooks): the endpoints applications registered, and one delivery row per
 * (endpoint, event) fanned out from the event outbox. A delivery row is the endpoint's queue entry,
 * its retry state and its line in the delivery log at once.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { companies, createdAt, timestampTz } from './schema-core.js';
import { events } from './schema-events.js';

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    /** `whk_…` */
    id: text('id').primaryKey(),
    /** The company whose events it receives; null: a global endpoint (the operator's), every company's events. */
    companyId: text('company_id').references(() => companies.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    description: text('description'),
    /** The event types it receives; null: all of them. */
    eventTypes: text('event_types').array(),
    /** A disabled endpoint is paused: its events are still queued, and sent once it is enabled again. */
    enabled: boolean('enabled').notNull().default(true),
    /** The signing secret (`whsec_…`), sealed with SESSION_SECRET: HMAC needs it in clear, so it cannot be hashed. */
    secretSealed: text('secret_sealed').notNull(),
    /** During a rotation, the previous secret also signs every delivery until then. */
    previousSecretSealed: text('previous_secret_sealed'),
    previousSecretExpiresAt: timestampTz('previous_secret_expires_at'),
    /** Every event with a cursor up to this one has been queued for this endpoint (or did not match it). */
    fannedCursor: bigint('fanned_cursor', { mode: 'number' }).notNull().default(0),
    /** Set when a delivery kept failing for 24 hours: the endpoint was then disabled. Cleared by enabling it. */
    failingSince: timestampTz('failing_since'),
    createdAt: createdAt(),
    updatedAt: timestampTz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_company_idx').on(t.companyId)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    /** The event; its id is the `webhook-id` of every attempt, so a receiver can drop duplicates. */
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    /** The event's company and cursor (copied): deliveries go out in cursor order per (endpoint, company). */
    companyId: text('company_id').notNull(),
    cursor: bigint('cursor', { mode: 'number' }).notNull(),
    /** pending, delivered, or failed (given up after 24 hours of failures). */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestampTz('next_attempt_at').notNull(),
    /** A sender claims a row until then, so two instances never POST it at once. */
    claimedUntil: timestampTz('claimed_until'),
    firstFailedAt: timestampTz('first_failed_at'),
    lastAttemptAt: timestampTz('last_attempt_at'),
    /** The last answer's HTTP status (null: no answer), latency, and why it failed. */
    lastStatus: integer('last_status'),
    lastLatencyMs: integer('last_latency_ms'),
    lastError: text('last_error'),
    /** The start of the last answer's body (at most 1 KB, as text), for the delivery log. */
    lastResponse: text('last_response'),
    deliveredAt: timestampTz('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.endpointId, t.eventId] }),
    index('webhook_deliveries_pending_idx').on(t.endpointId, t.companyId, t.cursor).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_log_idx').on(t.endpointId, t.cursor),
  ],
);
