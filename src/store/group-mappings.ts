/** Group mappings: which directory group's members get which workspace and permission set. */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from './db.js';
import type { DirectoryUser } from './directory.js';
import { textArray } from './lists.js';
import { directoryGroupMembers, directoryUsers, groupMappings } from './schema.js';

export type GroupMapping = typeof groupMappings.$inferSelect;
/** What of a mapping decides a member's workspace. */
export type MappingDecision = Pick<GroupMapping, 'groupId' | 'workspaceId' | 'permissionSetId'>;

export async function upsertGroupMapping(
  db: Executor,
  mapping: { companyId: string; groupId: string; workspaceId: string; permissionSetId: string; priority: number },
): Promise<GroupMapping> {
  const [row] = await db
    .insert(groupMappings)
    .values(mapping)
    .onConflictDoUpdate({
      target: [groupMappings.companyId, groupMappings.groupId],
      set: { workspaceId: mapping.workspaceId, permissionSetId: mapping.permissionSetId, priority: mapping.priority },
    })
    .returning();
  return row!;
}

export async function deleteGroupMapping(db: Executor, companyId: string, groupId: string): Promise<boolean> {
  const rows = await db
    .delete(groupMappings)
    .where(and(eq(groupMappings.companyId, companyId), eq(groupMappings.groupId, groupId)))
    .returning({ id: groupMappings.groupId });
  return rows.length === 1;
}

export async function listGroupMappings(db: Executor, companyId: string): Promise<GroupMapping[]> {
  return db.select().from(groupMappings).where(eq(groupMappings.companyId, companyId)).orderBy(asc(groupMappings.priority), asc(groupMappings.groupId));
}

/** The mapping that decides a directory user's workspace: the lowest priority among their groups' mappings. */
export async function mappingForDirectoryUser(db: Executor, companyId: string, userId: string): Promise<GroupMapping | null> {
  const [row] = await db
    .select({ mapping: groupMappings })
    .from(directoryGroupMembers)
    .innerJoin(groupMappings, and(eq(groupMappings.companyId, directoryGroupMembers.companyId), eq(groupMappings.groupId, directoryGroupMembers.groupId)))
    .where(and(eq(directoryGroupMembers.companyId, companyId), eq(directoryGroupMembers.userId, userId)))
    .orderBy(asc(groupMappings.priority), asc(groupMappings.groupId))
    .limit(1);
  return row?.mapping ?? null;
}

/**
 * `mappingForDirectoryUser` for many users in one statement: those of `userIds` in a mapped group, each
 * with the mapping that decides their workspace and what identifies them (userName, emails).
 */
export async function mappingsForDirectoryUsers(
  db: Executor,
  companyId: string,
  userIds: readonly string[],
): Promise<{ user: Pick<DirectoryUser, 'id' | 'userName' | 'emailsLower'>; mapping: MappingDecision }[]> {
  if (userIds.length === 0) return [];
  // Per user (src/store/lists.ts): their groups' mappings, the lowest priority first.
  const best = db
    .select({
      id: directoryUsers.id,
      userName: directoryUsers.userName,
      emailsLower: directoryUsers.emailsLower,
      groupId: groupMappings.groupId,
      workspaceId: groupMappings.workspaceId,
      permissionSetId: groupMappings.permissionSetId,
    })
    .from(directoryGroupMembers)
    .innerJoin(groupMappings, and(eq(groupMappings.companyId, directoryGroupMembers.companyId), eq(groupMappings.groupId, directoryGroupMembers.groupId)))
    .innerJoin(directoryUsers, and(eq(directoryUsers.companyId, directoryGroupMembers.companyId), eq(directoryUsers.id, directoryGroupMembers.userId)))
    .where(and(eq(directoryGroupMembers.companyId, companyId), sql`${directoryGroupMembers.userId} = wanted.id`))
    .orderBy(asc(groupMappings.priority), asc(groupMappings.groupId))
    .limit(1)
    .as('best');
  const rows = await db
    .select({
      id: best.id,
      userName: best.userName,
      emailsLower: best.emailsLower,
      groupId: best.groupId,
      workspaceId: best.workspaceId,
      permissionSetId: best.permissionSetId,
    })
    .from(sql`unnest(${textArray(userIds)}) as wanted(id)`)
    .crossJoinLateral(best);
  return rows.map(({ groupId, workspaceId, permissionSetId, ...user }) => ({ user, mapping: { groupId, workspaceId, permissionSetId } }));
}
