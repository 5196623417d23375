/**
 * What recordAudit (audit.ts) writes for a change, its audit_events rows and their outbox events, as
 * two JSON parameters and the CTEs that insert them, so that a SCIM write records its audit in the
 * same statement as the change instead of in two more round trips. The rows are built exactly as
 * recordAudit builds them (ids drawn here, text made storable, events from eventsOfAudit);
 * test/store/scim-user-statements.test.ts compares the two.
 */
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { eventsOfAudit } from '../core/events.js';
import { toStorableJson, toStorableText } from '../core/text.js';
import { newId } from '../crypto.js';
import type { AuditInput } from './audit.js';

const clean = (value: string | null | undefined) => (value == null ? null : toStorableText(value));

/** The JSON of `inputs`' audit rows and of their events, in order (placeholders `audits` and `events`). */
export function auditRowsJson(inputs: readonly AuditInput[]): { audits: string; events: string } {
  const audits = inputs.map((input) => ({
    id: newId('evt'),
    company_id: input.companyId,
    actor_type: input.actor.type,
    actor_id: clean(input.actor.id),
    action: input.action,
    target_type: input.targetType ?? null,
    target_id: clean(input.targetId),
    reason: clean(input.reason),
    data: toStorableJson(input.data ?? {}),
  }));
  const events = inputs.flatMap(eventsOfAudit).map((e) => ({ id: newId('ev'), type: e.type, company_id: e.companyId, data: toStorableJson(e.data) }));
  return { audits: JSON.stringify(audits), events: JSON.stringify(events) };
}

/**
 * `audit_rows as (insert ...), audit_events_out as (insert ...)`: two CTEs inserting the rows of the
 * `audits` and `events` placeholders, both only when `gate` (SQL, true or false) holds. jsonb_to_recordset
 * keeps their order, and the events table numbers them in the order written.
 */
export function insertAuditRows(gate: SQL = sql`true`): SQL {
  return sql`audit_rows as (
      insert into audit_events (id, company_id, actor_type, actor_id, action, target_type, target_id, reason, data)
      select a.id, a.company_id, a.actor_type, a.actor_id, a.action, a.target_type, a.target_id, a.reason, a.data
      from jsonb_to_recordset(${sql.placeholder('audits')}::jsonb) as a(id text, company_id text, actor_type text, actor_id text, action text, target_type text, target_id text, reason text, data jsonb)
      where ${gate}
    ),
    audit_events_out as (
      insert into events (id, type, company_id, data)
      select e.id, e.type, e.company_id, e.data
      from jsonb_to_recordset(${sql.placeholder('events')}::jsonb) as e(id text, type text, company_id text, data jsonb)
      where ${gate}
    )`;
}
