/**
 * A large directory written in one statement (setup for group-push tests and the benchmark, not what
 * they measure): `count` SCIM users `<prefix><i>@<domain>`, and a dashboard account for every
 * `accountsEvery`-th of them (0: none), so mapping effects have accounts to act on.
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../src/store/db.js';
import { directoryUsers } from '../../src/store/schema.js';

export interface SeededDirectory {
  /** The company's directory user ids in creation order (the seeded ones, for a company that had none). */
  ids: string[];
  /** The normalised emails of the seeded dashboard accounts, in the same order. */
  accountEmails: string[];
}

export async function seedDirectory(
  db: Executor,
  companyId: string,
  options: { count: number; prefix?: string; domain?: string; accountsEvery?: number },
): Promise<SeededDirectory> {
  const prefix = options.prefix ?? 'person';
  const domain = options.domain ?? 'seed.example';
  const every = options.accountsEvery ?? 1;
  const email = sql`${prefix} || i || '@' || ${domain}`;
  await db.execute(sql`
    insert into directory_users (id, company_id, user_name, user_name_lower, external_id, active, display_name, attributes, emails_lower)
    select gen_random_uuid()::text, ${companyId}, ${email}, ${email}, 'ext-' || i, true, 'Person ' || i,
           jsonb_build_object('emails', jsonb_build_array(jsonb_build_object('value', ${email}, 'type', 'work', 'primary', true))),
           array[${email}]
    from generate_series(1, ${options.count}::int) as i`);
  if (every > 0) {
    await db.execute(sql`
      insert into users (id, company_id, email, email_normalized, email_domain, status, confirmed_at, confirmed_via, provisioned_by)
      select 'usr_' || replace(gen_random_uuid()::text, '-', ''), ${companyId}, ${email}, ${email}, ${domain}, 'active', now(), 'scim', 'scim'
      from generate_series(1, ${options.count}::int) as i
      where i % ${every}::int = 0`);
  }
  const rows = await db
    .select({ id: directoryUsers.id })
    .from(directoryUsers)
    .where(eq(directoryUsers.companyId, companyId))
    .orderBy(asc(directoryUsers.seq));
  const accountEmails: string[] = [];
  for (let i = every; every > 0 && i <= options.count; i += every) accountEmails.push(`${prefix}${i}@${domain}`);
  return { ids: rows.map((r) => r.id), accountEmails };
}
