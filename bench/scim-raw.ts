/**
 * The database's own speed, the SCIM benchmark's reference: what a bare postgres.js client (prepared
 * statements, its default) gets for the work under each SCIM request, on the same tables of the same
 * database, at the same concurrency, in the same run. No HTTP, no token, no audit: the ceiling.
 */
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import type { LoadResult } from './scim-http.js';
import { closedLoop } from './scim-http.js';

/** The indexed lookup behind `userName eq`: one user by (company_id, lower-cased userName). */
export function rawLookup(sql: postgres.Sql, companyId: string, count: number, concurrency: number, userName: (i: number) => string): Promise<LoadResult> {
  return closedLoop(concurrency, count, async (_, i) => {
    const rows = await sql`select * from directory_users where company_id = ${companyId} and user_name_lower = ${userName(i).toLowerCase()}`;
    if (rows.length !== 1) throw new Error(`raw lookup found ${rows.length} rows`);
  });
}

/** The transaction behind a create: is the userName taken? if not, insert the user. */
export function rawCreate(sql: postgres.Sql, companyId: string, count: number, concurrency: number, userName: (i: number) => string): Promise<LoadResult> {
  return closedLoop(concurrency, count, async (_, i) => {
    const name = userName(i);
    const lower = name.toLowerCase();
    await sql.begin(async (tx) => {
      const taken = await tx`select 1 from directory_users where company_id = ${companyId} and user_name_lower = ${lower}`;
      if (taken.length > 0) throw new Error(`${name} is taken`);
      await tx`
        insert into directory_users (id, company_id, user_name, user_name_lower, active, attributes, emails_lower)
        values (${randomUUID()}, ${companyId}, ${name}, ${lower}, true, ${sql.json({ emails: [{ value: name, type: 'work', primary: true }] })}::jsonb, ${`{"${lower}"}`}::text[])`;
    });
  });
}
