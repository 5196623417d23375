/**
 * Large SCIM group pushes (issue 9, point 11): a whole mapped group PUT over HTTP costs a constant
 * number of statements, whatever its size; every member lands, their dashboard accounts get the
 * mapped workspace, a PATCH removes exactly what it names, and an id of another company refuses the
 * whole push with nothing written. Group bodies may reach 8 MiB (a 50,000-member push is about 3 MB).
 * The directory is seeded in one statement; the pushes themselves go through the app.
 */
import { and, count, eq } from 'drizzle-orm';
import type { Logger } from 'drizzle-orm';
import type { PGlite } from '@electric-sql/pglite';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_GROUP_BODY_LIMIT_BYTES } from '../../src/http/routes/scim.js';
import type { Db, DatabaseHandle } from '../../src/store/db.js';
import { auditEvents, directoryGroupMembers, memberships, schema, users } from '../../src/store/schema.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { seedDirectory } from '../support/directory-seed.js';
import { expectScimError, scim, scimToken } from '../support/scim.js';

let handle: DatabaseHandle;
let app: TestApp;
/** Statements sent through `app`. */
let statements = 0;

/** The same client as `handle`, with a logger that counts statements. */
async function countingDb(database: DatabaseHandle): Promise<Db> {
  const client = (database.db as unknown as { $client: unknown }).$client;
  const logger: Logger = { logQuery: () => void statements++ };
  if (database.kind === 'postgres') {
    const { drizzle } = await import('drizzle-orm/postgres-js');
    return drizzle(client as Sql, { schema, logger }) as unknown as Db;
  }
  const { drizzle } = await import('drizzle-orm/pglite');
  return drizzle(client as PGlite, { schema, logger }) as unknown as Db;
}

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp({ ...handle, db: await countingDb(handle) });
});
afterAll(async () => {
  await handle?.close();
});

interface Mapped {
  company: TestCompany;
  token: string;
  base: string;
  groupId: string;
  workspaceId: string;
  ids: string[];
  accountEmails: string[];
}

/** A company with `size` directory users (every other one with a dashboard account) and an empty group mapped to a new workspace. */
async function mappedGroup(size: number): Promise<Mapped> {
  const company = await setupCompany(app, 'Push Co');
  const { token, base } = await scimToken(app, company);
  const { ids, accountEmails } = await seedDirectory(handle.db, company.id, { count: size, domain: 'push.example', accountsEvery: 2 });
  const workspaceId = (await call(app, 'POST', `/api/companies/${company.id}/workspaces`, { token: company.key, body: { name: 'Engineering' } })).json.id;
  const group = await scim(app, token, 'POST', `${base}/Groups`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering' });
  expect(group.status, group.text).toBe(201);
  const mapped = await call(app, 'PUT', `/api/companies/${company.id}/scim/group-mappings/${group.json.id}`, {
    token: company.key,
    body: { workspaceId, permissionSetId: company.permissionSetId },
  });
  expect(mapped.status, mapped.text).toBe(200);
  return { company, token, base, groupId: group.json.id, workspaceId, ids, accountEmails };
}

const groupBody = (memberIds: string[]) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  displayName: 'Engineering',
  members: memberIds.map((value) => ({ value })),
});

async function push(m: Mapped, memberIds: string[]) {
  return scim(app, m.token, 'PUT', `${m.base}/Groups/${m.groupId}`, groupBody(memberIds));
}

async function storedMembers(m: Mapped): Promise<string[]> {
  const rows = await handle.db.select({ id: directoryGroupMembers.userId }).from(directoryGroupMembers).where(eq(directoryGroupMembers.groupId, m.groupId));
  return rows.map((r) => r.id).sort();
}

/** Normalised emails of the accounts with a membership in the mapped workspace. */
async function workspaceMembers(m: Mapped): Promise<string[]> {
  const rows = await handle.db
    .select({ email: users.emailNormalized })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.companyId, m.company.id), eq(memberships.workspaceId, m.workspaceId)));
  return rows.map((r) => r.email).sort();
}

async function setByGroupEvents(m: Mapped): Promise<number> {
  const [row] = await handle.db
    .select({ n: count() })
    .from(auditEvents)
    .where(and(eq(auditEvents.companyId, m.company.id), eq(auditEvents.action, 'membership.set_by_group')));
  return row!.n;
}

