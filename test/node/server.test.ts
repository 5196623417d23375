/**
 * The real Node entry point as `npm start` runs it: a listening server on an empty DATA_DIR (PGlite),
 * the operator and admin flow over TCP, a restart that keeps the data, and a clear refusal of bad config.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, start, stop } from '../support/server.js';

async function post(base: string, path: string, token: string | null, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('npm start (src/node.ts)', () => {
  it('serves on an empty DATA_DIR with PGlite, runs the whole admin flow, and keeps the data across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-start-'));
    dirs.push(dataDir);
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}` };

    const first = await start(env, port);
    let companyId: string;
    let key: string;
    let userId: string;
    const token = (await readFile(join(dataDir, 'operator-token'), 'utf8')).trim();
    try {
      expect(first.output()).toContain(token); // printed once, when generated
      const health = await fetch(`${first.base}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok', database: 'pglite' });

      const company = await post(first.base, '/api/operator/companies', token, { name: 'Decorumsoft' });
      expect(company.status).toBe(201);
      companyId = company.json.id;
      const apiKey = await post(first.base, `/api/operator/companies/${companyId}/api-keys`, token);
      key = apiKey.json.key;
      const ws = await post(first.base, `/api/companies/${companyId}/workspaces`, key, { name: 'Main' });
      const ps = await post(first.base, `/api/companies/${companyId}/permission-sets`, key, { name: 'Members', permissions: ['dashboards:read'] });
      expect([ws.status, ps.status]).toEqual([201, 201]);
      const invited = await post(first.base, `/api/companies/${companyId}/users`, key, {
        email: 'jon.smith@decorumsoft.com',
        workspaceId: ws.json.id,
        permissionSetId: ps.json.id,
      });
      expect(invited.json.status).toBe('invited');
      userId = invited.json.id;
      const accepted = await post(first.base, new URL(invited.json.invitationUrl).pathname, null);
      expect(accepted.status).toBe(200);
      expect(accepted.json.status).toBe('active');
      // One JSON log line per request, with the route pattern and never the invitation token.
      const token43 = new URL(invited.json.invitationUrl).pathname.split('/').pop()!;
      expect(first.output()).toContain('"route":"/invitations/:token"');
      expect(first.output()).not.toContain(token43);
    } finally {
      expect(await stop(first)).toBe(0);
    }

    const second = await start(env, port);
    try {
      expect(second.output()).not.toContain(token); // not printed again
      const res = await fetch(`${second.base}/api/companies/${companyId}/users?email=jon.smith@decorumsoft.com`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      const body = (await res.json()) as any;
      expect(body.users).toHaveLength(1);
      expect(body.users[0]).toMatchObject({ id: userId, status: 'active', confirmedVia: 'invitation' });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 120_000);

  it('says so plainly when the port is taken', async () => {
    // Another HTTP server holds the port (answering 503, so the readiness poll never mistakes it for ours).
    const { createServer } = await import('node:http');
    const blocker = createServer((_req, res) => res.writeHead(503).end());
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-port-'));
    dirs.push(dataDir);
    try {
      await expect(start({ DATA_DIR: dataDir, DEMO: 'off' }, port)).rejects.toThrow(new RegExp(`Cannot listen: port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  }, 90_000);

  it('refuses to start with a bad configuration, naming the variable', async () => {
    const port = await freePort();
    await expect(start({ PORT: 'eighty', DATA_DIR: '/nonexistent/x' }, port)).rejects.toThrow(/PORT: must be a port number/);
    await expect(start({ NODE_ENV: 'production', DATA_DIR: '/nonexistent/x' }, port)).rejects.toThrow(
      /OPERATOR_TOKEN and SESSION_SECRET are required/,
    );
  });
});
