/** Dashboard users, their memberships and invitations. */
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from './db.js';
import { jsonRows, textArray } from './lists.js';
import { invitations, memberships, users } from './schema.js';

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Membership = typeof memberships.$inferSelect;
export type Invitation = typeof invitations.$inferSelect;
export type UserWithMemberships = User & { memberships: Membership[] };

export async function insertUser(db: Executor, user: NewUser): Promise<User> {
  const [row] = await db.insert(users).values(user).returning();
  return row!;
}

export async function insertMembership(
  db: Executor,
  membership: { companyId: string; userId: string; workspaceId: string; permissionSetId: string },
): Promise<Membership> {
  const [row] = await db.insert(memberships).values(membership).returning();
  return row!;
}

export async function findUser(db: Executor, companyId: string, userId: string): Promise<User | null> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.companyId, companyId), eq(users.id, userId)))
    .limit(1);
  return row ?? null;
}

export async function findUserByEmail(db: Executor, companyId: string, emailNormalized: string): Promise<User | null> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.companyId, companyId), eq(users.emailNormalized, emailNormalized)))
    .limit(1);
  return row ?? null;
}

/** Users of a company ordered by id, optionally one normalised email, with their memberships. */
export async function listUsers(
  db: Executor,
  companyId: string,
  query: { emailNormalized?: string; afterId?: string; limit: number },
): Promise<UserWithMemberships[]> {
  const filters = [eq(users.companyId, companyId)];
  if (query.emailNormalized !== undefined) filters.push(eq(users.emailNormalized, query.emailNormalized));
  if (query.afterId !== undefined) filters.push(gt(users.id, query.afterId));
  const rows = await db
    .select()
    .from(users)
    .where(and(...filters))
    .orderBy(asc(users.id))
    .limit(query.limit);
  return attachMemberships(db, companyId, rows);
}

export async function membershipsOf(db: Executor, companyId: string, userIds: string[]): Promise<Membership[]> {
  if (userIds.length === 0) return [];
  return db
    .select()
    .from(memberships)
    .where(and(eq(memberships.companyId, companyId), inArray(memberships.userId, userIds)))
    .orderBy(asc(memberships.createdAt));
}

async function attachMemberships(db: Executor, companyId: string, rows: User[]): Promise<UserWithMemberships[]> {
  const all = await membershipsOf(
    db,
    companyId,
    rows.map((u) => u.id),
  );
  return rows.map((u) => ({ ...u, memberships: all.filter((m) => m.userId === u.id) }));
}

/**
 * Marks an invited user confirmed. Only an `invited` row changes, so two concurrent accepts of the
 * same invitation confirm once; returns the updated user or null when it was not invited.
 */
export async function confirmInvitedUser(
  db: Executor,
  companyId: string,
  userId: string,
  via: 'invitation' | 'saml' | 'scim' | 'operator',
  at: Date,
): Promise<User | null> {
  const [row] = await db
    .update(users)
    .set({ status: 'active', confirmedAt: at, confirmedVia: via, updatedAt: at })
    .where(and(eq(users.companyId, companyId), eq(users.id, userId), eq(users.status, 'invited')))
    .returning();
  return row ?? null;
}

export async function insertInvitation(
  db: Executor,
  invitation: { id: string; companyId: string; userId: string; tokenHash: string; expiresAt: Date },
): Promise<Invitation> {
  const [row] = await db.insert(invitations).values(invitation).returning();
  return row!;
}

export async function findInvitationByTokenHash(db: Executor, tokenHash: string): Promise<Invitation | null> {
  const [row] = await db.select().from(invitations).where(eq(invitations.tokenHash, tokenHash)).limit(1);
  return row ?? null;
}

/** Claims an invitation once: returns false when it was already accepted (a concurrent accept won). */
export async function markInvitationAccepted(db: Executor, invitationId: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(invitations)
    .set({ acceptedAt: at })
    .where(and(eq(invitations.id, invitationId), isNull(invitations.acceptedAt)))
    .returning({ id: invitations.id });
  return rows.length === 1;
}

