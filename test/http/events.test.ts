/**
 * The event outbox and its feed, on both databases: each event comes from the change that causes it,
 * in its transaction (a change rolled back leaves no event); the feed pages by cursor without a gap or
 * a repeat while events are being written; bad queries get a clear 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/store/audit.js';
import { appendEvents } from '../../src/store/events.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { revokeUserSessions } from '../../src/store/sessions.js';
import { asOperator, call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { availableBackends, openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs } from '../support/saml.js';
import { oktaUser, scim, scimToken } from '../support/scim.js';
import { createTestIdp } from '../support/test-idp.js';

interface FeedEvent {
  id: string;
  type: string;
  companyId: string;
  occurredAt: string;
  cursor: number;
  data: Record<string, unknown>;
}

describe.each(availableBackends)('events on %s', (backend) => {
  let handle: DatabaseHandle;
  let app: TestApp;
  const idp = createTestIdp({ entityId: 'https://idp.test/events' });

  beforeAll(async () => {
    handle = await openTestDatabase(backend);
    app = makeApp(handle);
  });
  afterAll(async () => {
    await handle?.close();
  });

  /** Every event of the company, paging through the feed. */
  async function allEvents(company: TestCompany, query = '', limit = 7): Promise<FeedEvent[]> {
    const out: FeedEvent[] = [];
    let after = 0;
    for (;;) {
      const res = await call(app, 'GET', `/api/companies/${company.id}/events?after=${after}&limit=${limit}${query}`, { token: company.key });
      expect(res.status, res.text).toBe(200);
      out.push(...res.json.events);
      if (res.json.events.length === 0) return out;
      after = res.json.nextCursor;
    }
  }

  it('writes each event with the change that causes it: invitation, confirmation, JIT sign-in, refusal, directory changes, lock-out, session end', async () => {
    const company = await setupCompany(app, 'Eventful');
    await configureSaml(app, company, idp);
    const jonId = await confirmedUser(app, company, 'jon@eventful.example');
    const jit = await call(app, 'PUT', `/api/companies/${company.id}/security/jit`, {
      token: company.key,
      body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId },
    });
    expect(jit.status).toBe(200);
    const now = new Date();
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'ann@eventful.example', now))).status).toBe(303);
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'ann@elsewhere.example', now))).status).toBe(403);
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@eventful.example', now))).status).toBe(303);
    const { token, base } = await scimToken(app, company);
    const created = await scim(app, token, 'POST', `${base}/Users`, oktaUser('jon@eventful.example'));
    expect(created.status).toBe(201);
    const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };
    expect((await scim(app, token, 'PATCH', `${base}/Users/${created.json.id}`, patch)).status).toBe(200);
    const group = await scim(app, token, 'POST', `${base}/Groups`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales' });
    expect(group.status).toBe(201);

    const events = await allEvents(company);
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      'user.provisioned',
      'membership.created',
      'user.confirmed',
      'user.provisioned',
      'membership.created',
      'signin.succeeded',
      'signin.refused',
      'signin.succeeded',
      'directory.user.created',
      'directory.user.deactivated',
      'session.revoked',
      'user.suspended',
      'directory.group.created',
    ]);
    const [invited, invitedMembership, confirmed, provisioned, jitMembership, annSignIn, refused, , directoryUser, , revoked, suspended] = events;
    expect(invitedMembership!.data).toEqual({ userId: jonId, source: 'invitation', workspaceId: company.workspaceId, permissionSetId: company.permissionSetId });
    expect(jitMembership!.data).toEqual({ userId: provisioned!.data.userId, source: 'jit', workspaceId: company.workspaceId, permissionSetId: company.permissionSetId });
    expect(invited!.data).toMatchObject({ userId: jonId, how: 'invitation', email: 'jon@eventful.example' });
    expect(confirmed!.data).toEqual({ userId: jonId, via: 'invitation' });
    expect(provisioned!.data).toMatchObject({ how: 'jit', email: 'ann@eventful.example', workspaceId: company.workspaceId });
    expect(annSignIn!.data).toMatchObject({ userId: provisioned!.data.userId, provisioned: true, flow: 'idp_initiated' });
    expect(refused!.data).toMatchObject({ reason: 'domain_not_eligible', email: 'ann@elsewhere.example' });
    expect(directoryUser!.data).toEqual({ directoryUserId: created.json.id, userName: 'jon@eventful.example', active: true });
    expect(revoked!.data).toMatchObject({ userId: jonId });
    expect(suspended!.data).toMatchObject({ userId: jonId, reason: 'directory_user_inactive', directoryUserId: created.json.id });
    for (const e of events) {
      expect(e).toMatchObject({ companyId: company.id });
      expect(e.id).toMatch(/^ev_[0-9a-z]{16}$/);
    }
    // The cursors increase; the types filter keeps the order.
    expect(events.map((e) => e.cursor)).toEqual([...events.map((e) => e.cursor)].sort((a, b) => a - b));
    expect((await allEvents(company, '&types=signin.succeeded,signin.refused')).map((e) => e.type)).toEqual(['signin.succeeded', 'signin.refused', 'signin.succeeded']);
    // The operator's feed has them too, among every company's.
    const operator = await asOperator(app, 'GET', `/api/operator/events?after=${events[0]!.cursor - 1}&limit=1000`);
    expect(operator.status).toBe(200);
    const mine = operator.json.events.filter((e: FeedEvent) => e.companyId === company.id).map((e: FeedEvent) => e.id);
    expect(mine).toEqual(events.map((e) => e.id).filter((id) => mine.includes(id)));
    expect(mine.length).toBeGreaterThan(0);
  });

  it('a person deleted from the directory is suspended and deprovisioned, two events of the one change', async () => {
    const company = await setupCompany(app, 'Deprovisioned');
    const userId = await confirmedUser(app, company, 'gone@deprovisioned.example');
    const { token, base } = await scimToken(app, company);
    const created = await scim(app, token, 'POST', `${base}/Users`, oktaUser('gone@deprovisioned.example'));
    expect(created.status).toBe(201);
    const before = (await allEvents(company)).length;
    expect((await scim(app, token, 'DELETE', `${base}/Users/${created.json.id}`)).status).toBe(204);
    const after = (await allEvents(company)).slice(before);
    expect(after.map((e) => e.type)).toEqual(expect.arrayContaining(['directory.user.deleted', 'user.suspended', 'user.deprovisioned']));
    const suspended = after.find((e) => e.type === 'user.suspended')!;
    const deprovisioned = after.find((e) => e.type === 'user.deprovisioned')!;
    expect(deprovisioned.data).toEqual({ userId, reason: 'directory_user_deleted', directoryUserId: created.json.id });
    expect(deprovisioned.cursor).toBe(suspended.cursor + 1);
  });

  it('a group mapping that gives a workspace is membership.created; one that changes the permission set there is membership.updated', async () => {
    const company = await setupCompany(app, 'Mapped');
    const userId = await confirmedUser(app, company, 'vet@mapped.example');
    const ops = (await call(app, 'POST', `/api/companies/${company.id}/workspaces`, { token: company.key, body: { name: 'Ops' } })).json.id;
    const leads = (await call(app, 'POST', `/api/companies/${company.id}/permission-sets`, { token: company.key, body: { name: 'Leads', permissions: ['admin'] } })).json.id;
    const { token, base } = await scimToken(app, company);
    const person = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('vet@mapped.example'))).json.id;
    const opsTeam = (await scim(app, token, 'POST', `${base}/Groups`, { displayName: 'Ops team' })).json.id;
    const map = (workspaceId: string, permissionSetId: string) =>
      call(app, 'PUT', `/api/companies/${company.id}/scim/group-mappings/${opsTeam}`, { token: company.key, body: { workspaceId, permissionSetId } });
    const add = { Operations: [{ op: 'add', path: 'members', value: [{ value: person }] }] };
    expect((await map(ops, company.permissionSetId)).status).toBe(200);
    const before = (await allEvents(company)).length;
    expect((await scim(app, token, 'PATCH', `${base}/Groups/${opsTeam}`, add)).status).toBeLessThan(300);
    // The mapping now gives another permission set in the same workspace; the next push applies it.
    expect((await map(ops, leads)).status).toBe(200);
    expect((await scim(app, token, 'PATCH', `${base}/Groups/${opsTeam}`, add)).status).toBeLessThan(300);
    const membershipEvents = (await allEvents(company)).slice(before).filter((e) => e.type.startsWith('membership.'));
    expect(membershipEvents.map((e) => [e.type, e.data])).toEqual([
      ['membership.created', { userId, source: 'group_mapping', groupId: opsTeam, workspaceId: ops, permissionSetId: company.permissionSetId }],
      ['membership.updated', { userId, source: 'group_mapping', groupId: opsTeam, workspaceId: ops, permissionSetId: leads }],
    ]);
  });

  it('a change rolled back before commit leaves no event, and no event is left without its change', async () => {
    const company = await setupCompany(app, 'Rolled back');
    await configureSaml(app, company, idp);
    const jonId = await confirmedUser(app, company, 'jon@rolled.example');
    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@rolled.example', new Date()))).status).toBe(303);
    const before = (await allEvents(company)).length;
    await expect(
      handle.db.transaction(async (tx) => {
        await revokeUserSessions(tx, company.id, jonId, new Date());
        await recordAudit(tx, { companyId: company.id, actor: { type: 'system', id: 'test' }, action: 'user.suspended', targetType: 'user', targetId: jonId });
        throw new Error('forced failure after the change, before commit');
      }),
    ).rejects.toThrow('forced failure');
    expect(await allEvents(company)).toHaveLength(before);
    // The same change committed has both events.
    await handle.db.transaction(async (tx) => {
      await revokeUserSessions(tx, company.id, jonId, new Date());
      await recordAudit(tx, { companyId: company.id, actor: { type: 'system', id: 'test' }, action: 'user.suspended', targetType: 'user', targetId: jonId });
    });
    expect((await allEvents(company)).slice(before).map((e) => e.type)).toEqual(['session.revoked', 'user.suspended']);
  });

  it('pages without gaps or repeats while events are being written', async () => {
    const company = await setupCompany(app, 'Busy');
    const { token, base } = await scimToken(app, company);
    const writers = 40;
    let done = false;
    const writing = (async () => {
      // Several at once, so transactions commit out of the order their rows were written in.
      for (let i = 0; i < writers; i += 8) {
        await Promise.all(
          Array.from({ length: Math.min(8, writers - i) }, (_, j) => scim(app, token, 'POST', `${base}/Users`, oktaUser(`p${i + j}@busy.example`))),
        );
      }
      done = true;
    })();
    const seen: FeedEvent[] = [];
    let after = 0;
    for (;;) {
      const finished = done;
      const res = await call(app, 'GET', `/api/companies/${company.id}/events?after=${after}&limit=5`, { token: company.key });
      expect(res.status).toBe(200);
      seen.push(...res.json.events);
      after = res.json.nextCursor;
      if (finished && res.json.events.length === 0) break;
    }
    await writing;
    const created = seen.filter((e) => e.type === 'directory.user.created');
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    expect(created).toHaveLength(writers);
    expect(new Set(created.map((e) => e.data.userName)).size).toBe(writers);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.cursor).toBeGreaterThan(seen[i - 1]!.cursor);
  });

  it('a burst larger than one numbering batch is all in the feed at the next read', async () => {
    const company = await setupCompany(app, 'Burst');
    const burst = Array.from({ length: 12_000 }, (_, i) => ({ type: 'directory.user.created' as const, companyId: company.id, data: { n: i } }));
    await appendEvents(handle.db, burst);
    await appendEvents(handle.db, [{ type: 'signin.refused', companyId: company.id, data: { reason: 'marker' } }]);
    // One read: the event written after the burst is numbered, and so is everything before it.
    const once = await call(app, 'GET', `/api/companies/${company.id}/events?types=signin.refused`, { token: company.key });
    expect(once.json.events.map((e: FeedEvent) => e.data.reason)).toEqual(['marker']);
    const numbers = (await allEvents(company, '&types=directory.user.created', 1000)).map((e) => e.data.n);
    expect(numbers).toEqual(burst.map((_, i) => i));
  });

  it('refuses bad queries with a 400 naming the parameter, and the operator feed without the operator token', async () => {
    const company = await setupCompany(app, 'Strict');
    for (const [query, field] of [
      ['types=user.exploded', 'types'],
      ['after=-1', 'after'],
      ['after=abc', 'after'],
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
    ] as const) {
      const res = await call(app, 'GET', `/api/companies/${company.id}/events?${query}`, { token: company.key });
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.json.error), query).toContain(field);
    }
    expect((await call(app, 'GET', '/api/operator/events', { token: company.key })).status).toBe(401);
    const other = await setupCompany(app, 'Other');
    expect((await call(app, 'GET', `/api/companies/${other.id}/events`, { token: company.key })).status).toBe(404);
  });
});
