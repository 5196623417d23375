/**
 * The real Node entry point as `npm start` runs it: a listening server on an empty DATA_DIR (PGlite),
 * the operator and admin flow over TCP, a restart that keeps the data, and a clear refusal of bad config.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  base: string;
}

async function start(env: Record<string, string>, port: number): Promise<Running> {
  let output = '';
  const child = spawn(tsx, ['src/node.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.status === 200) return { child, output: () => output, base };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not answer /healthz: ${output}`);
}

async function stop(running: Running): Promise<number | null> {
  if (running.child.exitCode !== null) return running.child.exitCode;
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGTERM');
  return exited;
}

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

  it('refuses to start with a bad configuration, naming the variable', async () => {
    const port = await freePort();
    await expect(start({ PORT: 'eighty', DATA_DIR: '/nonexistent/x' }, port)).rejects.toThrow(/PORT: must be a port number/);
    await expect(start({ NODE_ENV: 'production', DATA_DIR: '/nonexistent/x' }, port)).rejects.toThrow(
      /OPERATOR_TOKEN and SESSION_SECRET are required/,
    );
  });
});
