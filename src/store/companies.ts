/** Companies (tenants), workspaces and permission sets. */
import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from './db.js';
import { companies, permissionSets, workspaces } from './schema.js';

export type Company = typeof companies.$inferSelect;
export type Workspace = typeof workspaces.$inferSelect;
export type PermissionSet = typeof permissionSets.$inferSelect;

export async function insertCompany(db: Executor, company: { id: string; name: string }): Promise<Company> {
  const [row] = await db.insert(companies).values(company).returning();
  return row!;
}

export async function findCompany(db: Executor, companyId: string): Promise<Company | null> {
  const [row] = await db.select().from(companies).where(eq(companies.id, companyId)).limit(1);
  return row ?? null;
}

export async function listCompanies(db: Executor): Promise<Company[]> {
  return db.select().from(companies).orderBy(asc(companies.createdAt), asc(companies.id));
}

export async function insertWorkspace(
  db: Executor,
  workspace: { id: string; companyId: string; name: string },
): Promise<Workspace> {
  const [row] = await db.insert(workspaces).values(workspace).returning();
  return row!;
}

export async function findWorkspace(db: Executor, companyId: string, workspaceId: string): Promise<Workspace | null> {
  const [row] = await db
    .select()
    .from(workspaces)
    .where(and(eq(workspaces.companyId, companyId), eq(workspaces.id, workspaceId)))
    .limit(1);
  return row ?? null;
}

export async function listWorkspaces(db: Executor, companyId: string): Promise<Workspace[]> {
  return db
    .select()
    .from(workspaces)
    .where(eq(workspaces.companyId, companyId))
    .orderBy(asc(workspaces.createdAt), asc(workspaces.id));
}

export async function insertPermissionSet(
  db: Executor,
  set: { id: string; companyId: string; name: string; permissions: string[] },
): Promise<PermissionSet> {
  const [row] = await db.insert(permissionSets).values(set).returning();
  return row!;
}

export async function findPermissionSet(
  db: Executor,
  companyId: string,
  permissionSetId: string,
): Promise<PermissionSet | null> {
  const [row] = await db
    .select()
    .from(permissionSets)
    .where(and(eq(permissionSets.companyId, companyId), eq(permissionSets.id, permissionSetId)))
    .limit(1);
  return row ?? null;
}

export async function listPermissionSets(db: Executor, companyId: string): Promise<PermissionSet[]> {
  return db
    .select()
    .from(permissionSets)
    .where(eq(permissionSets.companyId, companyId))
    .orderBy(asc(permissionSets.createdAt), asc(permissionSets.id));
}
