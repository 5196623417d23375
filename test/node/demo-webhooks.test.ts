/**
 * The development demo's webhooks, on the real Node server: at start the demo registers one company
 * endpoint for the demo company, to the example application's /dev/app/webhooks, and keeps its secret
 * in DATA_DIR/demo.json; the Node dispatcher delivers the company's events there, the application
 * verifies them with the `standardwebhooks` library and lists them on /dev/app, newest first; a
 * forged POST is refused. Started again (another port, so another PUBLIC_URL), the demo keeps its
 * endpoint and secret and points the endpoint at the new URL.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, start, stop } from '../support/server.js';
import type { Running } from '../support/server.js';

let server: Running;
let dataDir: string;

interface DemoState {
  companyId: string;
  apiKey: string;
  webhook: { id: string; secret: string } | null;
}

const demoState = async () => JSON.parse(await readFile(join(dataDir, 'demo.json'), 'utf8')) as DemoState;

async function startDemo(): Promise<Running> {
  const port = await freePort();
  return start({ DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}` }, port);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bridge-demo-webhooks-'));
  server = await startDemo();
}, 90_000);
afterAll(async () => {
  if (server) await stop(server);
  await rm(dataDir, { recursive: true, force: true });
});

interface Row {
  id: string;
  time: string;
  type: string;
  cursor: number;
  data: string;
}

/** The rows of /dev/app's "Webhooks received" table, top to bottom. */
async function listed(): Promise<{ html: string; rows: Row[] }> {
  const html = await (await fetch(`${server.base}/dev/app`)).text();
  const text = (cell: string) => cell.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&amp;/g, '&').trim();
  const rows = [...html.matchAll(/<tr data-event-id="([^"]+)">([\s\S]*?)<\/tr>/g)].map(([, id, cells]) => {
    const [time, type, cursor, data] = [...cells!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => text(m[1]!));
    return { id: id!, time: time!, type: type!, cursor: Number(cursor), data: data! };
  });
  return { html, rows };
}

async function listedUntil(done: (rows: Row[]) => boolean, withinMs = 10_000): Promise<Row[]> {
  const deadline = Date.now() + withinMs;
  let rows = (await listed()).rows;
  while (!done(rows) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    rows = (await listed()).rows;
  }
  return rows;
}

