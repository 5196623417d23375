/**
 * Production on Node, as the README says: `npm run build`, then `npm run start:prod` (or
 * `node dist/node.js` from any working directory). Migrations are found beside the bundle, the
 * secrets are required, and SIGTERM lets an in-flight request finish before the database closes.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, projectRoot, start, stop } from '../support/server.js';

const run = promisify(execFile);
const bundle = join(projectRoot, 'dist', 'node.js');
// Production refuses guessable secrets: these are random-looking (about 200 bits by the entropy estimate).
const secrets = { OPERATOR_TOKEN: 'Xq3vN8pL2mRt7wYz5bKc9dHf4gJs6aEu1iOo0', SESSION_SECRET: 'Zr8kT2nW5qXv9mPb3cLd7fHj1gNs4aYe6uIo0' };

const dirs: string[] = [];
async function tempDir(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: projectRoot });
}, 120_000);
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A POST whose body arrives in two parts, `pause` apart; resolves with the status and JSON body. */
function slowPost(base: string, path: string, token: string, body: string, onFirstPart: () => void, pause: number) {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half), () => {
      onFirstPart();
      setTimeout(() => req.end(body.slice(half)), pause);
    });
  });
}

describe('production build', () => {
  it('npm run start:prod serves the built app', async () => {
    const dataDir = await tempDir('bridge-prod-');
    const port = await freePort();
    const env = { NODE_ENV: 'production', DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, ...secrets };
    const server = await start(env, port, { command: ['npm', 'run', '--silent', 'start:prod'] });
    try {
      const health = await fetch(`${server.base}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok', database: 'pglite' });
      // Production: no demo, no test IdP.
      expect((await fetch(`${server.base}/dev/idp`)).status).toBe(404);
      // The API reference and its script, served from the bundle's node_modules.
      expect((await fetch(`${server.base}/docs`)).status).toBe(200);
      const script = await fetch(`${server.base}/docs/scalar.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toContain('javascript');
      // SIGTERM to npm reaches the server itself (the script execs node): it shuts down cleanly,
      // npm exits 0, and nothing is left listening.
      expect(await stop(server)).toBe(0);
      expect(server.output()).toContain('"msg":"shutting down"');
      await expect(fetch(`${server.base}/healthz`)).rejects.toThrow();
    } finally {
      await stop(server);
    }
  }, 60_000);

  it('node dist/node.js from another folder finishes an in-flight request on SIGTERM, closes the database and exits 0', async () => {
    const dataDir = await tempDir('bridge-prod-');
    const cwd = await tempDir('bridge-cwd-');
    const port = await freePort();
    const env = { NODE_ENV: 'production', DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, ...secrets };
    const server = await start(env, port, { command: [process.execPath, bundle], cwd });

    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    const created = await slowPost(
      server.base,
      '/api/operator/companies',
      secrets.OPERATOR_TOKEN,
      JSON.stringify({ name: 'In flight at SIGTERM' }),
      () => server.child.kill('SIGTERM'),
      500,
    );
    expect(created.status).toBe(201);
    expect(await exited).toBe(0);
    expect(server.output()).toContain('"msg":"shutting down"');

    // The write was committed and the database closed cleanly: a restart from another folder sees it.
    const again = await start(env, port, { command: [process.execPath, bundle], cwd });
    try {
      const res = await fetch(`${again.base}/api/operator/companies`, { headers: { Authorization: `Bearer ${secrets.OPERATOR_TOKEN}` } });
      const body = (await res.json()) as { companies: { id: string; name: string }[] };
      expect(body.companies.map((c) => c.name)).toContain('In flight at SIGTERM');
      expect(body.companies.find((c) => c.name === 'In flight at SIGTERM')!.id).toBe(created.json.id);
    } finally {
      expect(await stop(again)).toBe(0);
    }
  }, 120_000);

  it('node dist/node.js runs from another working directory with DATABASE_URL', async (ctx) => {
    if (!process.env.DATABASE_URL) return ctx.skip();
    const port = await freePort();
    const cwd = await tempDir('bridge-cwd-');
    const env = { NODE_ENV: 'production', DATABASE_URL: process.env.DATABASE_URL, PUBLIC_URL: `http://127.0.0.1:${port}`, ...secrets };
    const server = await start(env, port, { command: [process.execPath, bundle], cwd });
    try {
      expect(await (await fetch(`${server.base}/healthz`)).json()).toEqual({ status: 'ok', database: 'postgres' });
    } finally {
      expect(await stop(server)).toBe(0);
    }
  }, 60_000);

  it('refuses to start in production without the secrets, naming them', async () => {
    const port = await freePort();
    const cwd = await tempDir('bridge-cwd-');
    for (const missing of ['OPERATOR_TOKEN', 'SESSION_SECRET'] as const) {
      const env: Record<string, string> = { NODE_ENV: 'production', DATA_DIR: cwd, ...secrets };
      delete env[missing];
      await expect(start(env, port, { command: [process.execPath, bundle], cwd })).rejects.toThrow(
        /OPERATOR_TOKEN and SESSION_SECRET are required when NODE_ENV=production/,
      );
    }
  }, 60_000);
});
