/**
 * `npm run bench:group-push`: Okta pushing a whole mapped group, over HTTP to a server listening on
 * 127.0.0.1. A company with BENCH_MEMBERS directory users (default 50 000; half of them with a
 * dashboard account, so the mapping gives those a workspace membership) gets one PUT /Groups/:id with
 * all of them as members, then a PATCH removing a tenth. The same runs first with BENCH_PEER_MEMBERS
 * (default 1 000): the ratio of the per-member costs shows how the push scales. On PGlite (in memory)
 * always, and on PostgreSQL too when DATABASE_URL is set. The directory is seeded in one statement
 * (setup, not measured).
 */
import { serve } from '@hono/node-server';
import { and, count, eq } from 'drizzle-orm';
import { createApp } from '../src/app.js';
import type { DatabaseHandle } from '../src/store/db.js';
import { migrateDatabase } from '../src/store/migrate.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import { directoryGroupMembers, memberships } from '../src/store/schema.js';
import { seedDirectory } from '../test/support/directory-seed.js';
import { fmt, freePort, json, OPERATOR_TOKEN } from './lib.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 50_000);
const PEER = Number(process.env.BENCH_PEER_MEMBERS ?? 1000);
/**
 * Issue 9's target: 50,000 members in at most 10 s on the 2-core machine, checked (and scaled) from
 * that size up; smaller runs are dominated by fixed costs and only report.
 */
const TARGET_MS = MEMBERS >= 50_000 ? (10_000 * MEMBERS) / 50_000 : Number.POSITIVE_INFINITY;
let overTarget = false;

interface Push {
  members: number;
  pushMs: number;
  removeMs: number;
}

async function scimCall(base: string, token: string, method: string, path: string, body: unknown, expected: number): Promise<number> {
  const payload = JSON.stringify(body);
  const started = performance.now();
  const res = await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' }, body: payload });
  await res.arrayBuffer();
  const ms = performance.now() - started;
  if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status}`);
  return ms;
}

/** A fresh company with `members` directory users, one mapped group, and the timed push into it. */
async function push(handle: DatabaseHandle, base: string, members: number): Promise<Push> {
  const company = await json(base, 'POST', '/api/operator/companies', OPERATOR_TOKEN, { name: `Group push ${members}` });
  const { key } = await json(base, 'POST', `/api/operator/companies/${company.id}/api-keys`, OPERATOR_TOKEN);
  const ws = await json(base, 'POST', `/api/companies/${company.id}/workspaces`, key, { name: 'Engineering' });
  const ps = await json(base, 'POST', `/api/companies/${company.id}/permission-sets`, key, { name: 'Engineers', permissions: ['dashboards:read'] });
  const { token, scimBaseUrl } = await json(base, 'POST', `/api/companies/${company.id}/scim-tokens`, key, {});
  const scimBase = new URL(scimBaseUrl).pathname;
  const seeded = await seedDirectory(handle.db, company.id, { count: members, domain: 'push.example', accountsEvery: 2 });
  const group = await json(base, 'POST', `${scimBase}/Groups`, token, { displayName: 'Engineering' });
  await json(base, 'PUT', `/api/companies/${company.id}/scim/group-mappings/${group.id}`, key, { workspaceId: ws.id, permissionSetId: ps.id });

  const pushMs = await scimCall(base, token, 'PUT', `${scimBase}/Groups/${group.id}`, {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: 'Engineering',
    members: seeded.ids.map((value) => ({ value })),
  }, 200);
  const removed = seeded.ids.slice(0, Math.floor(members / 10));
  const removeMs = await scimCall(base, token, 'PATCH', `${scimBase}/Groups/${group.id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'remove', path: 'members', value: removed.map((value) => ({ value })) }],
  }, 204);

  // What the push must have done, checked in the database.
  const [inGroup] = await handle.db.select({ n: count() }).from(directoryGroupMembers).where(eq(directoryGroupMembers.groupId, group.id));
  const [granted] = await handle.db.select({ n: count() }).from(memberships).where(and(eq(memberships.companyId, company.id), eq(memberships.workspaceId, ws.id)));
  if (inGroup?.n !== members - removed.length) throw new Error(`group has ${inGroup?.n} members, expected ${members - removed.length}`);
  if (granted?.n !== seeded.accountEmails.length) throw new Error(`${granted?.n} workspace memberships, expected ${seeded.accountEmails.length}`);
  return { members, pushMs, removeMs };
}

async function run(label: string, handle: DatabaseHandle): Promise<void> {
  await migrateDatabase(handle);
  const app = createApp({
    config: { publicUrl: 'http://127.0.0.1', operatorToken: OPERATOR_TOKEN, sessionSecret: 'bench-session-secret-0123456789abcdefghij', production: false },
    database: { kind: handle.kind, db: handle.db },
    log: null,
    purgeEvery: 0,
  });
  const port = await freePort();
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
  const base = `http://127.0.0.1:${port}`;
  try {
    const peer = await push(handle, base, PEER);
    const big = await push(handle, base, MEMBERS);
    const perMember = (p: Push) => p.pushMs / p.members;
    console.log(`${label}: PUT /Groups/:id of a mapped group (half the members have a dashboard account), then PATCH removing a tenth`);
    for (const p of [peer, big]) {
      const rate = (p.members / p.pushMs) * 1000;
      console.log(
        `  ${String(p.members).padStart(6)} members   push ${fmt(p.pushMs).padStart(10)}  ${rate.toFixed(0).padStart(6)} members/s  ${(perMember(p) * 1000).toFixed(1).padStart(6)} µs/member   remove ${p.members / 10}: ${fmt(p.removeMs)}`,
      );
    }
    console.log(`  per-member cost, ${MEMBERS} vs ${PEER} members: ${(perMember(big) / perMember(peer)).toFixed(2)}x`);
    if (big.pushMs > TARGET_MS) {
      console.log(`  OVER TARGET: ${fmt(big.pushMs)} > ${fmt(TARGET_MS)}`);
      overTarget = true;
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await handle.close();
  }
}

async function main() {
  console.log(`Group push benchmark, ${process.version}`);
  await run('PGlite (in memory)', await openPglite());
  if (process.env.DATABASE_URL) await run('PostgreSQL', openPostgres(process.env.DATABASE_URL, { max: 4 }));
  if (overTarget) process.exit(1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