async function api(path: string, apiKey: string) {
  const res = await fetch(`${server.base}${path}`, { headers: { Authorization: `Bearer ${apiKey}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as any;
}

/** An IdP-initiated sign-in at the test IdP, as the browser does it (the ACS's answer is enough here). */
async function signInThroughTestIdp(email: string) {
  const html = await (await fetch(`${server.base}/dev/idp/sign-in`, { method: 'POST', body: new URLSearchParams({ email }) })).text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
  const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(html)![1]!;
  return fetch(action, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: samlResponse }) });
}

describe('the demo receives its webhooks', () => {
  it("registers one endpoint at start, its secret in demo.json; the seed's events and a sign-in arrive and are listed, newest first", async () => {
    const state = await demoState();
    expect(state.webhook?.secret).toMatch(/^whsec_/);
    const { webhooks } = await api(`/api/companies/${state.companyId}/webhooks`, state.apiKey);
    expect(webhooks).toEqual([expect.objectContaining({ id: state.webhook!.id, url: `${server.base}/dev/app/webhooks`, companyId: state.companyId, enabled: true })]);
    expect(JSON.stringify(webhooks)).not.toContain(state.webhook!.secret);

    // Registered before the seed invited its two people: their events are the first to arrive.
    const seeded = await listedUntil((rows) => rows.filter((r) => r.type === 'user.confirmed').length >= 2);
    expect(seeded.filter((r) => r.type === 'user.confirmed')).toHaveLength(2);
    expect(seeded.map((r) => r.data).join('\n')).toContain('email=jon.smith@decorumsoft.com');

    // A demo sign-in (Jane, provisioned just in time) arrives too, on top.
    const before = seeded.length;
    expect((await signInThroughTestIdp('jane.smith@decorumsoft.com')).status).toBe(303);
    const rows = await listedUntil((r) => r.some((row) => row.type === 'signin.succeeded'));
    expect(rows.length).toBeGreaterThan(before);
    expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(['user.provisioned', 'signin.succeeded']));
    expect(rows.find((r) => r.type === 'user.provisioned' && r.data.includes('jane.smith@decorumsoft.com'))?.data).toMatch(/how=jit/);
    const cursors = rows.map((r) => r.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => b - a));
    expect(rows[0]!.time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);

    // Exactly the company's feed, each event once; every delivery answered 204 (signature verified).
    const feed = await api(`/api/companies/${state.companyId}/events?after=0&limit=100`, state.apiKey);
    const shown = await listedUntil((r) => r.length === feed.events.length);
    expect(shown.map((r) => [r.id, r.type, r.cursor])).toEqual([...feed.events].reverse().map((e: any) => [e.id, e.type, e.cursor]));
    const log = await api(`/api/companies/${state.companyId}/webhooks/${state.webhook!.id}/deliveries`, state.apiKey);
    expect(log.deliveries.length).toBe(feed.events.length);
    for (const d of log.deliveries) expect(d).toMatchObject({ status: 'delivered', lastStatus: 204, lastError: null });

    const { html } = await listed();
    expect(html).toContain('Webhooks received');
    expect(html).toContain('href="/dev/app">Refresh</a>');
    expect(html).not.toContain('<script');
  });

  it('refuses a forged POST: another secret, a tampered body, no signature (400), and lists none of them', async () => {
    const state = await demoState();
    const body = JSON.stringify({ id: 'ev_forged', type: 'user.suspended', companyId: state.companyId, occurredAt: new Date().toISOString(), cursor: 999_999, data: { userId: 'usr_x' } });
    const post = (payload: string, headers: Record<string, string>) =>
      fetch(`${server.base}/dev/app/webhooks`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: payload });
    const signedWith = (secret: string, payload: string) => {
      const at = new Date();
      return { 'webhook-id': 'ev_forged', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign('ev_forged', at, payload) };
    };
    const otherSecret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    const forged = await post(body, signedWith(otherSecret, body));
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: string }).error).toBe('invalid_signature');
    // Signed with the real secret, then changed on the way.
    const tampered = await post(body.replace('user.suspended', 'user.reactivated'), signedWith(state.webhook!.secret, body));
    expect(tampered.status).toBe(400);
    expect((await post(body, {})).status).toBe(400);
    const { html, rows } = await listed();
    expect(rows.length).toBeGreaterThan(0);
    expect(html).not.toContain('ev_forged');
  });

  it('started again on another PUBLIC_URL: the same endpoint and secret, pointed at the new URL, and new events arrive there', async () => {
    const before = await demoState();
    await stop(server);
    server = await startDemo();
    const after = await demoState();
    expect(after.webhook).toEqual(before.webhook);
    const { webhooks } = await api(`/api/companies/${after.companyId}/webhooks`, after.apiKey);
    expect(webhooks).toHaveLength(1);
    expect(webhooks[0]).toMatchObject({ id: before.webhook!.id, url: `${server.base}/dev/app/webhooks` });
    // The list was in the old process's memory; a change in the demo company (an admin invites someone) shows up on the new one.
    // (Not a sign-in: the demo's SAML connection still names the test IdP by the old PUBLIC_URL, so it would be refused.)
    const [workspace] = (await api(`/api/companies/${after.companyId}/workspaces`, after.apiKey)).workspaces;
    const [permissionSet] = (await api(`/api/companies/${after.companyId}/permission-sets`, after.apiKey)).permissionSets;
    const invited = await fetch(`${server.base}/api/companies/${after.companyId}/users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${after.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'newcomer@decorumsoft.com', workspaceId: workspace.id, permissionSetId: permissionSet.id }),
    });
    expect(invited.status).toBe(201);
    const rows = await listedUntil((r) => r.some((row) => row.data.includes('newcomer@decorumsoft.com')));
    expect(rows.find((r) => r.data.includes('newcomer@decorumsoft.com'))).toMatchObject({ type: 'user.provisioned' });
    expect(rows.every((r) => r.type !== 'user.confirmed')).toBe(true);
  }, 90_000);
});
