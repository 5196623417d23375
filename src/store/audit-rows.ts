/**
 * What recordAudit (audit.ts) writes for a change, its audit_events rows and their outbox events, as
 * two JSON parameters and the CTEs that insert them, so that a SCIM write records its audit in the
 * same statement as the change instead of in two more round trips. The rows are recordAudit's own
 * (auditRow, eventRow); test/store/scim-user-statements.test.ts compares what the two write.
 */
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { eventsOfAudit } from '../core/events.js';
import { auditRow } from './audit.js';
import type { AuditInput } from './audit.js';
import { eventRow } from './events.js';

/** The JSON of `inputs`' audit rows and of their events, in order (placeholders `audits` and `events`), built as recordAudit builds them. */
export function auditRowsJson(inputs: readonly AuditInput[]): { audits: string; events: string } {
  return { audits: JSON.stringify(inputs.map(auditRow)), events: JSON.stringify(inputs.flatMap(eventsOfAudit).map(eventRow)) };
}

/**
 * `audit_rows as (insert ...), audit_events_out as (insert ...)`: two CTEs inserting the rows of the
 * `audits` and `events` placeholders, both only when `gate` (SQL, true or false) holds. jsonb_to_recordset
 * keeps their order, and the events table numbers them in the order written.
 */
export function insertAuditRows(gate: SQL = sql`true`): SQL {
  return sql`audit_rows as (
      insert into audit_events (id, company_id, actor_type, actor_id, action, target_type, target_id, reason, data)
      select a."id", a."companyId", a."actorType", a."actorId", a."action", a."targetType", a."targetId", a."reason", a."data"
      from jsonb_to_recordset(${sql.placeholder('audits')}::jsonb) as a("id" text, "companyId" text, "actorType" text, "actorId" text, "action" text, "targetType" text, "targetId" text, "reason" text, "data" jsonb)
      where ${gate}
    ),
    audit_events_out as (
      insert into events (id, type, company_id, data)
      select e."id", e."type", e."companyId", e."data"
      from jsonb_to_recordset(${sql.placeholder('events')}::jsonb) as e("id" text, "type" text, "companyId" text, "data" jsonb)
      where ${gate}
    )`;
}
