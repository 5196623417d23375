/**
 * Everything the JIT rules read about one person, in one prepared statement: on every sign-in,
 * inside its transaction, right after the directory lock. It was seven statements sent together;
 * each cost a socket write, a driver round and drizzle's rendering, which on one core weighed more
 * than the whole signature check. The conditions are those of the single-purpose lookups
 * (findJitSettings, findUserByEmail, domainHasConfirmedUser, findDomainException,
 * hasActiveScimToken, findDirectoryUserByEmail, isDeletedFromDirectory). Some have other callers;
 * findDomainException, findDirectoryUserByEmail and isDeletedFromDirectory are kept as the readable
 * reference test/store/jit-context.test.ts holds this statement to, on both databases.
 *
 * One text for every input: without an email its parameters are null, and a comparison with null
 * matches nothing, which is what the single lookups answer then (no user, no domain, no entry).
 */
import { getTableColumns, sql } from 'drizzle-orm';
import type { DomainException } from './access.js';
import type { Executor } from './db.js';
import type { JitSettingsRow } from './jit.js';
import { domainExceptions, jitSettings, users } from './schema.js';
import { rowCodec, run, statement } from './statements.js';
import type { User } from './users.js';

const settingsCodec = rowCodec<JitSettingsRow>(getTableColumns(jitSettings));
const userCodec = rowCodec<User>(getTableColumns(users));
const exceptionCodec = rowCodec<DomainException>(getTableColumns(domainExceptions));
const widths = [getTableColumns(jitSettings), getTableColumns(users), getTableColumns(domainExceptions)].map((c) => Object.keys(c).length) as [number, number, number];

const company = sql.placeholder('company');
const email = sql.placeholder('email');
const domain = sql.placeholder('domain');
const form1 = sql.placeholder('form1');
const form2 = sql.placeholder('form2');
/** Rule 6's match (as directory.ts's matchesIdentity): userName, externalId or any email among the forms. */
const matches = (t: string) =>
  sql`(${sql.identifier(t)}.user_name_lower in (${form1}, ${form2}) or lower(${sql.identifier(t)}.external_id) in (${form1}, ${form2}) or ${sql.identifier(t)}.emails_lower && array[${form1}, ${form2}]::text[])`;

export interface JitContextRow {
  settings: JitSettingsRow | null;
  user: User | null;
  exception: DomainException | null;
  domainHasUser: boolean;
  syncEnabled: boolean;
  entry: { id: string; active: boolean } | null;
  deleted: boolean;
}

const READ = statement<JitContextRow>(
  'jit_context_v1',
  sql`select ${settingsCodec.select('s')}, ${userCodec.select('u')}, ${exceptionCodec.select('x')},
      exists(select 1 from users c where c.company_id = ${company} and c.email_domain = ${domain}
        and c.status = 'active' and c.confirmed_at is not null and c.is_impersonation = false),
      exists(select 1 from scim_tokens t where t.company_id = ${company} and t.revoked_at is null),
      (select json_build_object('id', d.id, 'active', d.active)::text from directory_users d
        where d.company_id = ${company} and ${matches('d')}
        order by (d.user_name_lower in (${form1}, ${form2})) desc, d.seq asc limit 1),
      exists(select 1 from directory_user_deletions g where g.company_id = ${company} and ${matches('g')})
    from companies co
    left join jit_settings s on s.company_id = co.id
    left join users u on u.company_id = co.id and u.email_normalized = ${email}
    left join domain_exceptions x on x.company_id = co.id and x.domain = ${domain}
    where co.id = ${company}
    limit 1`,
  (row) => {
    const [ws, wu, wx] = widths;
    const present = (offset: number) => row[offset] !== null && row[offset] !== undefined;
    const tail = ws + wu + wx;
    const entry = row[tail + 2];
    return {
      settings: present(0) ? settingsCodec.decode(row, 0) : null,
      user: present(ws) ? userCodec.decode(row, ws) : null,
      exception: present(ws + wu) ? exceptionCodec.decode(row, ws + wu) : null,
      domainHasUser: toBool(row[tail]),
      syncEnabled: toBool(row[tail + 1]),
      entry: typeof entry === 'string' ? (JSON.parse(entry) as { id: string; active: boolean }) : null,
      deleted: toBool(row[tail + 3]),
    };
  },
);

/** `email`: the normalised address and its domain; `directoryForms`: the directory's forms of it (one or two; empty without email). */
export async function readJitContextRow(
  db: Executor,
  companyId: string,
  address: { normalised: string; domain: string } | null,
  directoryForms: string[],
): Promise<JitContextRow | null> {
  const [first = null, second = first] = directoryForms;
  if (directoryForms.length > 2) throw new Error('readJitContextRow: at most two directory forms');
  const [row] = await run(db, READ, {
    company: companyId,
    email: address?.normalised ?? null,
    domain: address?.domain ?? null,
    form1: first,
    form2: second,
  });
  return row ?? null;
}

/** A boolean from either driver (PGlite parses it; postgres.js too, but without fetch_types a raw expression may come back as text). */
function toBool(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}
