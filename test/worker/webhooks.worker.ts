/// <reference types="@cloudflare/vitest-pool-workers/types" />
/**
 * Webhooks from the Worker, in workerd over Postgres through Hyperdrive, to the Node receiver of the
 * global setup: a company's endpoint gets that company's events after each write request's response
 * (ctx.waitUntil); while it answers 503 the failed event and everything behind it wait, and once it is
 * back the Cron Trigger (the `scheduled` handler) delivers them, the failed one with the same
 * webhook-id. Every delivery is checked with the `standardwebhooks` library, inside workerd, and the
 * deliveries together are exactly the company's event feed, in cursor order.
 *
 * A company endpoint only (it receives this company's events, none of the other files' that share the
 * database), deleted at the end, so no later write request or Cron run keeps sending to it.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { describe, expect, inject, it } from 'vitest';
import worker_ from '../../src/worker.js';
import { openPostgres } from '../../src/store/postgres.js';
import { webhookEndpoints } from '../../src/store/schema.js';
import type { RecordedWebhook } from './constants.js';
import { call, expectStatus, setupCompany } from './http.js';
import type { Fetch, TestCompany } from './http.js';
import { workerEnv } from './worker-fetch.js';

const receiver = inject('webhookReceiver');
/** This run's own path on the receiver (the database, and the receiver, outlive one test). */
const PATH = `/hooks/${crypto.randomUUID()}`;
const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

interface Delivered {
  id: string;
  type: string;
  companyId: string;
  occurredAt: string;
  cursor: number;
  data: Record<string, unknown>;
  timestamp: string;
}

const received = async (): Promise<RecordedWebhook[]> => (await fetch(`${receiver.origin}/received?path=${encodeURIComponent(PATH)}`)).json();
const answerWith = async (status: number) => void (await fetch(`${receiver.origin}/answer?path=${encodeURIComponent(PATH)}&status=${status}`, { method: 'PUT' }));
/**
 * Requests through the Worker's fetch handler with an ExecutionContext of the test's own, so the test
 * can wait for what each request left to ctx.waitUntil (`drain`): the deliveries after its response.
 * (It also leaves no query running when the file ends: workerd would cut its socket mid-answer.)
 */
const background: Promise<void>[] = [];
const worker: Fetch = async (request) => {
  const ctx = createExecutionContext();
  const response = await worker_.fetch(request as Request<unknown, IncomingRequestCfProperties>, workerEnv, ctx);
  background.push(waitOnExecutionContext(ctx));
  return response;
};
const drain = async () => void (await Promise.all(background.splice(0)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until `done` holds (or the time is up), returning the last value read. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(100);
    value = await read();
  }
  return value;
}

/** Each recorded POST verified with the secret (signature, timestamp tolerance), then parsed. */
function verified(secret: string, records: RecordedWebhook[]): Delivered[] {
  const wh = new Webhook(secret);
  return records.map((r) => {
    const body = wh.verify(r.body, r.headers) as Delivered;
    expect(r.headers['webhook-id']).toBe(body.id);
    expect(r.headers['content-type']).toBe('application/json');
    expect(body.timestamp).toBe(body.occurredAt);
    return body;
  });
}

async function invite(company: TestCompany, email: string) {
  const body = { email, workspaceId: company.workspaceId, permissionSetId: company.permissionSetId };
  expectStatus(await call(worker, 'POST', `/api/companies/${company.id}/users`, { token: company.key, body }), 201, 'invitation');
}

