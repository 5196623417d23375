/**
 * The storage contract: the same behaviour on every backend (PGlite always, Postgres when
 * DATABASE_URL is set), including the invariants the database itself enforces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from '../../src/core/audit-actions.js';
import { newId } from '../../src/crypto.js';
import { insertDomainException, findActiveApiKey, insertApiKey, revokeApiKey } from '../../src/store/access.js';
import { listAudit, recordAggregatedAudit, recordAudit } from '../../src/store/audit.js';
import { insertCompany, insertPermissionSet, insertWorkspace, listWorkspaces } from '../../src/store/companies.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../src/store/errors.js';
import { countHit } from '../../src/store/rate-limits.js';
import { consumeSamlRequest, insertSamlConnection, insertSamlRequest, purgeExpiredSamlState, rememberAssertion } from '../../src/store/saml.js';
import { jitSettings, sessions } from '../../src/store/schema.js';
import { insertSession } from '../../src/store/sessions.js';
import { eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { insertDirectoryGroup, insertDirectoryUser, pageDirectoryGroups, pageDirectoryUsers } from '../../src/store/directory.js';
import { filterToSql, groupFilterTarget, userFilterTarget } from '../../src/store/scim-filter-sql.js';
import { parseFilter } from '../../src/scim/index.js';
import { ScimError } from '../../src/scim/types.js';
import {
  confirmInvitedUser,
  domainHasConfirmedUser,
  insertInvitation,
  insertMembership,
  insertUser,
  listUsers,
  markInvitationAccepted,
} from '../../src/store/users.js';
import { availableBackends, openTestDatabase } from '../support/db.js';

async function expectDbError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the database to refuse');
}

describe.each(availableBackends)('store contract on %s', (backend) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await handle?.close();
  });

  async function company() {
    const db = handle.db;
    const c = await insertCompany(db, { id: newId('cmp'), name: 'Decorumsoft' });
    const ws = await insertWorkspace(db, { id: newId('ws'), companyId: c.id, name: 'Main' });
    const ps = await insertPermissionSet(db, { id: newId('ps'), companyId: c.id, name: 'Members', permissions: ['a'] });
    return { id: c.id, ws: ws.id, ps: ps.id };
  }

  function user(companyId: string, email: string, extra: Partial<Parameters<typeof insertUser>[1]> = {}) {
    const [, domain] = email.split('@');
    return insertUser(handle.db, {
      id: newId('usr'),
      companyId,
      email,
      emailNormalized: email.toLowerCase(),
      emailDomain: domain!.toLowerCase(),
      status: 'invited',
      provisionedBy: 'invitation',
      ...extra,
    });
  }

  it('keeps one user per company and normalised email, but allows the same email in two companies', async () => {
    const a = await company();
    const b = await company();
    await user(a.id, 'jon.smith@decorumsoft.com');
    const error = await expectDbError(user(a.id, 'jon.smith@decorumsoft.com'));
    expect(isUniqueViolation(error, 'users_company_email_key')).toBe(true);
    await expect(user(b.id, 'jon.smith@decorumsoft.com')).resolves.toMatchObject({ companyId: b.id });
  });

  it('refuses a membership that joins a user of one company to a workspace of another', async () => {
    const a = await company();
    const b = await company();
    const u = await user(a.id, 'x@a.example');
    const error = await expectDbError(
      insertMembership(handle.db, { companyId: a.id, userId: u.id, workspaceId: b.ws, permissionSetId: a.ps }),
    );
    expect(isForeignKeyViolation(error)).toBe(true);
    const error2 = await expectDbError(
      insertMembership(handle.db, { companyId: b.id, userId: u.id, workspaceId: b.ws, permissionSetId: b.ps }),
    );
    expect(isForeignKeyViolation(error2)).toBe(true);
    await expect(
      insertMembership(handle.db, { companyId: a.id, userId: u.id, workspaceId: a.ws, permissionSetId: a.ps }),
    ).resolves.toMatchObject({ userId: u.id });
  });

  it('refuses JIT defaults that belong to another company, and enabling without defaults', async () => {
    const a = await company();
    const b = await company();
    const cross = await expectDbError(
      handle.db.insert(jitSettings).values({ companyId: a.id, enabled: true, defaultWorkspaceId: b.ws, defaultPermissionSetId: a.ps }),
    );
    expect(isForeignKeyViolation(cross)).toBe(true);
    await expectDbError(handle.db.insert(jitSettings).values({ companyId: a.id, enabled: true }));
    await handle.db.insert(jitSettings).values({ companyId: a.id, enabled: true, defaultWorkspaceId: a.ws, defaultPermissionSetId: a.ps });
  });

  it('keeps one exception per company and domain', async () => {
    const a = await company();
    const row = { companyId: a.id, domain: 'decorumsoft.eu', reason: 'merger', grantedBy: 'support' };
    await insertDomainException(handle.db, { id: newId('exc'), ...row });
    const error = await expectDbError(insertDomainException(handle.db, { id: newId('exc'), ...row }));
    expect(isUniqueViolation(error, 'domain_exceptions_company_domain_key')).toBe(true);
  });

  it('refuses an invited user marked confirmed, and a domain that does not match the email', async () => {
    const a = await company();
    await expectDbError(user(a.id, 'a@x.example', { confirmedAt: new Date(), confirmedVia: 'invitation' }));
    await expectDbError(
      insertUser(handle.db, {
        id: newId('usr'),
        companyId: a.id,
        email: 'a@x.example',
        emailNormalized: 'a@x.example',
        emailDomain: 'y.example',
        status: 'active',
        provisionedBy: 'jit',
      }),
    );
  });

  it('applies the domain rule: only active, confirmed, non-impersonation users with exactly that domain count', async () => {
    const a = await company();
    const now = new Date();
    await user(a.id, 'invited@decorumsoft.com');
    await user(a.id, 'imp@decorumsoft.com', { status: 'active', confirmedAt: now, confirmedVia: 'operator', isImpersonation: true, provisionedBy: 'impersonation' });
    await user(a.id, 'gone@decorumsoft.com', { status: 'suspended', confirmedAt: now, confirmedVia: 'invitation' });
    await user(a.id, 'sub@eu.decorumsoft.com', { status: 'active', confirmedAt: now, confirmedVia: 'invitation' });
    expect(await domainHasConfirmedUser(handle.db, a.id, 'decorumsoft.com')).toBe(false);
    const jon = await user(a.id, 'jon.smith@decorumsoft.com');
    expect(await confirmInvitedUser(handle.db, a.id, jon.id, 'invitation', now)).toMatchObject({ status: 'active' });
    expect(await domainHasConfirmedUser(handle.db, a.id, 'decorumsoft.com')).toBe(true);
    expect(await domainHasConfirmedUser(handle.db, a.id, 'decorumsoft.eu')).toBe(false);
    const other = await company();
    expect(await domainHasConfirmedUser(handle.db, other.id, 'decorumsoft.com')).toBe(false);
  });

  it('confirms an invited user and claims an invitation exactly once, even concurrently', async () => {
    const a = await company();
    const u = await user(a.id, 'once@a.example');
    const inv = await insertInvitation(handle.db, {
      id: newId('inv'),
      companyId: a.id,
      userId: u.id,
      tokenHash: newId('inv'),
      expiresAt: new Date(Date.now() + 60_000),
    });
    const claims = await Promise.all([1, 2, 3].map(() => markInvitationAccepted(handle.db, inv.id, new Date())));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const confirms = await Promise.all([1, 2].map(() => confirmInvitedUser(handle.db, a.id, u.id, 'invitation', new Date())));
    expect(confirms.filter((c) => c !== null)).toHaveLength(1);
  });

  it('scopes every read by company', async () => {
    const a = await company();
    const b = await company();
    await user(a.id, 'only-a@a.example');
    expect(await listUsers(handle.db, b.id, { limit: 10 })).toEqual([]);
    expect((await listWorkspaces(handle.db, b.id)).map((w) => w.id)).toEqual([b.ws]);
  });

  it('finds only unrevoked API keys', async () => {
    const a = await company();
    const id = newId('key');
    await insertApiKey(handle.db, { id, companyId: a.id, secretHash: 'ab'.repeat(32), label: null });
    expect(await findActiveApiKey(handle.db, id)).toMatchObject({ companyId: a.id });
    expect(await revokeApiKey(handle.db, a.id, id, new Date())).toBe(true);
    expect(await findActiveApiKey(handle.db, id)).toBeNull();
    expect(await revokeApiKey(handle.db, a.id, id, new Date())).toBe(false);
  });

  it('pages the audit log newest first without gaps or repeats', async () => {
    const a = await company();
    for (let i = 0; i < 7; i++) {
      await recordAudit(handle.db, { companyId: a.id, actor: { type: 'system', id: null }, action: AUDIT_ACTIONS[i]! });
    }
    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await listAudit(handle.db, a.id, { limit: 3, ...(before !== undefined ? { beforeSeq: before } : {}) });
      seen.push(...page.map((e) => e.action));
      if (page.length < 3) break;
      before = page[page.length - 1]!.seq;
    }
    expect(seen).toEqual(AUDIT_ACTIONS.slice(0, 7).reverse());
  });

  it('remembers an assertion once per company, and purges it after it expires', async () => {
    const a = await company();
    const b = await company();
    const t0 = new Date('2030-01-01T00:00:00Z');
    const entry = { companyId: a.id, connectionId: newId('saml'), assertionId: `_a${newId('req')}`, expiresAt: new Date(t0.getTime() + 60_000) };
    const firsts = await Promise.all([1, 2, 3].map(() => rememberAssertion(handle.db, entry)));
    expect(firsts.filter(Boolean)).toHaveLength(1);
    // The key is the company's: another connection of the same company sees a replay too.
    expect(await rememberAssertion(handle.db, { ...entry, connectionId: newId('saml') })).toBe(false);
    expect(await rememberAssertion(handle.db, { ...entry, companyId: b.id })).toBe(true);
    // Not yet expired: a purge keeps it, so it is still a replay.
    await purgeExpiredSamlState(handle.db, new Date(t0.getTime() + 30_000), { max: 1000, companyId: a.id });
    expect(await rememberAssertion(handle.db, entry)).toBe(false);
    const purged = await purgeExpiredSamlState(handle.db, new Date(t0.getTime() + 61_000), { max: 1000, companyId: a.id });
    expect(purged.assertions).toBe(1);
    // Company b's entry was out of scope and is still a replay.
    expect(await rememberAssertion(handle.db, { ...entry, companyId: b.id })).toBe(false);
    expect(await rememberAssertion(handle.db, entry)).toBe(true);
  });

  it('purges in bounded sweeps: at most `max` rows of each kind per call', async () => {
    const a = await company();
    const t0 = new Date('2031-01-01T00:00:00Z');
    for (let i = 0; i < 3; i++) {
      await rememberAssertion(handle.db, { companyId: a.id, connectionId: newId('saml'), assertionId: `_b${i}${newId('req')}`, expiresAt: t0 });
    }
    const later = new Date(t0.getTime() + 1000);
    expect((await purgeExpiredSamlState(handle.db, later, { max: 2, companyId: a.id })).assertions).toBe(2);
    expect((await purgeExpiredSamlState(handle.db, later, { max: 2, companyId: a.id })).assertions).toBe(1);
    expect((await purgeExpiredSamlState(handle.db, later, { max: 2, companyId: a.id })).assertions).toBe(0);
  });

  it('consumes an AuthnRequest once, only for its company and connection, of its kind, and before it expires', async () => {
    const a = await company();
    const b = await company();
    const t0 = new Date('2030-01-01T00:00:00Z');
    const connection = async (companyId: string, idpEntityId: string) =>
      (await insertSamlConnection(handle.db, { id: newId('saml'), companyId, name: idpEntityId, idpEntityId, ssoUrl: 'https://idp.test/sso', certificates: [] }, t0))!.id;
    const [a1, a2, b1] = [await connection(a.id, 'https://idp.test/1'), await connection(a.id, 'https://idp.test/2'), await connection(b.id, 'https://idp.test/1')];
    expect(await insertSamlConnection(handle.db, { id: newId('saml'), companyId: a.id, name: 'dup', idpEntityId: 'https://idp.test/1', ssoUrl: 'https://x.test', certificates: [] }, t0)).toBeNull();
    const id = `_r${newId('req')}`;
    await insertSamlRequest(handle.db, { id, companyId: a.id, connectionId: a1, relayState: '/x', browserBinding: 'f'.repeat(64), expiresAt: new Date(t0.getTime() + 600_000) });
    const target = { companyId: a.id, connectionId: a1, kind: 'authn' as const };
    expect(await consumeSamlRequest(handle.db, { companyId: b.id, connectionId: b1, kind: 'authn' }, id, t0)).toBeNull();
    expect(await consumeSamlRequest(handle.db, { ...target, connectionId: a2 }, id, t0)).toBeNull();
    expect(await consumeSamlRequest(handle.db, { ...target, kind: 'logout' }, id, t0)).toBeNull();
    expect(await consumeSamlRequest(handle.db, target, id, new Date(t0.getTime() + 600_001))).toBeNull();
    const wins = await Promise.all([1, 2, 3].map(() => consumeSamlRequest(handle.db, target, id, t0)));
    expect(wins.filter((w) => w !== null)).toEqual([{ relayState: '/x', browserBinding: 'f'.repeat(64) }]);
  });

  it('counts rate-limit hits exactly under concurrency, and starts a new window once one has ended', async () => {
    const key = `contract:${randomUUID()}`;
    const t0 = new Date('2030-02-01T00:00:00Z');
    const counts = await Promise.all(Array.from({ length: 10 }, () => countHit(handle.db, key, t0, 60_000)));
    expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(counts.map((c) => c.resetAt.toISOString()))).toEqual(new Set(['2030-02-01T00:01:00.000Z']));
    expect(await countHit(handle.db, key, new Date(t0.getTime() + 59_999), 60_000)).toEqual({ count: 11, resetAt: new Date('2030-02-01T00:01:00Z') });
    expect(await countHit(handle.db, key, new Date(t0.getTime() + 60_000), 60_000)).toEqual({ count: 1, resetAt: new Date('2030-02-01T00:02:00Z') });
  });

  it('adds concurrent aggregated audit events up on one row per key, beside ordinary rows', async () => {
    const a = await company();
    const at = new Date('2030-02-01T05:00:00Z');
    const event = { companyId: a.id, actor: { type: 'idp' as const, id: null }, action: 'saml.login_refused' as const, reason: 'malformed' };
    await Promise.all(Array.from({ length: 10 }, (_, i) => recordAggregatedAudit(handle.db, { ...event, data: { i }, aggregateKey: 'k1', at })));
    await recordAggregatedAudit(handle.db, { ...event, aggregateKey: 'k2', at });
    await recordAudit(handle.db, event);
    await recordAudit(handle.db, event);
    const rows = await listAudit(handle.db, a.id, { limit: 10 });
    expect(rows.map((r) => [r.aggregateKey, r.count])).toEqual([
      [null, 1],
      [null, 1],
      ['k2', 1],
      ['k1', 10],
    ]);
    expect(rows[3]).toMatchObject({ createdAt: at, lastAt: at });
  });

  it('records audit events whatever text they quote, NUL characters included', async () => {
    const a = await company();
    await recordAudit(handle.db, {
      companyId: a.id,
      actor: { type: 'idp', id: 'https://idp\u0000.example' },
      action: 'saml.login_refused',
      targetId: 'x\u0000y@example.com',
      reason: 'malformed',
      data: { detail: 'bad \u0000 byte', nested: ['\u0000'] },
    });
    const [event] = await listAudit(handle.db, a.id, { limit: 1 });
    expect(event).toMatchObject({ targetId: 'x\uFFFDy@example.com', data: { detail: 'bad \uFFFD byte', nested: ['\uFFFD'] } });
  });

  it('records audit events that quote unpaired surrogates, in every column and in JSON keys', async () => {
    const a = await company();
    await recordAudit(handle.db, {
      companyId: a.id,
      actor: { type: 'idp', id: 'https://idp\ud800.example' },
      action: 'saml.login_refused',
      targetId: 'x\udc00y@example.com',
      reason: 'malformed \ud83d',
      data: { detail: 'half \ud800 pair', nested: ['\udfff', { 'k\ud800': 'ok \ud83d\ude00' }] },
    });
    const [event] = await listAudit(handle.db, a.id, { limit: 1 });
    expect(event).toMatchObject({
      actorId: 'https://idp\uFFFD.example',
      targetId: 'x\uFFFDy@example.com',
      reason: 'malformed \uFFFD',
      data: { detail: 'half \uFFFD pair', nested: ['\uFFFD', { 'k\uFFFD': 'ok \ud83d\ude00' }] },
    });
  });

  it('purges sessions once they have expired, and only those', async () => {
    const a = await company();
    const now = new Date();
    const u = await user(a.id, `purge-${newId('req')}@a.example`, { status: 'active', confirmedAt: now, confirmedVia: 'invitation' });
    const old = await insertSession(handle.db, { id: newId('ses'), tokenHash: newId('ses'), companyId: a.id, userId: u.id, expiresAt: new Date(now.getTime() - 1000) });
    const live = await insertSession(handle.db, { id: newId('ses'), tokenHash: newId('ses'), companyId: a.id, userId: u.id, expiresAt: new Date(now.getTime() + 60_000) });
    const purged = await purgeExpiredSamlState(handle.db, now, { max: 1000, companyId: a.id });
    expect(purged.sessions).toBe(1);
    const left = await handle.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, u.id));
    expect(left.map((r) => r.id)).toEqual([live.id]);
    expect(left.map((r) => r.id)).not.toContain(old.id);
  });

  it('compares SCIM meta dates as instants on users and groups, with every operator', async () => {
    const a = await company();
    const day = (n: number) => new Date(Date.UTC(2031, 5, n, 12, 0, 0, 500));
    for (const n of [1, 2, 3]) {
      await insertDirectoryUser(handle.db, {
        id: randomUUID(), companyId: a.id, userName: `d${n}`, userNameLower: `d${n}`, externalId: null,
        active: true, displayName: null, attributes: {}, createdAt: day(n), updatedAt: day(n + 10),
      });
      await insertDirectoryGroup(handle.db, {
        id: randomUUID(), companyId: a.id, displayName: `g${n}`, displayNameLower: `g${n}`, externalId: null, createdAt: day(n), updatedAt: day(n + 10),
      });
    }
    const users = async (f: string) =>
      (await pageDirectoryUsers(handle.db, a.id, filterToSql(parseFilter(f), userFilterTarget), { offset: 0, limit: 10 })).rows.map((r) => r.userName).sort();
    const groups = async (f: string) =>
      (await pageDirectoryGroups(handle.db, a.id, filterToSql(parseFilter(f), groupFilterTarget), { offset: 0, limit: 10 })).rows.map((r) => r.displayName).sort();
    const cases: [string, number[]][] = [
      [`meta.created eq "${day(2).toISOString()}"`, [2]],
      ['meta.created eq "2031-06-02T14:00:00.500+02:00"', [2]],
      [`meta.created ne "${day(2).toISOString()}"`, [1, 3]],
      [`meta.created gt "${day(2).toISOString()}"`, [3]],
      [`meta.created ge "${day(2).toISOString()}"`, [2, 3]],
      ['meta.created lt "2031-06-02T12:00:00.500Z"', [1]],
      ['meta.created le "2031-06-02T12:00:00.500Z"', [1, 2]],
      ['meta.created pr', [1, 2, 3]],
      ['meta.lastModified gt "2031-06-12T00:00:00Z"', [2, 3]],
      [`meta.lastModified eq "${day(13).toISOString()}"`, [3]],
      ['meta.lastModified le "2031-06-11T12:00:00Z"', []],
      ['meta.lastModified pr', [1, 2, 3]],
    ];
    for (const [f, expected] of cases) {
      expect(await users(f), f).toEqual(expected.map((n) => `d${n}`));
      expect(await groups(f), f).toEqual(expected.map((n) => `g${n}`));
    }
  });

  it('refuses a SCIM date filter whose value is not a date-time, before any query', () => {
    for (const value of ['yesterday', '2031-02-30T00:00:00Z', '2031-06-01', '2031-13-01T00:00:00Z', '2031-06-01T25:00:00Z', '0000-01-01T00:00:00Z', '']) {
      for (const target of [userFilterTarget, groupFilterTarget]) {
        let error: unknown;
        try {
          filterToSql(parseFilter(`meta.created gt "${value}"`), target);
        } catch (e) {
          error = e;
        }
        expect(error, value).toBeInstanceOf(ScimError);
        expect(error, value).toMatchObject({ status: 400, scimType: 'invalidFilter' });
      }
    }
  });
});
