/** Connections whose IdP metadata is fetched from a URL: claiming the due refreshes, recording their outcome. */
import { and, asc, eq, inArray, isNotNull, lte } from 'drizzle-orm';
import type { Executor } from './db.js';
import type { SamlConnection, SamlConnectionPatch } from './saml.js';
import { samlConnections } from './schema.js';

/**
 * Takes up to `limit` connections whose refresh is due and moves their next refresh to `next`, in one
 * statement: rows another instance is claiming are skipped (SKIP LOCKED), and a row it has claimed is
 * no longer due, so two instances never refresh the same connection in one period.
 */
export async function claimDueMetadataRefreshes(db: Executor, now: Date, next: Date, limit: number): Promise<SamlConnection[]> {
  const due = db
    .select({ id: samlConnections.id })
    .from(samlConnections)
    .where(and(isNotNull(samlConnections.metadataUrl), lte(samlConnections.metadataNextRefreshAt, now)))
    .orderBy(asc(samlConnections.metadataNextRefreshAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(samlConnections)
    .set({ metadataNextRefreshAt: next })
    .where(inArray(samlConnections.id, due))
    .returning();
}

/**
 * Records a refresh's outcome, only while the connection still uses the URL that was fetched (an
 * admin who saved another configuration meanwhile wins); null when it no longer does. `changedAt`
 * moves updated_at when the IdP's settings changed (a refresh that finds nothing new leaves it).
 */
export async function recordMetadataRefresh(
  db: Executor,
  connectionId: string,
  metadataUrl: string,
  patch: SamlConnectionPatch,
  changedAt: Date | null,
): Promise<SamlConnection | null> {
  const [row] = await db
    .update(samlConnections)
    .set({ ...patch, ...(changedAt ? { updatedAt: changedAt } : {}) })
    .where(and(eq(samlConnections.id, connectionId), eq(samlConnections.metadataUrl, metadataUrl)))
    .returning();
  return row ?? null;
}
