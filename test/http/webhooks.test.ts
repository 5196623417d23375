/**
 * Webhooks on both databases, through the HTTP API and a receiver on 127.0.0.1: endpoints and their
 * secrets, Standard Webhooks signatures checked by the `standardwebhooks` library (and by a plain
 * HMAC), cursor order per company, retries with back-off on a clock the test moves, the give-up after
 * 24 hours, resend, filters, the delivery log, and the URL rules of production.
 */
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDeps } from '../../src/app.js';
import { EVENT_TYPES } from '../../src/core/events.js';
import type { ServiceDeps } from '../../src/services/deps.js';
import { dispatchWebhooks, RETRY_SCHEDULE_MS } from '../../src/services/webhook-delivery.js';
import { createWebhook } from '../../src/services/webhooks.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { asOperator, call, makeApp, setupCompany, testConfig } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { availableBackends, openIsolatedTestDatabase } from '../support/db.js';
import { oktaUser, scim, scimToken } from '../support/scim.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import type { WebhookReceiver } from '../support/webhook-receiver.js';

describe.each(availableBackends)('webhooks on %s', (backend) => {
  let handle: DatabaseHandle;
  let app: TestApp;
  let receiver: WebhookReceiver;
  let clock = Date.now();
  const now = () => new Date(clock);
  let deps: ServiceDeps;

  beforeAll(async () => {
    handle = await openIsolatedTestDatabase(backend);
    app = makeApp(handle, { now });
    receiver = await startWebhookReceiver();
    deps = { ...serviceDeps(testConfig, handle.db, now), webhookTimeoutMs: 1_000 };
  });
  afterAll(async () => {
    await receiver?.close();
    await handle?.close();
  });

  const dispatch = () => dispatchWebhooks(deps, { budgetMs: 10_000 });
  const bodies = (path: string) => receiver.on(path).map((r) => JSON.parse(r.body) as { id: string; type: string; cursor: number; companyId: string; data: Record<string, unknown> });

  /** An endpoint of the company's; for one event per invitation, it takes user.provisioned only unless told otherwise. */
  async function companyEndpoint(company: TestCompany, path: string, extra: Record<string, unknown> = {}) {
    const body = { url: `${receiver.origin}${path}`, eventTypes: ['user.provisioned'], ...extra };
    const res = await call(app, 'POST', `/api/companies/${company.id}/webhooks`, { token: company.key, body });
    expect(res.status, res.text).toBe(201);
    return res.json as { id: string; secret: string };
  }

  async function invite(company: TestCompany, email: string) {
    const res = await call(app, 'POST', `/api/companies/${company.id}/users`, {
      token: company.key,
      body: { email, workspaceId: company.workspaceId, permissionSetId: company.permissionSetId },
    });
    expect(res.status, res.text).toBe(201);
  }

  it('registers endpoints: the secret once, never listed; cross-company ids are 404; bad input is a clear 400', async () => {
    const acme = await setupCompany(app, 'Hook Acme');
    const other = await setupCompany(app, 'Hook Other');
    const created = await companyEndpoint(acme, '/crud', { eventTypes: ['user.provisioned'], description: 'billing seats' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const list = await call(app, 'GET', `/api/companies/${acme.id}/webhooks`, { token: acme.key });
    expect(list.status).toBe(200);
    expect(list.json.webhooks).toHaveLength(1);
    expect(list.text).not.toContain(created.secret);
    expect(list.json.webhooks[0]).toMatchObject({ id: created.id, companyId: acme.id, eventTypes: ['user.provisioned'], enabled: true, failingSince: null });
    // Another company's admin cannot see, change or delete it.
    for (const [method, suffix] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['GET', '/deliveries'], ['POST', '/resend'], ['POST', '/rotate-secret']] as const) {
      const body = method === 'PATCH' ? { enabled: false } : suffix === '/resend' ? { after: 0 } : undefined;
      const res = await call(app, method, `/api/companies/${other.id}/webhooks/${created.id}${suffix}`, { token: other.key, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${suffix}`).toBe(404);
    }
    // Nor is it one of the operator's global endpoints.
    expect((await asOperator(app, 'GET', `/api/operator/webhooks/${created.id}`)).status).toBe(404);
    const bad = [
      { url: 'ftp://127.0.0.1/x' },
      { url: 'not a url' },
      { url: `${receiver.origin}/a b` },
      { url: 'https://user:pw@hooks.example.com/x' },
      { url: `${receiver.origin}/x`, eventTypes: ['user.exploded'] },
      { url: `${receiver.origin}/x`, eventTypes: [] },
      { url: `${receiver.origin}/x`, extra: true },
      { url: 'http://10.1.2.3/x' },
      { url: 'http://169.254.169.254/latest/meta-data' },
    ];
    for (const body of bad) {
      const res = await call(app, 'POST', `/api/companies/${acme.id}/webhooks`, { token: acme.key, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.message).toBeTruthy();
    }
    const patched = await call(app, 'PATCH', `/api/companies/${acme.id}/webhooks/${created.id}`, { token: acme.key, body: { eventTypes: null, enabled: false } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ eventTypes: null, enabled: false });
    expect((await call(app, 'DELETE', `/api/companies/${acme.id}/webhooks/${created.id}`, { token: acme.key })).status).toBe(204);
    expect((await call(app, 'GET', `/api/companies/${acme.id}/webhooks/${created.id}`, { token: acme.key })).status).toBe(404);
    const audit = await call(app, 'GET', `/api/companies/${acme.id}/audit-events?limit=100`, { token: acme.key });
    const actions = audit.json.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['webhook.created', 'webhook.updated', 'webhook.deleted']));
  });

  it('delivers signed events in cursor order, verified by the Standard Webhooks library and by a plain HMAC', async () => {
    const company = await setupCompany(app, 'Hook Signed');
    const endpoint = await companyEndpoint(company, '/signed');
    for (let i = 0; i < 5; i++) await invite(company, `person${i}@signed.example`);
    const report = await dispatch();
    expect(report.delivered).toBe(5);
    const got = receiver.on('/signed');
    expect(got).toHaveLength(5);
    const wh = new Webhook(endpoint.secret);
    for (const request of got) {
      const verified = wh.verify(request.body, request.headers) as { id: string; type: string };
      expect(verified.type).toBe('user.provisioned');
      expect(request.headers['webhook-id']).toBe(verified.id);
      // The spec's construction, by hand: base64 HMAC-SHA256 of "id.timestamp.body" with the decoded secret.
      const key = Buffer.from(endpoint.secret.slice('whsec_'.length), 'base64');
      const expected = createHmac('sha256', key).update(`${request.headers['webhook-id']}.${request.headers['webhook-timestamp']}.${request.body}`).digest('base64');
      expect(request.headers['webhook-signature']).toBe(`v1,${expected}`);
      expect(request.headers['content-type']).toBe('application/json');
    }
    // A tampered body or another secret fails verification.
    expect(() => wh.verify(got[0]!.body.replace('person0', 'person9'), got[0]!.headers)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(got[0]!.body, got[0]!.headers)).toThrow();
    const cursors = bodies('/signed').map((b) => b.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(bodies('/signed').map((b) => b.data.email)).toEqual([0, 1, 2, 3, 4].map((i) => `person${i}@signed.example`));
    // The payload is the feed's event.
    const feed = await call(app, 'GET', `/api/companies/${company.id}/events?after=0`, { token: company.key });
    expect(bodies('/signed').map(({ id, type, cursor, data }) => ({ id, type, cursor, data }))).toEqual(
      feed.json.events.filter((e: { type: string }) => e.type === 'user.provisioned').map(({ id, type, cursor, data }: Record<string, unknown>) => ({ id, type, cursor, data })),
    );
    // Nothing is sent twice once delivered.
    expect((await dispatch()).delivered).toBe(0);
  });

  it('signs with both secrets during a rotation, so a receiver holding either one verifies', async () => {
    const company = await setupCompany(app, 'Hook Rotate');
    const endpoint = await companyEndpoint(company, '/rotate');
    const rotated = await call(app, 'POST', `/api/companies/${company.id}/webhooks/${endpoint.id}/rotate-secret`, { token: company.key });
    expect(rotated.status, rotated.text).toBe(201);
    expect(rotated.json.secret).not.toBe(endpoint.secret);
    await invite(company, 'rotated@rotate.example');
    await dispatch();
    const [request] = receiver.on('/rotate');
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(endpoint.secret).verify(request!.body, request!.headers)).toBeTruthy();
    expect(new Webhook(rotated.json.secret).verify(request!.body, request!.headers)).toBeTruthy();
  });

  it('retries a failing endpoint after 5 s, 30 s, 2 min with the same webhook-id, keeping later events behind, and logs each attempt', async () => {
    const company = await setupCompany(app, 'Hook Retry');
    const endpoint = await companyEndpoint(company, '/retry');
    receiver.answer('/retry', (_r, nth) => (nth <= 3 ? { status: 503, body: 'down for maintenance' } : { status: 200, body: 'ok' }));
    await invite(company, 'first@retry.example');
    await invite(company, 'second@retry.example');
    const start = clock;
    expect(await dispatch()).toMatchObject({ delivered: 0, failed: 1 });
    const log = async () => (await call(app, 'GET', `/api/companies/${company.id}/webhooks/${endpoint.id}/deliveries`, { token: company.key })).json.deliveries;
    let [second, first] = await log();
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 503, lastError: 'http_503', lastResponse: 'down for maintenance' });
    expect(Date.parse(first.nextAttemptAt) - start).toBe(RETRY_SCHEDULE_MS[0]);
    expect(second).toMatchObject({ status: 'pending', attempts: 0 });
    // Not due yet: nothing is sent, and the second event never overtakes the first.
    clock += 4_000;
    expect(await dispatch()).toMatchObject({ delivered: 0, failed: 0 });
    clock = start + RETRY_SCHEDULE_MS[0];
    expect(await dispatch()).toMatchObject({ failed: 1 });
    [, first] = await log();
    expect(Date.parse(first.nextAttemptAt) - clock).toBe(RETRY_SCHEDULE_MS[1]);
    clock += RETRY_SCHEDULE_MS[1];
    expect(await dispatch()).toMatchObject({ failed: 1 });
    [, first] = await log();
    expect(Date.parse(first.nextAttemptAt) - clock).toBe(RETRY_SCHEDULE_MS[2]);
    clock += RETRY_SCHEDULE_MS[2];
    expect(await dispatch()).toMatchObject({ delivered: 2, failed: 0 });
    const got = receiver.on('/retry');
    expect(got.map((r) => JSON.parse(r.body).data.email)).toEqual(['first@retry.example', 'first@retry.example', 'first@retry.example', 'first@retry.example', 'second@retry.example']);
    expect(new Set(got.slice(0, 4).map((r) => r.headers['webhook-id'])).size).toBe(1);
    [second, first] = await log();
    expect(first).toMatchObject({ status: 'delivered', attempts: 4, lastStatus: 200, lastError: null, nextAttemptAt: null });
    expect(first.latencyMs).toBeGreaterThanOrEqual(0);
    expect(second).toMatchObject({ status: 'delivered', attempts: 1 });
    clock = Date.now();
  });

  it('gives up after 24 hours of failures: the endpoint is disabled, marked failing and audited; enabling it sends what waited', async () => {
    const company = await setupCompany(app, 'Hook Failing');
    const endpoint = await companyEndpoint(company, '/failing');
    let up = false;
    receiver.answer('/failing', () => (up ? { status: 204 } : { status: 500 }));
    await invite(company, 'stuck@failing.example');
    await invite(company, 'queued@failing.example');
    const start = clock;
    let attempts = 0;
    while (clock - start < 25 * 3_600_000) {
      const report = await dispatch();
      attempts += report.failed + report.gaveUp;
      if (report.gaveUp > 0) break;
      const [, first] = (await call(app, 'GET', `/api/companies/${company.id}/webhooks/${endpoint.id}/deliveries`, { token: company.key })).json.deliveries;
      clock = Date.parse(first.nextAttemptAt);
    }
    expect(clock - start).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(attempts).toBeGreaterThan(9);
    const state = await call(app, 'GET', `/api/companies/${company.id}/webhooks/${endpoint.id}`, { token: company.key });
    expect(state.json).toMatchObject({ enabled: false, failingSince: new Date(start).toISOString() });
    const audit = await call(app, 'GET', `/api/companies/${company.id}/audit-events?limit=100`, { token: company.key });
    const failing = audit.json.events.find((e: { action: string }) => e.action === 'webhook.failing');
    expect(failing).toMatchObject({ target: { type: 'webhook', id: endpoint.id }, reason: 'http_500', actor: { type: 'system', id: 'webhooks' } });
    const log = (await call(app, 'GET', `/api/companies/${company.id}/webhooks/${endpoint.id}/deliveries?status=failed`, { token: company.key })).json.deliveries;
    expect(log).toHaveLength(1);
    // Disabled: nothing more is sent, and nothing is lost.
    up = true;
    expect((await dispatch()).delivered).toBe(0);
    const enabled = await call(app, 'PATCH', `/api/companies/${company.id}/webhooks/${endpoint.id}`, { token: company.key, body: { enabled: true } });
    expect(enabled.json).toMatchObject({ enabled: true, failingSince: null });
    expect((await dispatch()).delivered).toBe(1);
    expect(JSON.parse(receiver.on('/failing').at(-1)!.body).data.email).toBe('queued@failing.example');
    // The given-up event comes back with a resend.
    const resent = await call(app, 'POST', `/api/companies/${company.id}/webhooks/${endpoint.id}/resend`, { token: company.key, body: { after: 0 } });
    expect(resent.status, resent.text).toBe(202);
    expect(resent.json.queued).toBe(2);
    expect((await dispatch()).delivered).toBe(2);
    expect(receiver.on('/failing').slice(-2).map((r) => JSON.parse(r.body).data.email)).toEqual(['stuck@failing.example', 'queued@failing.example']);
    clock = Date.now();
  });

  it('resends from a cursor with the same webhook-ids, in order', async () => {
    const company = await setupCompany(app, 'Hook Resend');
    const endpoint = await companyEndpoint(company, '/resend');
    for (let i = 0; i < 4; i++) await invite(company, `r${i}@resend.example`);
    await dispatch();
    const first = bodies('/resend');
    expect(first).toHaveLength(4);
    const resent = await call(app, 'POST', `/api/companies/${company.id}/webhooks/${endpoint.id}/resend`, { token: company.key, body: { after: first[1]!.cursor } });
    expect(resent.json).toEqual({ queued: 2 });
    await dispatch();
    const again = receiver.on('/resend').slice(4);
    expect(again.map((r) => r.headers['webhook-id'])).toEqual(first.slice(2).map((b) => b.id));
    for (const bad of [{ after: -1 }, { after: 'x' }, {}, { after: 1.5 }]) {
      const res = await call(app, 'POST', `/api/companies/${company.id}/webhooks/${endpoint.id}/resend`, { token: company.key, body: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it("keeps each company's events to its own endpoints, applies the type filter, and gives global endpoints every company's", async () => {
    const a = await setupCompany(app, 'Hook Filter A');
    const b = await setupCompany(app, 'Hook Filter B');
    await companyEndpoint(a, '/filter-a', { eventTypes: null });
    await companyEndpoint(b, '/filter-b-scim', { eventTypes: ['directory.user.created'] });
    const global = await asOperator(app, 'POST', '/api/operator/webhooks', { body: { url: `${receiver.origin}/filter-global` } });
    expect(global.status, global.text).toBe(201);
    expect(global.json.companyId).toBeNull();
    await invite(a, 'ann@filter-a.example');
    await invite(b, 'bob@filter-b.example');
    const { token, base } = await scimToken(app, b);
    expect((await scim(app, token, 'POST', `${base}/Users`, oktaUser('carol@filter-b.example'))).status).toBe(201);
    await dispatch();
    expect(bodies('/filter-a').map((e) => [e.companyId, e.type])).toEqual([
      [a.id, 'user.provisioned'],
      [a.id, 'membership.created'],
    ]);
    expect(bodies('/filter-b-scim').map((e) => [e.companyId, e.type])).toEqual([[b.id, 'directory.user.created']]);
    const globalGot = bodies('/filter-global').filter((e) => e.companyId === a.id || e.companyId === b.id);
    // In cursor order per company (two companies' queues go out side by side).
    expect(globalGot.filter((e) => e.companyId === a.id).map((e) => e.type)).toEqual(['user.provisioned', 'membership.created']);
    expect(globalGot.filter((e) => e.companyId === b.id).map((e) => e.type)).toEqual(['user.provisioned', 'membership.created', 'directory.user.created']);
    expect((await asOperator(app, 'GET', '/api/operator/webhooks')).json.webhooks.map((w: { id: string }) => w.id)).toEqual([global.json.id]);
    expect((await asOperator(app, 'DELETE', `/api/operator/webhooks/${global.json.id}`)).status).toBe(204);
    // A company admin cannot use the operator's routes.
    expect((await call(app, 'GET', '/api/operator/webhooks', { token: a.key })).status).toBe(401);
  });

  it('times out a silent endpoint, reads at most 1 KB of a huge answer, and treats a redirect as a failure', async () => {
    const company = await setupCompany(app, 'Hook Limits');
    const slow = await companyEndpoint(company, '/silent');
    await companyEndpoint(company, '/huge');
    await companyEndpoint(company, '/redirect');
    receiver.answer('/silent', () => ({ status: 200, delayMs: 3_000 }));
    receiver.answer('/huge', () => ({ status: 200, body: 'x'.repeat(5 * 1024 * 1024) }));
    receiver.answer('/redirect', () => ({ status: 302, headers: { Location: `${receiver.origin}/huge` } }));
    await invite(company, 'limits@limits.example');
    const started = Date.now();
    expect(await dispatch()).toMatchObject({ delivered: 1, failed: 2 });
    expect(Date.now() - started).toBeLessThan(2_900);
    const logOf = async (id: string) => (await call(app, 'GET', `/api/companies/${company.id}/webhooks/${id}/deliveries`, { token: company.key })).json.deliveries[0];
    expect(await logOf(slow.id)).toMatchObject({ status: 'pending', lastStatus: null, lastError: 'timeout' });
    const list = (await call(app, 'GET', `/api/companies/${company.id}/webhooks`, { token: company.key })).json.webhooks as { id: string; url: string }[];
    const huge = await logOf(list.find((w) => w.url.endsWith('/huge'))!.id);
    expect(huge).toMatchObject({ status: 'delivered', lastStatus: 200 });
    expect(huge.lastResponse.length).toBeLessThanOrEqual(1024);
    expect(await logOf(list.find((w) => w.url.endsWith('/redirect'))!.id)).toMatchObject({ status: 'pending', lastStatus: 302, lastError: 'http_302' });
    expect(receiver.on('/huge')).toHaveLength(1);
  });

  it('pages the delivery log newest first and refuses bad queries', async () => {
    const company = await setupCompany(app, 'Hook Log');
    const endpoint = await companyEndpoint(company, '/log');
    for (let i = 0; i < 5; i++) await invite(company, `l${i}@log.example`);
    await dispatch();
    const path = `/api/companies/${company.id}/webhooks/${endpoint.id}/deliveries`;
    const page1 = await call(app, 'GET', `${path}?limit=3`, { token: company.key });
    expect(page1.json.deliveries).toHaveLength(3);
    const page2 = await call(app, 'GET', `${path}?limit=3&before=${page1.json.nextBefore}`, { token: company.key });
    expect(page2.json.deliveries).toHaveLength(2);
    expect(page2.json.nextBefore).toBeNull();
    const cursors = [...page1.json.deliveries, ...page2.json.deliveries].map((d: { cursor: number }) => d.cursor);
    expect(cursors).toEqual([...cursors].sort((x, y) => y - x));
    expect(new Set(cursors).size).toBe(5);
    for (const query of ['limit=0', 'limit=abc', 'before=-1', 'status=lost']) expect((await call(app, 'GET', `${path}?${query}`, { token: company.key })).status, query).toBe(400);
  });

  it('in production, refuses http, loopback, private and link-local targets, by literal and by what a name resolves to', async () => {
    const company = await setupCompany(app, 'Hook Production');
    const resolved: Record<string, string[]> = { 'inside.example': ['10.0.0.8'], 'sneaky.example': ['93.184.216.34', '127.0.0.1'], 'public.example': ['93.184.216.34'] };
    const production: ServiceDeps = { ...serviceDeps({ ...testConfig, production: true }, handle.db, now), resolveHost: async (host) => resolved[host] ?? [] };
    const actor = { type: 'operator' as const, id: 'test' };
    for (const url of [
      'http://public.example/hook',
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://[::1]/hook',
      'https://10.0.0.1/hook',
      'https://192.168.1.1/hook',
      'https://169.254.169.254/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://inside.example/hook',
      'https://sneaky.example/hook',
      'https://nowhere.example/hook',
    ]) {
      await expect(createWebhook(production, actor, company.id, { url }), url).rejects.toMatchObject({ code: 'invalid_webhook_url' });
    }
    const ok = await createWebhook(production, actor, company.id, { url: 'https://public.example/hook', eventTypes: ['user.provisioned'] });
    expect(ok.endpoint.url).toBe('https://public.example/hook');
    // Re-pointed inside after it was registered: the delivery is refused, not sent.
    resolved['public.example'] = ['127.0.0.1'];
    await invite(company, 'ssrf@production.example');
    const report = await dispatchWebhooks(production, { budgetMs: 5_000 });
    expect(report.failed).toBeGreaterThanOrEqual(1);
    const log = (await call(app, 'GET', `/api/companies/${company.id}/webhooks/${ok.endpoint.id}/deliveries`, { token: company.key })).json.deliveries;
    expect(log[0].lastError).toMatch(/^refused: url points at a loopback address/);
  });

  it('documents the webhook request in /openapi.json (OpenAPI 3.1 webhooks), with every event type', async () => {
    const doc = (await call(app, 'GET', '/openapi.json')).json;
    const post = doc.webhooks.event.post;
    expect(post.parameters.map((p: { name: string }) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    const variants = post.requestBody.content['application/json'].schema.allOf[0].oneOf as { properties: { type: { enum: string[] } } }[];
    expect(variants.flatMap((o) => o.properties.type.enum).sort()).toEqual([...EVENT_TYPES].sort());
    for (const path of ['/api/operator/webhooks', '/api/companies/{companyId}/webhooks', '/api/companies/{companyId}/webhooks/{webhookId}/deliveries']) expect(doc.paths[path], path).toBeTruthy();
  });

  it('dispatches after a write request when asked (the Workers path), with nobody calling the dispatcher', async () => {
    const deferring = makeApp(handle, { deferWebhooks: true });
    const company = await setupCompany(deferring, 'Hook Deferred');
    const res = await call(deferring, 'POST', `/api/companies/${company.id}/webhooks`, { token: company.key, body: { url: `${receiver.origin}/deferred`, eventTypes: ['user.provisioned'] } });
    expect(res.status).toBe(201);
    await call(deferring, 'POST', `/api/companies/${company.id}/users`, {
      token: company.key,
      body: { email: 'deferred@deferred.example', workspaceId: company.workspaceId, permissionSetId: company.permissionSetId },
    });
    await receiver.waitFor(() => receiver.on('/deferred').length === 1, 10_000);
    expect(new Webhook(res.json.secret).verify(receiver.on('/deferred')[0]!.body, receiver.on('/deferred')[0]!.headers)).toMatchObject({ type: 'user.provisioned' });
  });
});
