/** The event feed: numbers what has committed, then reads after the cursor. */
import { listEvents, purgeEvents, sequenceEvents } from '../store/events.js';
import type { StoredEvent } from '../store/events.js';
import type { ServiceDeps } from './deps.js';

export const DEFAULT_EVENT_RETENTION_DAYS = 30;
const SEQUENCE_BATCH = 5000;

export interface EventFeedQuery {
  companyId: string | null;
  after: number;
  limit: number;
  types: readonly string[] | null;
}

export function presentEvent(e: StoredEvent) {
  return { id: e.id, type: e.type, companyId: e.companyId, occurredAt: e.occurredAt.toISOString(), cursor: e.cursor!, data: e.data };
}

/** Numbers everything committed so far (batch after batch: a burst can leave many), so a read sees it all. */
export async function sequenceAll(deps: ServiceDeps): Promise<number> {
  let total = 0;
  for (let round = 0; round < 100; round++) {
    const numbered = await sequenceEvents(deps.db, SEQUENCE_BATCH);
    total += numbered;
    if (numbered < SEQUENCE_BATCH) break;
  }
  return total;
}

export async function readEvents(deps: ServiceDeps, query: EventFeedQuery) {
  await sequenceAll(deps);
  const rows = await listEvents(deps.db, query);
  return { events: rows.map(presentEvent), nextCursor: rows.length > 0 ? rows[rows.length - 1]!.cursor! : query.after };
}

/** The scheduled part: number what has committed (so cursors exist even when nobody reads), drop what is past retention. */
export async function maintainEvents(deps: ServiceDeps, now: Date): Promise<{ sequenced: number; purged: number }> {
  const sequenced = await sequenceAll(deps);
  const days = deps.eventRetentionDays ?? DEFAULT_EVENT_RETENTION_DAYS;
  const purged = await purgeEvents(deps.db, new Date(now.getTime() - days * 86_400_000), 5000);
  return { sequenced, purged };
}
