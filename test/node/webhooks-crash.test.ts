/**
 * Webhooks survive a kill -9 of the Node server in the middle of a burst of 1,000 SCIM changes: the
 * real built server on a database of its own, a receiver on 127.0.0.1, 8 SCIM creates at a time, and a
 * SIGKILL while a delivery is in flight (claimed, POSTed, not yet settled) and SCIM requests are too.
 * After a restart on the same database, and once the IdP has retried what it never got an answer for,
 * every committed change has its event delivered (at least once; duplicates counted), in cursor order,
 * and the POST that was in flight is sent again only once its claim (CLAIM_MS, 20 s) has lapsed.
 *
 * PostgreSQL when DATABASE_URL is set (a fresh database beside it, dropped at the end; what CI runs),
 * else the embedded PGlite in a fresh DATA_DIR (events then read through the feed, the only way in
 * while the server holds the folder).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_MS } from '../../src/services/webhook-delivery.js';
import { call, OPERATOR_TOKEN, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { oktaUser, scim, scimToken } from '../support/scim.js';
import type { Running } from '../support/server.js';
import { freePort, projectRoot, start as startWith, stop } from '../support/server.js';
import { databaseBeside } from '../support/db.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import type { ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver.js';

const TOTAL = 1000;
const PARALLEL = 8;
/** The kill comes with the first webhook POST after this many SCIM creates were acknowledged. */
const KILL_AFTER_ACKED = 400;
const PATH = '/crash';
const SESSION_SECRET = 'crash-test-session-secret-0123456789abcdef';
const backend = process.env.DATABASE_URL ? 'postgres' : 'pglite';

/** The built bundle, one process: a kill -9 must hit the server itself (tsx would leave its child). */
const start = (env: Record<string, string>, port: number) => startWith(env, port, { command: [process.execPath, '--enable-source-maps', 'dist/node.js'] });

/** The helpers of test/support/app.ts and scim.ts, over HTTP to a real server instead of app.request. */
const overHttp = (base: string) => ({ request: (path: string, init?: RequestInit) => fetch(`${base}${path}`, init) }) as unknown as TestApp;

interface Payload {
  id: string;
  type: string;
  companyId: string;
  cursor: number;
  data: { directoryUserId: string; userName: string };
}

