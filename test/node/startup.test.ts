/**
 * Start-up failures of the real Node entry point: an unreachable DATABASE_URL is one plain line naming
 * the variable, the host and the cause, retried for DATABASE_RETRY_SECONDS, then exit 1 without a
 * stack trace; a DATA_DIR held by a live server is refused before PGlite opens it; a stale lock is taken over.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, start, stop } from '../support/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(tsx, ['src/node.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('start-up failures', () => {
  it('names DATABASE_URL, the host and the cause, retries, then exits 1 without a stack trace', async () => {
    const port = await freePort(); // nothing listens there
    const { code, output } = await runToExit({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x`,
      DATABASE_RETRY_SECONDS: '1',
      PORT: String(await freePort()),
    });
    expect(code).toBe(1);
    expect(output).toContain(`Cannot use the database in DATABASE_URL (host 127.0.0.1:${port}): connection refused (ECONNREFUSED)`);
    expect(output).toContain('retrying in');
    expect(output).toContain('gave up after 1 s (DATABASE_RETRY_SECONDS)');
    expect(output).not.toMatch(/\n\s+at /); // no stack frames
    expect(output).not.toContain('pg_advisory_lock');
  }, 60_000);

  it('refuses a DATA_DIR held by a live server before opening it, and takes over a stale lock', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-lock-'));
    dirs.push(dataDir);
    // A stale lock: a process id that is not running.
    await writeFile(join(dataDir, 'pglite.lock'), '2147483646\n');
    const port = await freePort();
    const first = await start({ DATA_DIR: dataDir, DEMO: 'off', PUBLIC_URL: `http://127.0.0.1:${port}` }, port);
    try {
      const second = await runToExit({ DATA_DIR: dataDir, DEMO: 'off', PORT: String(await freePort()) });
      expect(second.code).toBe(1);
      expect(second.output).toContain(`DATA_DIR ${dataDir} is in use by another running server`);
      expect(second.output).not.toContain('database ready');
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(await readdir(dataDir)).not.toContain('pglite.lock'); // released on shutdown
  }, 120_000);
});
