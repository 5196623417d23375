/** A company's JIT (Automatic user provisioning) settings. */
import { eq } from 'drizzle-orm';
import type { Executor } from './db.js';
import { jitSettings } from './schema.js';

export type JitSettingsRow = typeof jitSettings.$inferSelect;

export async function findJitSettings(db: Executor, companyId: string): Promise<JitSettingsRow | null> {
  const [row] = await db.select().from(jitSettings).where(eq(jitSettings.companyId, companyId)).limit(1);
  return row ?? null;
}

export async function upsertJitSettings(
  db: Executor,
  settings: Omit<typeof jitSettings.$inferInsert, 'updatedAt'>,
  at: Date,
): Promise<JitSettingsRow> {
  const { companyId, ...rest } = settings;
  const [row] = await db
    .insert(jitSettings)
    .values({ ...settings, updatedAt: at })
    .onConflictDoUpdate({ target: jitSettings.companyId, set: { ...rest, updatedAt: at } })
    .returning();
  return row!;
}