describe(`kill -9 in the middle of a burst of ${TOTAL} SCIM changes (${backend})`, () => {
  let receiver: WebhookReceiver;
  let dataDir: string;
  let dbUrl: string | null = null;
  let dropDatabase: (() => Promise<void>) | null = null;
  const servers: Running[] = [];

  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: projectRoot });
    receiver = await startWebhookReceiver();
    dataDir = await mkdtemp(join(tmpdir(), 'bridge-webhooks-crash-'));
    const url = process.env.DATABASE_URL;
    if (url) {
      // A database of its own: the shared test database has other files' endpoints and events.
      const own = await databaseBeside(url, 'whcrash');
      dbUrl = own.url;
      dropDatabase = own.drop;
    }
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await receiver?.close();
    await dropDatabase?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  async function startServer(): Promise<Running> {
    const port = await freePort();
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      DEMO: 'off',
      OPERATOR_TOKEN,
      SESSION_SECRET,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
    };
    const server = await start(env, port);
    servers.push(server);
    return server;
  }

  /** The company's committed directory.user.created events: from the database itself, or (PGlite) the feed. */
  async function committedEvents(server: Running, company: TestCompany): Promise<{ id: string; cursor: number | null; userName: string; directoryUserId: string }[]> {
    if (dbUrl) {
      const db = postgres(dbUrl, { max: 1, onnotice: () => {} });
      try {
        const rows = await db<{ id: string; cursor: string | null; data: { userName: string; directoryUserId: string } }[]>`
          select id, cursor, data from events where company_id = ${company.id} and type = 'directory.user.created' order by written`;
        return rows.map((r) => ({ id: r.id, cursor: r.cursor === null ? null : Number(r.cursor), userName: r.data.userName, directoryUserId: r.data.directoryUserId }));
      } finally {
        await db.end();
      }
    }
    const all: { id: string; cursor: number; userName: string; directoryUserId: string }[] = [];
    for (let after = 0; ; ) {
      const page = await call(overHttp(server.base), 'GET', `/api/companies/${company.id}/events?after=${after}&limit=1000&types=directory.user.created`, { token: company.key });
      expect(page.status, page.text).toBe(200);
      for (const e of page.json.events as Payload[]) all.push({ id: e.id, cursor: e.cursor, userName: e.data.userName, directoryUserId: e.data.directoryUserId });
      if (page.json.events.length === 0) return all;
      after = page.json.nextCursor;
    }
  }

  it('delivers every committed change at least once, in cursor order, and re-sends the POST in flight only after its claim lapses', async () => {
    let server = await startServer();
    const app = () => overHttp(server.base);
    const company = await setupCompany(app(), 'Crash Co');
    const { token, base: scimBase } = await scimToken(app(), company);
    const hook = await call(app(), 'POST', `/api/companies/${company.id}/webhooks`, {
      token: company.key,
      body: { url: `${receiver.origin}${PATH}`, eventTypes: ['directory.user.created'] },
    });
    expect(hook.status, hook.text).toBe(201);
    const secret = hook.json.secret as string;

    type State = 'todo' | 'acked' | 'unknown' | 'existed';
    const changes = Array.from({ length: TOTAL }, (_, i) => ({
      userName: `crash${String(i).padStart(4, '0')}@crash.example`,
      state: 'todo' as State,
      directoryUserId: null as string | null,
    }));
    const unexpected: string[] = [];
    let acked = 0;

    // The kill: synchronously, as a webhook POST arrives once enough creates are acknowledged, so that
    // delivery is claimed and unsettled, and SCIM requests are in flight.
    let killedAt = 0;
    let inFlightAtKill: ReceivedWebhook | null = null;
    let exited: Promise<unknown> | null = null;
    const first = server;
    receiver.answer(PATH, (request) => {
      if (!killedAt && acked >= KILL_AFTER_ACKED) {
        exited = new Promise((resolve) => first.child.once('exit', resolve));
        first.child.kill('SIGKILL');
        killedAt = Date.now();
        inFlightAtKill = request;
        // Its sender is gone: this answer goes nowhere.
        return { status: 204, delayMs: 200 };
      }
      return { status: 204, delayMs: 5 };
    });

    // Phase 1: the burst, 8 at a time, until the server dies under it.
    const burstStarted = Date.now();
    let next = 0;
    const worker = async () => {
      while (!killedAt && next < TOTAL) {
        const change = changes[next++]!;
        try {
          const res = await scim(app(), token, 'POST', `${scimBase}/Users`, oktaUser(change.userName));
          if (res.status === 201) {
            change.state = 'acked';
            change.directoryUserId = res.json.id;
            acked++;
          } else {
            unexpected.push(`${change.userName}: ${res.status} ${res.text.slice(0, 200)}`);
          }
        } catch {
          // No answer: the server was killed with it in flight; it may or may not have committed.
          change.state = 'unknown';
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(unexpected).toEqual([]);
    expect(killedAt, `the burst ended before the kill (acked ${acked}, webhooks ${receiver.on(PATH).length})`).toBeGreaterThan(0);
    await exited;
    const ackedBeforeKill = acked;
    const unknown = changes.filter((c) => c.state === 'unknown').length;
    const receivedBeforeKill = receiver.on(PATH).length;
    const burstMs = killedAt - burstStarted;

    // Phase 2: a restart on the same database; the IdP retries what got no answer (201, or 409 when it
    // had committed) and sends the rest.
    const restarting = Date.now();
    server = await startServer();
    const restartMs = Date.now() - restarting;
    next = 0;
    const retried = changes.filter((c) => c.state !== 'acked');
    const retry = async () => {
      while (next < retried.length) {
        const change = retried[next++]!;
        const res = await scim(app(), token, 'POST', `${scimBase}/Users`, oktaUser(change.userName));
        if (res.status === 201) {
          change.state = 'acked';
          change.directoryUserId = res.json.id;
          acked++;
        } else if (res.status === 409 && change.state === 'unknown') {
          change.state = 'existed';
        } else {
          unexpected.push(`${change.userName} (${change.state}): ${res.status} ${res.text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, retry));
    expect(unexpected).toEqual([]);
    const existed = changes.filter((c) => c.state === 'existed').length;

    // Every user exists once, and each has exactly one directory.user.created event.
    const committed = await committedEvents(server, company);
    expect(committed).toHaveLength(TOTAL);
    expect(new Set(committed.map((e) => e.userName))).toEqual(new Set(changes.map((c) => c.userName)));
    const committedIds = new Set(committed.map((e) => e.id));

    // Every committed event reaches the receiver.
    const distinctIds = () => new Set(receiver.on(PATH).map((r) => r.headers['webhook-id']));
    await receiver.waitFor(() => [...committedIds].every((id) => distinctIds().has(id)), 120_000).catch(() => {});
    const drainedMs = Date.now() - restarting;
    const got = receiver.on(PATH);
    const missing = [...committedIds].filter((id) => !distinctIds().has(id));
    expect(missing, `${missing.length} committed events never delivered`).toEqual([]);
    // Nothing that was not committed (nor anything else) was sent.
    expect([...distinctIds()].filter((id) => !committedIds.has(id!))).toEqual([]);

    // Each POST is a signed Standard Webhook whose id is the payload's.
    const wh = new Webhook(secret);
    const payloads = got.map((r) => {
      const payload = wh.verify(r.body, r.headers) as Payload;
      expect(r.headers['webhook-id']).toBe(payload.id);
      expect(payload).toMatchObject({ type: 'directory.user.created', companyId: company.id });
      return payload;
    });

    // Every create acknowledged with a 201 (before or after the kill) has its event delivered.
    const deliveredUsers = new Set(payloads.map((p) => p.data.directoryUserId));
    const ackedChanges = changes.filter((c) => c.state === 'acked');
    expect(ackedChanges.filter((c) => !deliveredUsers.has(c.directoryUserId!)).map((c) => c.userName)).toEqual([]);
    expect(ackedChanges.length + existed).toBe(TOTAL);

    // One queue, one sender at a time: cursors never go back (the one re-sent is the head it was).
    const cursors = payloads.map((p) => p.cursor);
    const backwards = cursors.filter((c, i) => i > 0 && c < cursors[i - 1]!);
    expect(backwards).toEqual([]);
    expect(receiver.maxConcurrentPerId(PATH)).toBe(1);

    // The POST in flight at the kill was claimed, never settled: sent again, but only once its claim lapsed.
    const killedId = inFlightAtKill!.headers['webhook-id']!;
    const sends = got.filter((r) => r.headers['webhook-id'] === killedId);
    expect(sends.length).toBeGreaterThanOrEqual(2);
    const resentAfterMs = sends[1]!.at - sends[0]!.at;
    expect(resentAfterMs).toBeGreaterThanOrEqual(CLAIM_MS - 1_000);

    // The queue settles: nothing left pending.
    let pending: unknown[] = [];
    const until = Date.now() + 30_000;
    do {
      const res = await call(app(), 'GET', `/api/companies/${company.id}/webhooks/${hook.json.id}/deliveries?status=pending&limit=100`, { token: company.key });
      expect(res.status, res.text).toBe(200);
      pending = res.json.deliveries;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 250));
    } while (pending.length > 0 && Date.now() < until);
    expect(pending).toEqual([]);

    const duplicates = got.length - distinctIds().size;
    const duplicateIds = [...new Set(got.map((r) => r.headers['webhook-id']).filter((id, i, all) => all.indexOf(id) !== i))];
    console.log(
      JSON.stringify({
        test: 'webhooks-crash',
        backend,
        burstMsUntilKill: burstMs,
        ackedBeforeKill,
        unknownAtKill: unknown,
        unknownThatHadCommitted: existed,
        webhooksReceivedBeforeKill: receivedBeforeKill,
        restartMs,
        drainedMsAfterRestart: drainedMs,
        claimLapseResendMs: resentAfterMs,
        received: got.length,
        distinct: distinctIds().size,
        duplicates,
        duplicateIdsAreTheOneInFlight: duplicateIds.length === 1 && duplicateIds[0] === killedId,
      }),
    );
    expect(await stop(server)).toBe(0);
  }, 240_000);
});