describe('webhooks from the Worker', () => {
  it('delivers after the response (waitUntil); what failed goes out with the Cron Trigger, in cursor order, signed', async () => {
    if (receiver.hookOrigin === null) throw new Error("this machine's host name (os.hostname()) does not resolve: the Worker has no URL for the webhook receiver");
    const company = await setupCompany(worker, 'Edge webhooks');
    const created = await call(worker, 'POST', `/api/companies/${company.id}/webhooks`, {
      token: company.key,
      // Paused until it points at the receiver, so no dispatch tries the placeholder meanwhile.
      body: { url: 'https://hooks.invalid/placeholder', enabled: false, description: 'worker test' },
    });
    expectStatus(created, 201, 'webhook endpoint');
    const { id, secret } = created.json as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const hooks = `/api/companies/${company.id}/webhooks/${id}`;
    const log = async () => expectStatus(await call(worker, 'GET', `${hooks}/deliveries`, { token: company.key }), 200, 'delivery log').json.deliveries as any[];
    try {
      // A Worker is production: the API takes https only and refuses loopback addresses. The receiver is
      // reached by this machine's host name instead (the Worker resolves no names: its platform's fetch
      // cannot reach private networks), set directly in the database as the OIDC test does.
      const { db } = openPostgres(workerEnv.HYPERDRIVE!.connectionString, { max: 1, closeOnEnd: false });
      await db.update(webhookEndpoints).set({ url: `${receiver.hookOrigin}${PATH}` }).where(eq(webhookEndpoints.id, id));
      expectStatus(await call(worker, 'PATCH', hooks, { token: company.key, body: { enabled: true } }), 200, 'enable');

      // (a) After each write request's response, through its ctx.waitUntil: no Cron run needed.
      const emails = ['ana', 'ben', 'cy'].map((name) => `${name}@edge-hooks.example`);
      for (const email of emails) await invite(company, email);
      await drain();
      // Every event of the company's feed so far (each invitation stands for one or more), delivered in its order. (Polled
      // only in case another file's request, on this shared database, took a head first and is still posting it.)
      const feedSoFar = expectStatus(await call(worker, 'GET', `/api/companies/${company.id}/events?after=0&limit=100`, { token: company.key }), 200, 'feed').json.events;
      const first = await until(received, (r) => r.length >= feedSoFar.length, 10_000);
      expect(first.every((r) => r.status === 204)).toBe(true);
      const firstEvents = verified(secret, first);
      expect(firstEvents.map(({ timestamp: _t, ...event }) => event)).toEqual(feedSoFar);
      const provisioned = firstEvents.filter((e) => e.type === 'user.provisioned');
      expect(provisioned.map((e) => [e.data.email, e.companyId])).toEqual(emails.map((email) => [email, company.id]));
      const firstCursors = firstEvents.map((e) => e.cursor);
      expect(firstCursors).toEqual([...firstCursors].sort((a, b) => a - b));
      // Tampered, or with another secret: refused by the library.
      expect(() => new Webhook(secret).verify(first[0]!.body.replace('ana@', 'eve@'), first[0]!.headers)).toThrow();
      expect(() => new Webhook(`whsec_${btoa('another secret, 24 bytes')}`).verify(first[0]!.body, first[0]!.headers)).toThrow();

      // (b) The endpoint fails: the first new event is tried once (503) and waits 5 s; the next one waits behind it.
      await answerWith(503);
      const scim = expectStatus(await call(worker, 'POST', `/api/companies/${company.id}/scim-tokens`, { token: company.key, body: { label: 'hooks' } }), 201, 'SCIM token');
      for (const userName of ['dee@edge-hooks.example', 'eli@edge-hooks.example']) {
        const user = await call(worker, 'POST', `/scim/v2/${company.id}/Users`, { token: scim.json.token, body: { schemas: [SCIM_USER], userName, active: true } });
        expectStatus(user, 201, 'SCIM user');
      }
      await drain();
      // Both requests' events are queued (the log lists what is), the head's attempt settled (polled as above).
      const since = firstEvents[firstEvents.length - 1]!.cursor;
      const queued = expectStatus(await call(worker, 'GET', `/api/companies/${company.id}/events?after=${since}&limit=100`, { token: company.key }), 200, 'feed').json.events;
      expect(queued.length).toBeGreaterThanOrEqual(2);
      const pending = (rows: any[]) => rows.filter((d) => d.status === 'pending');
      const failed = await until(log, (rows) => pending(rows).length === queued.length && rows.some((d) => d.lastStatus === 503), 10_000);
      const head = failed.find((d) => d.lastStatus === 503);
      expect(head).toMatchObject({ status: 'pending', attempts: 1, lastError: 'http_503', cursor: queued[0].cursor });
      // Cursor order: nothing behind the failed head is tried.
      expect(pending(failed).map((d) => d.cursor).sort((a, b) => a - b)).toEqual(queued.map((e: { cursor: number }) => e.cursor));
      for (const d of pending(failed).filter((d) => d.cursor !== head.cursor)) expect(d).toMatchObject({ attempts: 0, lastStatus: null });
      await answerWith(204);
      expect((await received()).filter((r) => r.status === 204)).toHaveLength(first.length);

      // Back up; once the retry is due (5 s after the failure) the Cron Trigger sends the rest. (On the real clock: a
      // delivery is due by the database's clock, not by scheduledTime; and a later time would make the run's sweep
      // drop what other files keep in this database.)
      await sleep(Math.max(0, new Date(head.nextAttemptAt).getTime() - Date.now()) + 300);
      const ctx = createExecutionContext();
      worker_.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '*/5 * * * *' }), workerEnv, ctx);
      await waitOnExecutionContext(ctx);

      const all = await received();
      const delivered = verified(secret, all.filter((r) => r.status === 204));
      // The 503'd attempt and its retry carried the same event (one webhook-id), signed each time.
      const refused = all.filter((r) => r.status === 503);
      expect(refused).toHaveLength(1);
      expect(verified(secret, refused)[0]!.cursor).toBe(head.cursor);
      expect(delivered.find((e) => e.cursor === head.cursor)?.id).toBe(refused[0]!.headers['webhook-id']);
      // Exactly the company's feed, each event once, in cursor order.
      const feed = expectStatus(await call(worker, 'GET', `/api/companies/${company.id}/events?after=0&limit=100`, { token: company.key }), 200, 'feed');
      expect(delivered.map(({ timestamp: _t, ...event }) => event)).toEqual(feed.json.events);
      expect(delivered.filter((e) => e.type === 'directory.user.created').map((e) => e.data.userName)).toEqual(['dee@edge-hooks.example', 'eli@edge-hooks.example']);
      const settled = await log();
      expect(settled.every((d) => d.status === 'delivered')).toBe(true);
      expect(settled.find((d) => d.cursor === head.cursor)).toMatchObject({ attempts: 2, lastStatus: 204, lastError: null });
    } finally {
      expectStatus(await call(worker, 'DELETE', hooks, { token: company.key }), 204, 'delete the endpoint');
      await drain();
    }
  });
});
