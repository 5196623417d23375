/** Store rows -> API payloads (the shapes in schemas.ts). */
import type { JitSettingsView } from '../services/jit-settings.js';
import type { ApiKey, DomainException } from '../store/access.js';
import type { AuditEvent } from '../store/audit.js';
import type { Company, PermissionSet, Workspace } from '../store/companies.js';
import type { Membership, User } from '../store/users.js';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export const presentCompany = (c: Company) => ({ id: c.id, name: c.name, createdAt: iso(c.createdAt) });

export const presentApiKey = (k: ApiKey) => ({
  id: k.id,
  label: k.label,
  createdAt: iso(k.createdAt),
  revokedAt: isoOrNull(k.revokedAt),
});

export const presentWorkspace = (w: Workspace) => ({ id: w.id, name: w.name, createdAt: iso(w.createdAt) });

export const presentPermissionSet = (p: PermissionSet) => ({
  id: p.id,
  name: p.name,
  permissions: p.permissions,
  createdAt: iso(p.createdAt),
});

export const presentUser = (u: User, memberships: Membership[]) => ({
  id: u.id,
  email: u.email,
  emailNormalized: u.emailNormalized,
  firstName: u.firstName,
  lastName: u.lastName,
  status: u.status,
  provisionedBy: u.provisionedBy,
  confirmedAt: isoOrNull(u.confirmedAt),
  confirmedVia: u.confirmedVia,
  impersonation: u.isImpersonation,
  memberships: memberships.map((m) => ({ workspaceId: m.workspaceId, permissionSetId: m.permissionSetId })),
  createdAt: iso(u.createdAt),
});

export const presentDomainException = (e: DomainException) => ({
  domain: e.domain,
  reason: e.reason,
  grantedBy: e.grantedBy,
  grantedAt: iso(e.createdAt),
});

export const presentAuditEvent = (e: AuditEvent) => ({
  id: e.id,
  action: e.action,
  actor: { type: e.actorType, id: e.actorId },
  target: e.targetType ? { type: e.targetType, id: e.targetId } : null,
  reason: e.reason,
  data: e.data,
  createdAt: iso(e.createdAt),
  count: e.count,
  lastAt: iso(e.lastAt ?? e.createdAt),
});

export const presentJitSettings = (v: JitSettingsView) => ({ ...v, updatedAt: v.updatedAt ? v.updatedAt.toISOString() : null });

/**
 * Cursor pagination: callers fetch `limit + 1` rows; the extra row only says another page exists,
 * and the cursor is taken from the last row shown.
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => string): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
