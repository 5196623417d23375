/** Shared by the HTTP benchmarks: a real Node server on PostgreSQL on a free loopback port, and timing helpers. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const OPERATOR_TOKEN = 'bench-operator-token-0123456789abcdefghij';

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface StartOptions {
  /**
   * Run the built bundle as `npm start` does (`node --enable-source-maps dist/node.js`; call
   * `buildBundle()` first) instead of `tsx src/node.ts`; a string is the bundle to run (see `privateBundle`).
   */
  bundle?: boolean | string;
  /** Listen here instead of on a fresh free port (a fixed PUBLIC_URL across restarts keeps SP entity IDs). */
  port?: number;
  /** A command the server runs under, e.g. ['taskset', '-c', '0'] (bundle only). */
  wrap?: string[];
  /** Node flags before the script, e.g. --cpu-prof (bundle only). */
  nodeArgs?: string[];
  /** Extra environment, over the defaults below. */
  env?: Record<string, string>;
  /** Drop the server's stdout (its scheduled-task lines are printed whatever LOG_LEVEL says); stderr stays. */
  quiet?: boolean;
}

/** `npm run build`'s step: bundles src/node.ts into dist/node.js (what `npm start` runs). */
export async function buildBundle(): Promise<void> {
  const build = spawn(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => build.once('exit', resolve));
  if (code !== 0) throw new Error(`scripts/build.mjs exited with ${code}`);
}

/**
 * Builds, then copies the bundle, its source map and the migrations to dist/<name>/, which no build
 * rewrites: a long benchmark keeps running the code it started with while others rebuild dist/.
 * Returns the entry (relative to the project root) and a function that removes the copy.
 */
export async function privateBundle(name: string): Promise<{ entry: string; remove: () => void }> {
  await buildBundle();
  const dir = join(root, 'dist', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of ['node.js', 'node.js.map']) cpSync(join(root, 'dist', file), join(dir, file));
  cpSync(join(root, 'dist', 'drizzle'), join(dir, 'drizzle'), { recursive: true });
  return { entry: relative(root, join(dir, 'node.js')), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts src/node.ts (or its bundle) on DATABASE_URL (demo off, logs off) and waits for /healthz. */
export async function startServer(options: StartOptions = {}): Promise<{ base: string; server: ChildProcess }> {
  const port = options.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const [program, ...args] = options.bundle
    ? [...(options.wrap ?? []), process.execPath, ...(options.nodeArgs ?? []), '--enable-source-maps', typeof options.bundle === 'string' ? options.bundle : 'dist/node.js']
    : [`${root}/node_modules/.bin/tsx`, 'src/node.ts'];
  const server = spawn(program!, args, {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      OPERATOR_TOKEN,
      SESSION_SECRET: 'bench-session-secret-0123456789abcdefghij',
      LOG_LEVEL: 'silent',
      DEMO: 'off',
      ...options.env,
    },
    stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit'],
  });
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode} before answering /healthz`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return { base, server };
    } catch {
      // starting
    }
    if (i > 300) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM (or `signal`), then waits for the exit; SIGKILL after `graceMs`. Returns the exit code. */
export async function stopServer(server: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | null> {
  if (server.exitCode !== null || server.signalCode !== null) return server.exitCode;
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill(signal);
  const timer = setTimeout(() => server.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A JSON call that must succeed. */
export async function json(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs `count` requests `concurrency` at a time; each must answer `expected`. Returns rate and latencies. */
export async function load(
  count: number,
  concurrency: number,
  request: (i: number) => Promise<Response>,
  expected: number,
): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        const res = await request(i);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== expected) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${failures} of ${count} requests did not answer ${expected}`);
  latencies.sort((a, b) => a - b);
  return { perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
