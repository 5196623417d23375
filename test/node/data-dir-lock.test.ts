/**
 * PGlite is single-process: two servers on one DATA_DIR would both acknowledge writes and the last
 * to close would keep only its own. Proved with real processes: two started at the same moment (one
 * serves, the other is refused before it opens the database), then a count of acknowledged writes
 * across a clean stop, a kill -9 (whose stale lock the next start takes over) and restarts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from '../support/server.js';
import { freePort, projectRoot, start as startWith, stop } from '../support/server.js';

// The built bundle, one process: a kill -9 must hit the server itself (tsx would leave its child).
beforeAll(async () => {
  await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: projectRoot });
}, 120_000);
const start = (env: Record<string, string>, port: number) => startWith(env, port, { command: [process.execPath, 'dist/node.js'] });

const OPERATOR_TOKEN = 'lock-test-operator-token-0123456789abcdef';
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function env(dataDir: string) {
  const port = await freePort();
  return { port, env: { DATA_DIR: dataDir, DEMO: 'off', OPERATOR_TOKEN, PUBLIC_URL: `http://127.0.0.1:${port}` } };
}

const auth = { Authorization: `Bearer ${OPERATOR_TOKEN}` };

/** Creates `n` companies, 5 at a time; returns the ids of those acknowledged with a 201. */
async function createCompanies(server: Running, n: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 5) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(5, n - i) }, (_, j) =>
        fetch(`${server.base}/api/operator/companies`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: `${label} ${i + j}` }),
        }),
      ),
    );
    for (const res of batch) if (res.status === 201) ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

async function companyIds(server: Running): Promise<string[]> {
  const res = await fetch(`${server.base}/api/operator/companies`, { headers: auth });
  return ((await res.json()) as { companies: { id: string }[] }).companies.map((c) => c.id);
}

describe('one server per DATA_DIR', () => {
  it('of two servers started together on an empty DATA_DIR, one serves and the other is refused before opening it', async () => {
    for (let round = 0; round < 2; round++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'bridge-lock-race-'));
      dirs.push(dataDir);
      const a = await env(dataDir);
      const b = await env(dataDir);
      const results = await Promise.allSettled([start(a.env, a.port), start(b.env, b.port)]);
      const served = results.filter((r): r is PromiseFulfilledResult<Running> => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      try {
        expect(served).toHaveLength(1);
        expect(refused).toHaveLength(1);
        const why = String(refused[0]!.reason);
        expect(why).toContain(`DATA_DIR ${dataDir} is in use by another running server (process `);
        expect(why).not.toContain('database ready');
      } finally {
        for (const s of served) await stop(s.value);
      }
    }
  }, 120_000);

  it('every acknowledged write survives: a refused second server, a clean stop, a kill -9 and restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-lock-writes-'));
    dirs.push(dataDir);
    const acknowledged: string[] = [];

    const first = await env(dataDir);
    const one = await start(first.env, first.port);
    acknowledged.push(...(await createCompanies(one, 15, 'first')));
    // A second server on the same folder while the first is writing: refused, writes nothing.
    const second = await env(dataDir);
    const [refused, more] = await Promise.allSettled([start(second.env, second.port), createCompanies(one, 15, 'during')]);
    expect(refused.status).toBe('rejected');
    expect(String((refused as PromiseRejectedResult).reason)).toContain('is in use by another running server');
    acknowledged.push(...(more as PromiseFulfilledResult<string[]>).value);
    expect(await stop(one)).toBe(0);
    expect(await readdir(dataDir)).not.toContain('pglite.lock');

    // Restart, write, then kill -9: the lock stays behind with a dead process id.
    const third = await env(dataDir);
    const two = await start(third.env, third.port);
    acknowledged.push(...(await createCompanies(two, 10, 'before kill')));
    const killed = new Promise((resolve) => two.child.once('exit', resolve));
    two.child.kill('SIGKILL');
    await killed;
    expect(await readdir(dataDir)).toContain('pglite.lock');

    // The next start takes the stale lock over and sees every acknowledged write.
    const fourth = await env(dataDir);
    const three = await start(fourth.env, fourth.port);
    try {
      const ids = await companyIds(three);
      expect(acknowledged).toHaveLength(40);
      expect(ids.sort()).toEqual([...acknowledged].sort());
    } finally {
      expect(await stop(three)).toBe(0);
    }
  }, 180_000);
});
