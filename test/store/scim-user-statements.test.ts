/**
 * The SCIM /Users statements (src/store/scim-user-statements.ts) on every backend: the one-statement
 * list agrees with the drizzle-built query for every filter shape, the token gate lets nothing through
 * without the right token, the one-statement create writes nothing when it must leave the decision to
 * the transaction, and the audit rows written inside a statement are the ones recordAudit writes.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newId } from '../../src/crypto.js';
import { parseFilter, parseUserInput } from '../../src/scim/index.js';
import type { AuditInput } from '../../src/store/audit.js';
import { recordAudit } from '../../src/store/audit.js';
import { auditRowsJson, insertAuditRows } from '../../src/store/audit-rows.js';
import { insertCompany } from '../../src/store/companies.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { insertDirectoryUser, insertScimToken, pageDirectoryUsers, recordDirectoryUserDeletion, revokeScimToken } from '../../src/store/directory.js';
import { auditEvents, directoryUserDeletions, directoryUsers, events } from '../../src/store/schema.js';
import { compileFilter, filterToSql, uniqueUserKey, userFilterTarget } from '../../src/store/scim-filter-sql.js';
import type { TokenCheck } from '../../src/store/scim-user-statements.js';
import { createUserAtOnce, findUserByKeyWithToken, findUserWithToken, insertUserWithToken, pageUsersWithToken, updateUserLocked } from '../../src/store/scim-user-statements.js';
import { run, statement, StatementCache } from '../../src/store/statements.js';
import { sql } from 'drizzle-orm';
import { availableBackends, openTestDatabase } from '../support/db.js';

const people = [
  { userName: 'Ana@Example.com', active: true, name: { givenName: 'Ana', familyName: 'Lima' }, emails: [{ value: 'ana@example.com', type: 'work', primary: true }], externalId: 'A-1', title: 'Engineer' },
  { userName: 'bob@example.com', active: false, name: { givenName: 'Bob', familyName: 'Stone' }, emails: [{ value: 'bob@home.example', type: 'home' }, { value: 'bob@example.com', type: 'work' }], externalId: 'a-1' },
  { userName: 'carla', active: true, displayName: 'Carla Dias', emails: [], 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '007', department: 'Sales' } },
  { userName: 'dan%_@example.org', active: true, name: { familyName: "O'Neil" }, emails: [{ value: 'Dan@Example.org', type: 'work' }] },
  { userName: 'eve@example.com', active: true, title: '', externalId: null },
];

const filters = [
  'userName eq "ana@example.com"',
  'userName eq "ANA@EXAMPLE.COM"',
  'userName eq "nobody"',
  'userName ne "carla"',
  'userName co "%_"',
  'id pr',
  'externalId eq "A-1"',
  'externalId pr',
  'not (externalId pr)',
  'active eq false',
  'active eq true and userName sw "d"',
  'emails[value eq "BOB@example.com"]',
  'emails[type eq "work" and value co "example.com"]',
  'emails.value eq "dan@example.org"',
  'emails pr',
  'name.familyName eq "o\'neil"',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "007"',
  '(userName eq "carla" or userName eq "eve@example.com") and not (active eq false)',
  'meta.created gt "2000-01-01T00:00:00Z"',
  'displayName eq null',
];

const at = new Date('2031-03-01T10:00:00.123Z');
const scimActor = { type: 'scim' as const, id: 'scim_test' };
const userAudit = (companyId: string, id: string, userName: string, action: AuditInput['action'] = 'directory_user.created'): AuditInput => ({
  companyId,
  actor: scimActor,
  action,
  targetType: 'directory_user',
  targetId: id,
  data: { userName, active: true },
});

describe.each(availableBackends)('SCIM user statements on %s', (backend) => {
  let handle: DatabaseHandle;
  let companyId: string;
  let otherCompanyId: string;
  let check: TokenCheck;
  let ids: string[];

  beforeAll(async () => {
    handle = await openTestDatabase(backend);
    companyId = (await insertCompany(handle.db, { id: newId('cmp'), name: 'Statements' })).id;
    otherCompanyId = (await insertCompany(handle.db, { id: newId('cmp'), name: 'Statements other' })).id;
    const tokenId = newId('scim');
    await insertScimToken(handle.db, { id: tokenId, companyId, secretHash: hashSecret('right'), label: null });
    check = { tokenId, secretHash: hashSecret('right'), companyId };
    ids = [];
    for (const person of people) {
      const data = parseUserInput(person);
      const row = await insertDirectoryUser(handle.db, { id: randomUUID(), companyId, ...data, userNameLower: data.userName.toLowerCase(), createdAt: at, updatedAt: at });
      ids.push(row.id);
    }
  });
  afterAll(async () => {
    await handle?.close();
  });

  it.each(filters)('lists %s as the drizzle-built query does, total included', async (text) => {
    const filter = parseFilter(text);
    for (const page of [{ offset: 0, limit: 100 }, { offset: 0, limit: 1 }, { offset: 1, limit: 2 }, { offset: 0, limit: 0 }]) {
      const expected = await pageDirectoryUsers(handle.db, companyId, filterToSql(filter, userFilterTarget), page);
      const got = await pageUsersWithToken(handle.db, check, compileFilter(filter, userFilterTarget), page);
      expect(got.token).toEqual({ companyId, secretHash: check.secretHash });
      expect(got.total).toBe(expected.total);
      expect(got.rows).toEqual(expected.rows);
    }
  });

  it('finds by the unique keys what the filters find', async () => {
    for (const text of ['userName eq "ANA@example.com"', 'userName eq "nobody"', `id eq "${ids[2]}"`]) {
      const filter = parseFilter(text);
      const key = uniqueUserKey(filter)!;
      expect(key).not.toBeNull();
      const expected = await pageDirectoryUsers(handle.db, companyId, filterToSql(filter, userFilterTarget), { offset: 0, limit: 100 });
      const got = await findUserByKeyWithToken(handle.db, check, key.by, key.value);
      expect(got.row ? [got.row] : []).toEqual(expected.rows);
    }
    for (const text of ['userName ne "x"', 'emails eq "x"', 'userName eq null', 'userName eq "a" and active eq true', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName eq "a"']) {
      let key: unknown = 'threw';
      try {
        key = uniqueUserKey(parseFilter(text));
      } catch {
        // a filter the parser refuses has no unique key either
      }
      expect(key, text).not.toEqual(expect.objectContaining({ by: expect.any(String) }));
    }
  });

  it('gives filters of one shape one statement, and values their own parameters', () => {
    const a = compileFilter(parseFilter('userName eq "a" and active eq true'), userFilterTarget);
    const b = compileFilter(parseFilter('userName eq "b" and active eq false'), userFilterTarget);
    const c = compileFilter(parseFilter('userName eq null and active eq false'), userFilterTarget);
    expect(a.shape).toBe(b.shape);
    expect(a.shape).not.toBe(c.shape);
    expect(a.values).toEqual({ f0: 'a', f1: true });
    expect(b.values).toEqual({ f0: 'b', f1: false });
  });

  it('reads and writes nothing without the right token, and says which token it saw', async () => {
    const filter = compileFilter(parseFilter('userName pr'), userFilterTarget);
    const wrong = { ...check, secretHash: hashSecret('wrong') };
    const elsewhere = { ...check, companyId: otherCompanyId };
    const unknown = { ...check, tokenId: newId('scim') };
    for (const [probe, token] of [
      [wrong, { companyId, secretHash: check.secretHash }],
      [elsewhere, { companyId, secretHash: check.secretHash }],
      [unknown, null],
    ] as const) {
      const page = await pageUsersWithToken(handle.db, probe, filter, { offset: 0, limit: 100 });
      expect(page).toEqual({ token, total: 0, rows: [] });
      expect(await findUserWithToken(handle.db, probe, ids[0]!)).toEqual({ token, row: null });
      expect(await findUserByKeyWithToken(handle.db, probe, 'userNameLower', 'ana@example.com')).toEqual({ token, row: null });
      const name = `gate-${randomUUID()}@example.com`;
      const data = { userName: name, userNameLower: name, externalId: null, active: true, displayName: null, attributes: {} };
      expect(await createUserAtOnce(handle.db, probe, randomUUID(), data, at, [], [userAudit(probe.companyId, 'x', name)])).toEqual({ token, row: null });
      expect((await handle.db.transaction((tx) => insertUserWithToken(tx, probe, randomUUID(), data, at, []))).row).toBeNull();
      const written = await handle.db.select().from(directoryUsers).where(eq(directoryUsers.userNameLower, name));
      expect(written).toEqual([]);
      expect(await handle.db.select().from(auditEvents).where(eq(auditEvents.targetId, 'x'))).toEqual([]);
    }
  });

  it('creates in one statement only when no user with that userName is visible', async () => {
    const name = `once-${randomUUID()}@example.com`;
    await recordDirectoryUserDeletion(handle.db, { companyId, userNameLower: name, externalId: null, emailsLower: [name] }, at);
    const data = { userName: name, userNameLower: name, externalId: null, active: true, displayName: null, attributes: { emails: [{ value: name }] } };
    const id = randomUUID();
    const created = await createUserAtOnce(handle.db, check, id, data, at, [`directory:${companyId}:${name}`], [userAudit(companyId, id, name)]);
    expect(created.row).toMatchObject({ id, companyId, userName: name, emailsLower: [name], version: 1, createdAt: at, updatedAt: at });
    // The tombstone went with it, and the audit and its event were written.
    expect(await handle.db.select().from(directoryUserDeletions).where(eq(directoryUserDeletions.userNameLower, name))).toEqual([]);
    expect(await handle.db.select({ action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.targetId, id))).toEqual([{ action: 'directory_user.created' }]);
    // Taken: nothing written, the token accepted, the row left for the transaction to refuse.
    const again = await createUserAtOnce(handle.db, check, randomUUID(), { ...data, userName: name.toUpperCase() }, at, [], [userAudit(companyId, 'again', name)]);
    expect(again).toEqual({ token: { companyId, secretHash: check.secretHash }, row: null });
    expect(await handle.db.select().from(auditEvents).where(eq(auditEvents.targetId, 'again'))).toEqual([]);
  });

  it('updates under the locks with its audit, and not at all for a user that does not exist', async () => {
    const data = { userName: 'carla', userNameLower: 'carla', externalId: 'C-9', active: false, displayName: 'Carla', attributes: { emails: [{ value: 'Carla@X.example' }] } };
    const later = new Date('2031-03-02T10:00:00Z');
    const row = await updateUserLocked(handle.db, companyId, ids[2]!, data, later, [`directory:${companyId}:carla@x.example`], [userAudit(companyId, ids[2]!, 'carla', 'directory_user.deactivated')]);
    expect(row).toMatchObject({ id: ids[2], externalId: 'C-9', active: false, emailsLower: ['carla@x.example'], version: 2, updatedAt: later, createdAt: at });
    const audits = await handle.db.select({ action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.targetId, ids[2]!));
    expect(audits).toEqual([{ action: 'directory_user.deactivated' }]);
    const missing = randomUUID();
    expect(await updateUserLocked(handle.db, companyId, missing, data, later, [], [userAudit(companyId, missing, 'carla')])).toBeNull();
    expect(await handle.db.select().from(auditEvents).where(eq(auditEvents.targetId, missing))).toEqual([]);
  });

  it('writes the audit rows and events recordAudit writes', async () => {
    const targetId = `parity-${randomUUID()}`;
    const input: AuditInput = {
      companyId,
      actor: { type: 'scim', id: 'scim_\u0000actor' },
      action: 'directory_user.updated',
      targetType: 'directory_user',
      targetId,
      reason: 'why\ud800',
      data: { userName: 'a\u0000b', active: true, nested: { 'k\u0000': ['\udc00'] } },
    };
    const viaStatement = { ...input, targetId: `${targetId}-statement` };
    await recordAudit(handle.db, input);
    const write = statement('test_audit_rows', sql`with ${insertAuditRows()} select 1`, () => null);
    await run(handle.db, write, auditRowsJson([viaStatement]));
    const audit = async (targetId: string) => {
      const [row] = await handle.db.select().from(auditEvents).where(eq(auditEvents.targetId, targetId));
      const { id, seq, createdAt, lastAt, ...rest } = row!;
      expect(id).toMatch(/^evt_/);
      return { ...rest, targetId: null };
    };
    expect(await audit(`${targetId}-statement`)).toEqual(await audit(targetId));
    const event = async (targetId: string) => {
      const rows = await handle.db
        .select({ type: events.type, companyId: events.companyId, data: events.data, id: events.id })
        .from(events)
        .where(and(eq(events.companyId, companyId), sql`${events.data}->>'directoryUserId' = ${targetId}`))
        .orderBy(asc(events.written));
      expect(rows).toHaveLength(1);
      expect(rows[0]!.id).toMatch(/^ev_/);
      return { ...rows[0]!, id: null, data: { ...rows[0]!.data, directoryUserId: null } };
    };
    expect(await event(`${targetId}-statement`)).toEqual(await event(targetId));
  });

  it('sees a revocation at once', async () => {
    const tokenId = newId('scim');
    await insertScimToken(handle.db, { id: tokenId, companyId, secretHash: hashSecret('soon'), label: null });
    const soon = { tokenId, secretHash: hashSecret('soon'), companyId };
    expect((await findUserWithToken(handle.db, soon, ids[0]!)).row?.id).toBe(ids[0]);
    await revokeScimToken(handle.db, companyId, tokenId, at);
    expect(await findUserWithToken(handle.db, soon, ids[0]!)).toEqual({ token: null, row: null });
  });
});

describe('StatementCache', () => {
  it('keeps at most its capacity; past it, statements run unprepared', () => {
    const cache = new StatementCache<null>(2);
    const make = (n: number) => () => statement(`s${n}`, sql`select ${n}`, () => null);
    expect(cache.get('a', make(1)).name).toBe('s1');
    expect(cache.get('b', make(2)).name).toBe('s2');
    expect(cache.get('a', make(9)).name).toBe('s1');
    expect(cache.get('c', make(3)).name).toBeUndefined();
    expect(cache.get('c', make(3)).name).toBeUndefined();
  });
});
