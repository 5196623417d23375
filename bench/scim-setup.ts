/**
 * The SCIM benchmark's setup (none of it measured): a database of its own beside DATABASE_URL's (so a
 * million-user directory never lands in the shared test database, and is dropped at the end), the
 * directory seeded straight into the product's tables, and the CPU placement: the server pinned to
 * core 0, this process (load generator and raw baselines) to core 1.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import postgres from 'postgres';
import { migrateDatabase } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/postgres.js';

export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

/** A fresh database on DATABASE_URL's server, migrated; `drop` removes it whatever is still connected. */
export async function benchDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${new URL(url).pathname.slice(1) || 'bridge'}_scim_bench_${process.pid}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.unsafe(`create database "${name}"`);
  const own = new URL(url);
  own.pathname = `/${name}`;
  const handle = openPostgres(own.toString(), { max: 1 });
  try {
    await migrateDatabase(handle);
  } finally {
    await handle.close();
  }
  return {
    url: own.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** Whether the server and the load can each have a core of their own (2 or more cores, and taskset). */
export function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of this process (JS, libuv's pool, V8's helpers) to the load core. */
export function pinThisProcess(): void {
  execFileSync('taskset', ['-a', '-c', '-p', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
}

/** The directory's seeded people: userName `person<i>@bench.example`, one work email `p<i>@work.example`. */
export const userNameOf = (i: number) => `person${i}@bench.example`;
export const emailOf = (i: number) => `p${i}@work.example`;

/**
 * Seeds people `from`..`to`-1 of the directory in one statement (generate_series), shaped like an
 * Okta create (name, one work email, externalId), then VACUUM ANALYZE so plans and index-only scans
 * see the table as it is.
 */
export async function seedDirectory(sql: postgres.Sql, companyId: string, from: number, to: number): Promise<void> {
  if (to <= from) return;
  await sql`
    insert into directory_users (id, company_id, user_name, user_name_lower, external_id, active, display_name, attributes, emails_lower)
    select gen_random_uuid()::text, ${companyId}, 'person' || i || '@bench.example', 'person' || i || '@bench.example', '00u' || i, true, 'Person ' || i,
      jsonb_build_object(
        'name', jsonb_build_object('givenName', 'Person', 'familyName', i::text),
        'emails', jsonb_build_array(jsonb_build_object('value', 'p' || i || '@work.example', 'type', 'work', 'primary', true))),
      array['p' || i || '@work.example']
    from generate_series(${from}::int, ${to - 1}::int) as i`;
  await sql.unsafe('vacuum analyze directory_users');
}

/** The ids of these seeded people (for PATCH), in the order asked. */
export async function idsOf(sql: postgres.Sql, companyId: string, people: readonly number[]): Promise<string[]> {
  const names = people.map(userNameOf);
  const rows = await sql<{ id: string; user_name_lower: string }[]>`
    select id, user_name_lower from directory_users where company_id = ${companyId} and user_name_lower = any(${names}::text[])`;
  const byName = new Map(rows.map((r) => [r.user_name_lower, r.id]));
  return names.map((n) => {
    const id = byName.get(n);
    if (!id) throw new Error(`${n} is not in the directory`);
    return id;
  });
}

/**
 * CPU time (user + system, µs) a process has used so far, from /proc (clock ticks of 10 ms: good to
 * about 1% over a row of the benchmark); null where there is no /proc.
 */
export function cpuMicros(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return null;
  }
}
