/**
 * WEB_CONCURRENCY: the rules (how many processes, when it is refused), and the built server
 * (`node dist/node.js`) as a node:cluster primary with two workers on one port, on a fresh PostgreSQL
 * database beside DATABASE_URL's: concurrent requests all answered, two worker processes, a worker
 * killed with SIGKILL replaced while requests keep being answered, a SIGHUP rolling restart under a
 * request loop without one failed request, and SIGTERM ending every process with exit code 0.
 *
 * The cluster part needs PostgreSQL (PGlite is one process's database): skipped without DATABASE_URL.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '../../src/config.js';
import { resolveWebConcurrency } from '../../src/node/web-concurrency.js';
import { databaseBeside } from '../support/db.js';
import type { Running } from '../support/server.js';
import { freePort, projectRoot, start as startWith, stop } from '../support/server.js';

const run = promisify(execFile);
const bundle = join(projectRoot, 'dist', 'node.js');
const secrets = { OPERATOR_TOKEN: 'Xq3vN8pL2mRt7wYz5bKc9dHf4gJs6aEu1iOo0', SESSION_SECRET: 'Zr8kT2nW5qXv9mPb3cLd7fHj1gNs4aYe6uIo0' };
const start = (env: Record<string, string>, port: number) => startWith(env, port, { command: [process.execPath, bundle] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dirs: string[] = [];
async function tempDir(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  await run('npm', ['run', '--silent', 'build'], { cwd: projectRoot });
}, 120_000);
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The built server run to its exit (a refusal): exit code and everything it printed. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(process.execPath, [bundle], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The pids of `pid`'s child processes (the cluster's workers), sorted. */
async function childrenOf(pid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Loop {
  stop(): Promise<{ ok: number; failures: { at: number; why: string }[] }>;
}

/** `parallel` clients sending GET /healthz back to back on keep-alive connections until stopped. */
function requestLoop(base: string, parallel: number): Loop {
  let running = true;
  let ok = 0;
  const failures: { at: number; why: string }[] = [];
  const clients = Array.from({ length: parallel }, async () => {
    while (running) {
      const at = Date.now();
      try {
        const res = await fetch(`${base}/healthz`);
        const body = await res.text();
        if (res.status === 200) ok++;
        else failures.push({ at, why: `${res.status} ${body.slice(0, 100)}` });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        failures.push({ at, why: `${(error as Error).message}: ${cause?.code ?? cause?.message ?? ''}` });
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(clients);
      return { ok, failures };
    },
  };
}

describe('resolveWebConcurrency and WEB_CONCURRENCY parsing', () => {
  const url = 'postgres://postgres@127.0.0.1:5432/x';
  it('defaults to one process outside production and to every core (at most 64) in production with DATABASE_URL', () => {
    expect(resolveWebConcurrency({ NODE_ENV: 'development', DATABASE_URL: url }, 8)).toEqual({ processes: 1 });
    expect(resolveWebConcurrency({ NODE_ENV: 'production', DATABASE_URL: url }, 8)).toEqual({ processes: 8 });
    expect(resolveWebConcurrency({ NODE_ENV: 'production', DATABASE_URL: url }, 200)).toEqual({ processes: 64 });
    expect(resolveWebConcurrency({ NODE_ENV: 'production' }, 1)).toEqual({ processes: 1 });
  });

  it('falls back to one process in production with PGlite, saying why', () => {
    const { processes, note } = resolveWebConcurrency({ NODE_ENV: 'production' }, 8);
    expect(processes).toBe(1);
    expect(note).toMatch(/PGlite/);
    expect(note).toMatch(/DATABASE_URL/);
  });

  it('takes an explicit value, and refuses more than one process without DATABASE_URL, naming both', () => {
    expect(resolveWebConcurrency({ NODE_ENV: 'development', WEB_CONCURRENCY: 3, DATABASE_URL: url }, 2)).toEqual({ processes: 3 });
    expect(resolveWebConcurrency({ NODE_ENV: 'production', WEB_CONCURRENCY: 1 }, 8)).toEqual({ processes: 1 });
    expect(() => resolveWebConcurrency({ NODE_ENV: 'production', WEB_CONCURRENCY: 2 }, 8)).toThrow(ConfigError);
    expect(() => resolveWebConcurrency({ NODE_ENV: 'development', WEB_CONCURRENCY: 2 }, 8)).toThrow(/WEB_CONCURRENCY: .*DATABASE_URL/);
  });

  it('parses 1 to 64 and names the variable otherwise', () => {
    expect(parseEnv({ WEB_CONCURRENCY: '64' }).WEB_CONCURRENCY).toBe(64);
    expect(parseEnv({ WEB_CONCURRENCY: '1' }).WEB_CONCURRENCY).toBe(1);
    expect(parseEnv({}).WEB_CONCURRENCY).toBeUndefined();
    for (const bad of ['abc', '0', '65', '1.5', '-2', '100']) {
      expect(() => parseEnv({ WEB_CONCURRENCY: bad }), bad).toThrow(/WEB_CONCURRENCY: must be/);
    }
  });
});

describe('node dist/node.js refusals', () => {
  it('refuses WEB_CONCURRENCY=2 without DATABASE_URL, naming both, before opening anything', async () => {
    const dataDir = await tempDir('bridge-wc-');
    const { code, output } = await runToExit({ WEB_CONCURRENCY: '2', DATA_DIR: dataDir, DEMO: 'off', PORT: String(await freePort()) });
    expect(code).toBe(1);
    expect(output).toMatch(/WEB_CONCURRENCY: 2 processes need DATABASE_URL/);
    expect(output).not.toContain('"msg":"database ready"');
  });

  it('refuses WEB_CONCURRENCY=abc, naming the variable', async () => {
    const { code, output } = await runToExit({ WEB_CONCURRENCY: 'abc', DATA_DIR: '/nonexistent/x' });
    expect(code).toBe(1);
    expect(output).toMatch(/WEB_CONCURRENCY: must be a whole number of processes \(1-64\)/);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.skipIf(availableParallelism() < 2)('in production with PGlite runs one process (no cluster) and says why', async () => {
    const dataDir = await tempDir('bridge-wc-prod-');
    const port = await freePort();
    const server = await start({ NODE_ENV: 'production', DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, ...secrets }, port);
    try {
      expect(server.output()).toMatch(/one process, not one per core .*PGlite/);
      expect(server.output()).toContain('"msg":"listening"');
      expect(await childrenOf(server.child.pid!)).toEqual([]);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  }, 60_000);
});

describe.skipIf(!process.env.DATABASE_URL)('WEB_CONCURRENCY=2: a cluster on one port (PostgreSQL)', () => {
  let server: Running;
  let primary: number;
  let workers: number[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const own = await databaseBeside(process.env.DATABASE_URL!, 'webconc');
    dropDatabase = own.drop;
    const port = await freePort();
    server = await start(
      {
        WEB_CONCURRENCY: '2',
        DATABASE_URL: own.url,
        DATA_DIR: await tempDir('bridge-wc-cluster-'),
        DEMO: 'off',
        LOG_LEVEL: 'silent',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        ...secrets,
      },
      port,
    );
    primary = server.child.pid!;
    // /healthz answers as soon as the first worker listens; the primary's line comes once both do.
    await waitFor('the primary\'s listening line', () => (server.output().includes('"msg":"listening"') ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    for (const pid of workers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await dropDatabase?.();
  }, 60_000);

  it('says how many processes listen on which port, and answers many concurrent requests', async () => {
    const line = server.output().split('\n').find((l) => l.includes('"msg":"listening"'))!;
    expect(JSON.parse(line)).toMatchObject({ msg: 'listening', port: Number(new URL(server.base).port), processes: 2 });
    const statuses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${server.base}/healthz`).then((r) => r.status)));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await (await fetch(`${server.base}/healthz`)).json()).toEqual({ status: 'ok', database: 'postgres' });
  });

  it('runs two worker processes of the bundle under the primary', async () => {
    workers = await childrenOf(primary);
    expect(workers).toHaveLength(2);
    for (const pid of workers) expect(await readFile(`/proc/${pid}/cmdline`, 'utf8')).toContain('node.js');
  });

  it('replaces a worker killed with SIGKILL while requests keep being answered', async () => {
    const loop = requestLoop(server.base, 8);
    await sleep(300);
    const [victim, survivor] = workers as [number, number];
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    const replaced = await waitFor('a replacement worker', async () => {
      const now = await childrenOf(primary);
      return now.length === 2 && !now.includes(victim) && server.output().includes('"msg":"worker started"') ? now : undefined;
    });
    await sleep(500);
    const { ok, failures } = await loop.stop();
    // Only a request the killed worker held at that moment may be lost; every later one is answered.
    expect(failures.length, JSON.stringify(failures)).toBeLessThanOrEqual(8);
    expect(failures.filter((f) => f.at > killedAt + 300)).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    expect(replaced).toContain(survivor);
    expect(alive(victim)).toBe(false);
    workers = replaced;
  }, 60_000);

  it('restarts every worker on SIGHUP, one at a time, without one failed request', async () => {
    const before = workers;
    const loop = requestLoop(server.base, 8);
    await sleep(300);
    const offset = server.output().length;
    process.kill(primary, 'SIGHUP');
    await waitFor('the rolling restart', () => (server.output().slice(offset).includes('"msg":"rolling restart done"') ? true : undefined), 45_000);
    await sleep(300);
    const { ok, failures } = await loop.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(100);
    const after = await childrenOf(primary);
    expect(after).toHaveLength(2);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    for (const pid of before) expect(alive(pid)).toBe(false);
    workers = after;
  }, 60_000);

  it('stops every process on SIGTERM and exits 0', async () => {
    expect(await stop(server)).toBe(0);
    expect(server.output()).toMatch(/"msg":"shutting down","signal":"SIGTERM","processes":2/);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    await expect(fetch(`${server.base}/healthz`)).rejects.toThrow();
  }, 30_000);
});