/**
 * The seed's domain rule as SQL: does the company have a user with exactly this domain who is
 * confirmed, active and not a support impersonation account?
 */
export async function domainHasConfirmedUser(db: Executor, companyId: string, domain: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(users)
    .where(
      and(
        eq(users.companyId, companyId),
        eq(users.emailDomain, domain),
        eq(users.status, 'active'),
        sql`${users.confirmedAt} is not null`,
        eq(users.isImpersonation, false),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/**
 * Inserts a user unless the company already has one with that normalised email; returns the new row
 * or null. Under concurrency the unique key decides and the loser waits for the winner to commit.
 */
export async function insertUserIfAbsent(db: Executor, user: NewUser): Promise<User | null> {
  const [row] = await db
    .insert(users)
    .values(user)
    .onConflictDoNothing({ target: [users.companyId, users.emailNormalized] })
    .returning();
  return row ?? null;
}

/** Dashboard users of a company with any of these normalised emails: one statement, one key lookup per email (src/store/lists.ts). */
export async function findUsersByEmails(db: Executor, companyId: string, emailsNormalized: readonly string[]): Promise<User[]> {
  if (emailsNormalized.length === 0) return [];
  const match = db
    .select()
    .from(users)
    .where(and(eq(users.companyId, companyId), sql`${users.emailNormalized} = wanted.email`))
    .limit(1)
    .as('match');
  const rows = await db
    .select()
    .from(sql`unnest(${textArray([...new Set(emailsNormalized)])}) as wanted(email)`)
    .crossJoinLateral(match);
  return rows.map((r) => r.match);
}

/** Suspends an active user because the directory says so (deactivated or deleted in the IdP). */
export async function lockUserByDirectory(db: Executor, companyId: string, userId: string, at: Date): Promise<User | null> {
  const [row] = await db
    .update(users)
    .set({ status: 'suspended', lockedByDirectory: true, updatedAt: at })
    .where(and(eq(users.companyId, companyId), eq(users.id, userId), eq(users.status, 'active')))
    .returning();
  return row ?? null;
}

/** Restores a user the directory had locked (and only such a user: an admin's suspension stands). */
export async function unlockUserByDirectory(db: Executor, companyId: string, userId: string, at: Date): Promise<User | null> {
  const [row] = await db
    .update(users)
    .set({ status: 'active', lockedByDirectory: false, updatedAt: at })
    .where(and(eq(users.companyId, companyId), eq(users.id, userId), eq(users.status, 'suspended'), eq(users.lockedByDirectory, true)))
    .returning();
  return row ?? null;
}

export interface WantedMembership {
  userId: string;
  workspaceId: string;
  permissionSetId: string;
}

/**
 * Ensures each membership (in `workspaceId`, with `permissionSetId`) in one statement; returns those
 * created or whose permission set changed (`created` tells which), not those already exactly so. Each (userId, workspaceId)
 * at most once in `wanted`.
 */
export async function ensureMemberships(db: Executor, companyId: string, wanted: readonly WantedMembership[]): Promise<(WantedMembership & { created: boolean })[]> {
  if (wanted.length === 0) return [];
  return db
    .insert(memberships)
    // The columns of `memberships` in table order: company, user, workspace, permission set, created.
    .select(sql`select ${companyId}, w."userId", w."workspaceId", w."permissionSetId", now()
      from ${jsonRows(wanted, 'w', { userId: 'text', workspaceId: 'text', permissionSetId: 'text' })}`)
    .onConflictDoUpdate({
      target: [memberships.userId, memberships.workspaceId],
      set: { permissionSetId: sql`excluded.permission_set_id` },
      setWhere: sql`${memberships.permissionSetId} <> excluded.permission_set_id`,
    })
    // xmax is 0 on a row this statement inserted, the updating transaction's id on one it updated.
    .returning({ userId: memberships.userId, workspaceId: memberships.workspaceId, permissionSetId: memberships.permissionSetId, created: sql<boolean>`(xmax = 0)` });
}