describe('large SCIM group pushes', () => {
  it('a 2,000-member push onto a mapped group: every member lands, their accounts get the workspace, a PATCH removes exactly 500', async () => {
    const m = await mappedGroup(2000);
    const res = await push(m, m.ids);
    expect(res.status, res.text).toBe(200);
    expect(res.json.members).toHaveLength(2000);
    expect(await storedMembers(m)).toEqual([...m.ids].sort());
    const got = await scim(app, m.token, 'GET', `${m.base}/Groups/${m.groupId}`);
    expect(got.json.members.map((x: { value: string }) => x.value).sort()).toEqual([...m.ids].sort());
    // The 1,000 members with an account, and only they, are now in the mapped workspace; one event each.
    expect(m.accountEmails).toHaveLength(1000);
    expect(await workspaceMembers(m)).toEqual([...m.accountEmails].sort());
    expect(await setByGroupEvents(m)).toBe(1000);
    const page = await call(app, 'GET', `/api/companies/${m.company.id}/audit-events?action=membership.set_by_group&limit=1`, { token: m.company.key });
    expect(page.json.events[0]).toMatchObject({ actor: { type: 'scim' }, target: { type: 'user' }, data: { groupId: m.groupId, workspaceId: m.workspaceId, permissionSetId: m.company.permissionSetId } });

    // Pushing the same group again changes nothing and records nothing new.
    expect((await push(m, m.ids)).status).toBe(200);
    expect(await setByGroupEvents(m)).toBe(1000);

    // Entra's removal by value, 500 members in one operation.
    const gone = m.ids.filter((_, i) => i % 4 === 1);
    expect(gone).toHaveLength(500);
    const patch = await scim(app, m.token, 'PATCH', `${m.base}/Groups/${m.groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'remove', path: 'members', value: gone.map((value) => ({ value })) }],
    });
    expect(patch.status, patch.text).toBe(204);
    const goneSet = new Set(gone);
    expect(await storedMembers(m)).toEqual(m.ids.filter((id) => !goneSet.has(id)).sort());
    // Losing the group never removes the access it gave.
    expect(await workspaceMembers(m)).toEqual([...m.accountEmails].sort());
  });

  it('a member id of another company refuses the whole push (400 invalidValue) and writes nothing', async () => {
    const m = await mappedGroup(2000);
    const other = await setupCompany(app, 'Other Co');
    const [foreign] = (await seedDirectory(handle.db, other.id, { count: 1, domain: 'other.example' })).ids;
    const res = await push(m, [...m.ids.slice(0, 1000), foreign!, ...m.ids.slice(1000)]);
    expectScimError(res, 400, 'invalidValue');
    expect(res.json.detail).toContain(foreign);
    expect(await storedMembers(m)).toEqual([]);
    expect(await workspaceMembers(m)).toEqual([]);
    expect(await setByGroupEvents(m)).toBe(0);
    const created = await scim(app, m.token, 'POST', `${m.base}/Groups`, { ...groupBody([foreign!, ...m.ids]), displayName: 'Elsewhere' });
    expectScimError(created, 400, 'invalidValue');
    expect((await scim(app, m.token, 'GET', `${m.base}/Groups`)).json.totalResults).toBe(1);
    // Ids that are no one's, whatever characters they carry, are unknown too (the list travels as one array literal).
    const odd = ['not-a-uuid', 'a"b\\c', '{x,y}', 'NULL', ' '];
    const refused = await push(m, [...odd, ...m.ids]);
    expectScimError(refused, 400, 'invalidValue');
    expect(refused.json.detail).toBe(`Unknown member user id(s): ${odd.join(', ')}`);
    expect(await storedMembers(m)).toEqual([]);
  });

  it('costs the same number of statements for 20 members as for 2,000', async () => {
    const measure = async (size: number) => {
      const m = await mappedGroup(size);
      const before = statements;
      expect((await push(m, m.ids)).status).toBe(200);
      const forPush = statements - before;
      const removing = statements;
      const patch = await scim(app, m.token, 'PATCH', `${m.base}/Groups/${m.groupId}`, {
        Operations: [{ op: 'remove', path: 'members', value: m.ids.slice(0, size / 2).map((value) => ({ value })) }],
      });
      expect(patch.status).toBe(204);
      return { push: forPush, patch: statements - removing };
    };
    const small = await measure(20);
    const large = await measure(2000);
    expect(large).toEqual(small);
    expect(large.push).toBeLessThan(20);
  });

  it('takes a 25,000-member push (more rows than 65,535 bind parameters allow, a body over 1 MiB) in one go', async () => {
    const m = await mappedGroup(25_000);
    const body = JSON.stringify(groupBody(m.ids));
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const res = await push(m, m.ids);
    expect(res.status, res.text).toBe(200);
    expect((await storedMembers(m)).length).toBe(25_000);
    expect((await workspaceMembers(m)).length).toBe(12_500);
  }, 120_000);

  it('refuses a Group body over 8 MiB with 413 in SCIM form; Users keep the 1 MiB limit', async () => {
    const m = await mappedGroup(1);
    const oversized = JSON.stringify({ ...groupBody(m.ids), externalId: 'x'.repeat(SCIM_GROUP_BODY_LIMIT_BYTES) });
    expectScimError(await scim(app, m.token, 'PUT', `${m.base}/Groups/${m.groupId}`, oversized), 413);
    expectScimError(await scim(app, m.token, 'POST', `${m.base}/Groups`, oversized), 413);
    expectScimError(await scim(app, m.token, 'POST', `${m.base}/Users`, { userName: 'x'.repeat(1024 * 1024) }), 413);
    expect(await storedMembers(m)).toEqual([]);
  });
});
