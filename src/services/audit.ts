/** The audit log as a company admin reads it. */
import type { AuditEvent } from '../store/audit.js';
import { listAudit } from '../store/audit.js';
import type { ServiceDeps } from './deps.js';

export type { AuditEvent };

/** One page of a company's events, newest first (`beforeSeq`: the cursor of the previous page). */
export function companyAuditPage(
  deps: ServiceDeps,
  companyId: string,
  page: { beforeSeq?: number; limit: number; action?: string },
): Promise<AuditEvent[]> {
  return listAudit(deps.db, companyId, page);
}
