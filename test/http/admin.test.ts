/** The company admin API: workspaces, permission sets, users and invitations, audit events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { asOperator, call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';

let handle: DatabaseHandle;
let app: TestApp;
let clock = new Date('2026-03-01T10:00:00Z');
beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => clock });
});
afterAll(async () => {
  await handle?.close();
});

const admin = (company: TestCompany, method: string, path: string, body?: unknown) =>
  call(app, method, `/api/companies/${company.id}${path}`, { token: company.key, ...(body !== undefined ? { body: body as never } : {}) });

async function invite(company: TestCompany, email: string) {
  const res = await admin(company, 'POST', '/users', { email, workspaceId: company.workspaceId, permissionSetId: company.permissionSetId });
  expect(res.status).toBe(201);
  return res.json;
}

function invitationPath(url: string) {
  const parsed = new URL(url);
  expect(parsed.origin).toBe('https://bridge.test');
  return parsed.pathname;
}

describe('workspaces and permission sets', () => {
  it('creates and lists them, refusing duplicate names case-insensitively', async () => {
    const company = await setupCompany(app);
    const ws = await admin(company, 'POST', '/workspaces', { name: 'Marketing' });
    expect(ws.status).toBe(201);
    expect(ws.json.id).toMatch(/^ws_/);
    const dup = await admin(company, 'POST', '/workspaces', { name: 'MARKETING' });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('workspace_name_taken');
    const list = await admin(company, 'GET', '/workspaces');
    expect(list.json.workspaces.map((w: { name: string }) => w.name)).toEqual(['Main', 'Marketing']);

    const ps = await admin(company, 'POST', '/permission-sets', { name: 'Admins', permissions: ['admin', 'admin', 'dashboards:write'] });
    expect(ps.status).toBe(201);
    expect(ps.json.permissions).toEqual(['admin', 'dashboards:write']);
    expect((await admin(company, 'POST', '/permission-sets', { name: 'admins', permissions: [] })).status).toBe(409);
    expect((await admin(company, 'GET', '/permission-sets')).json.permissionSets).toHaveLength(2);
  });

  it.each([
    ['/workspaces', { name: '' }],
    ['/workspaces', { name: ['x'] }],
    ['/permission-sets', { name: 'P' }],
    ['/permission-sets', { name: 'P', permissions: 'admin' }],
    ['/permission-sets', { name: 'P', permissions: ['Not Valid!'] }],
    ['/permission-sets', { name: 'P', permissions: Array.from({ length: 101 }, (_, i) => `p${i}`) }],
  ])('refuses bad input on %s: %j', async (path, body) => {
    const company = await setupCompany(app);
    const res = await admin(company, 'POST', path, body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_request');
    expect(res.json.error.issues.length).toBeGreaterThan(0);
  });
});

describe('users and invitations', () => {
  it('invites a user, whose invitation URL confirms them once', async () => {
    const company = await setupCompany(app);
    const invited = await invite(company, 'Jon.Smith@DecorumSoft.com');
    expect(invited).toMatchObject({
      status: 'invited',
      email: 'Jon.Smith@DecorumSoft.com',
      emailNormalized: 'jon.smith@decorumsoft.com',
      provisionedBy: 'invitation',
      confirmedAt: null,
      memberships: [{ workspaceId: company.workspaceId, permissionSetId: company.permissionSetId }],
    });
    const path = invitationPath(invited.invitationUrl);

    const page = await call(app, 'GET', path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post">');
    const stillInvited = await admin(company, 'GET', '/users?email=jon.smith@decorumsoft.com');
    expect(stillInvited.json.users[0].status).toBe('invited');

    const accepted = await call(app, 'POST', path);
    expect(accepted.status).toBe(200);
    expect(accepted.json).toMatchObject({ id: invited.id, status: 'active', confirmedVia: 'invitation', memberships: invited.memberships });
    const again = await call(app, 'POST', path);
    expect(again.status).toBe(410);
    expect(again.json.error.code).toBe('invitation_used');

    const listed = await admin(company, 'GET', `/users?email=${encodeURIComponent('JON.SMITH@decorumsoft.com')}`);
    expect(listed.json.users).toHaveLength(1);
    expect(listed.json.users[0]).toMatchObject({ status: 'active', provisionedBy: 'invitation', confirmedAt: clock.toISOString() });

    const audit = await admin(company, 'GET', '/audit-events?limit=2');
    expect(audit.json.events.map((e: { action: string }) => e.action)).toEqual(['user.confirmed', 'user.invited']);
    expect(audit.json.events[0].actor).toEqual({ type: 'invitee', id: invited.id });
  });

  it('refuses an expired invitation and an unknown token', async () => {
    const company = await setupCompany(app);
    const invited = await invite(company, 'late@decorumsoft.com');
    const saved = clock;
    clock = new Date(saved.getTime() + 8 * 24 * 3600 * 1000);
    try {
      const res = await call(app, 'POST', invitationPath(invited.invitationUrl));
      expect(res.status).toBe(410);
      expect(res.json.error.code).toBe('invitation_expired');
    } finally {
      clock = saved;
    }
    expect((await call(app, 'POST', `/invitations/${'A'.repeat(43)}`)).status).toBe(404);
    expect((await call(app, 'POST', '/invitations/short')).status).toBe(404);
  });

  it('refuses a duplicate email, a bad email, and workspaces or permission sets of another company', async () => {
    const a = await setupCompany(app);
    const b = await setupCompany(app);
    await invite(a, 'jane@decorumsoft.com');
    const dup = await admin(a, 'POST', '/users', { email: 'JANE@decorumsoft.com', workspaceId: a.workspaceId, permissionSetId: a.permissionSetId });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('user_exists');
    const bad = await admin(a, 'POST', '/users', { email: 'jane@', workspaceId: a.workspaceId, permissionSetId: a.permissionSetId });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_email');
    const foreignWs = await admin(a, 'POST', '/users', { email: 'x@decorumsoft.com', workspaceId: b.workspaceId, permissionSetId: a.permissionSetId });
    expect(foreignWs.status).toBe(400);
    expect(foreignWs.json.error.code).toBe('unknown_workspace');
    const foreignPs = await admin(a, 'POST', '/users', { email: 'x@decorumsoft.com', workspaceId: a.workspaceId, permissionSetId: b.permissionSetId });
    expect(foreignPs.status).toBe(400);
    expect(foreignPs.json.error.code).toBe('unknown_permission_set');
    // Nothing half-written: the refused invitations left no user behind.
    expect((await admin(a, 'GET', '/users?email=x@decorumsoft.com')).json.users).toEqual([]);
    const missing = await admin(a, 'POST', '/users', { email: 'x@decorumsoft.com' });
    expect(missing.status).toBe(400);
  });

  it('pages users with a cursor and validates the query', async () => {
    const company = await setupCompany(app);
    for (const n of [1, 2, 3, 4, 5]) await invite(company, `user${n}@decorumsoft.com`);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof admin>> = await admin(company, 'GET', `/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      ids.push(...res.json.users.map((u: { id: string }) => u.id));
      cursor = res.json.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect((await admin(company, 'GET', '/users?limit=0')).status).toBe(400);
    expect((await admin(company, 'GET', '/users?limit=abc')).status).toBe(400);
    expect((await admin(company, 'GET', '/users?cursor=../../etc')).status).toBe(400);
    expect((await admin(company, 'GET', '/users?email=not-an-email')).status).toBe(400);
  });
});

describe('audit events', () => {
  it('records every change newest first and pages with nextCursor', async () => {
    const company = await setupCompany(app);
    await admin(company, 'POST', '/workspaces', { name: 'Second' });
    const actions: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof admin>> = await admin(company, 'GET', `/audit-events?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      actions.push(...res.json.events.map((e: { action: string }) => e.action));
      cursor = res.json.nextCursor;
    } while (cursor);
    expect(actions).toEqual(['workspace.created', 'permission_set.created', 'workspace.created', 'api_key.created', 'company.created']);
    expect((await admin(company, 'GET', '/audit-events?cursor=abc')).status).toBe(400);
    // The filter takes only actions the log records (core/audit-actions.ts): a typo is a named 400, not an empty page.
    expect((await admin(company, 'GET', '/audit-events?action=workspace.created')).json.events).toHaveLength(2);
    const typo = await admin(company, 'GET', '/audit-events?action=workspace.create');
    expect(typo.status).toBe(400);
    expect(JSON.stringify(typo.json)).toContain('action must be one of the recorded audit actions');
  });
});

describe('cross-company access', () => {
  it("answers 404 on every admin route when a company's key is used on another company", async () => {
    const a = await setupCompany(app);
    const b = await setupCompany(app);
    const routes: [string, string, unknown?][] = [
      ['POST', '/workspaces', { name: 'Intruder' }],
      ['GET', '/workspaces'],
      ['POST', '/permission-sets', { name: 'Intruder', permissions: [] }],
      ['GET', '/permission-sets'],
      ['POST', '/users', { email: 'x@decorumsoft.com', workspaceId: b.workspaceId, permissionSetId: b.permissionSetId }],
      ['GET', '/users'],
      ['GET', '/users?email=x@decorumsoft.com'],
      ['GET', '/audit-events'],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(app, method, `/api/companies/${b.id}${path}`, { token: a.key, ...(body !== undefined ? { body: body as never } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
    // And company B saw no change from any of it.
    const bAudit = await call(app, 'GET', `/api/companies/${b.id}/audit-events`, { token: b.key });
    expect(bAudit.json.events.map((e: { action: string }) => e.action)).not.toContain('user.invited');
    expect((await call(app, 'GET', `/api/companies/${b.id}/workspaces`, { token: b.key })).json.workspaces).toHaveLength(1);
  });

  it('refuses admin routes without a key, with the operator token, or with a malformed key', async () => {
    const a = await setupCompany(app);
    for (const token of [null, 'key_xx.yy', 'Basic abc', `${a.key}extra`]) {
      const res = await call(app, 'GET', `/api/companies/${a.id}/workspaces`, { token });
      expect(res.status).toBe(401);
    }
    const op = await asOperator(app, 'GET', `/api/companies/${a.id}/workspaces`);
    expect(op.status).toBe(401);
  });
});

describe('the rest of the surface', () => {
  it('answers unknown routes with a JSON 404 and sets security headers', async () => {
    const res = await call(app, 'GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('not_found');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers /healthz with 200 while the database answers', async () => {
    const res = await call(app, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok', database: handle.kind });
  });
});
