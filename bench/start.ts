/**
 * `npm run bench:start`: how long a newcomer waits. For each way of running the product (`npm start`,
 * and the built bundle `node dist/node.js` as `npm run start:prod` runs it), BENCH_RUNS times
 * (default 5): a first start on an empty DATA_DIR, timed from spawn to the first `/healthz` 200, then
 * SIGTERM and a restart on the same folder. Prints the medians.
 *
 * The peer, in the same run: a bare Node process that opens PGlite on an empty folder (and again on
 * the same folder) and exits: what any product on the embedded database pays before its first line
 * of code. The ratios say how much the bridge adds on top (migrations, demo seed, hono, the lock).
 * Everything listens on 127.0.0.1 only.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, root } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** Spawns the server, returns ms from spawn to the first /healthz 200, then stops it with SIGTERM. */
async function timeStart(command: string[], dataDir: string): Promise<number> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const [program, ...args] = command as [string, ...string[]];
  const child = spawn(program, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: base,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${base}/healthz`)).status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 120_000) throw new Error(`${command.join(' ')} did not answer /healthz`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`${command.join(' ')} exited with ${code} on SIGTERM`);
  }
}

/** The peer: a Node process that opens PGlite on `dataDir` and exits; ms from spawn to exit. */
async function timePglite(dataDir: string): Promise<number> {
  const started = performance.now();
  const script = `import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create(${JSON.stringify(dataDir)});
await db.query('select 1');
await db.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`bare PGlite exited with ${code}`);
  return performance.now() - started;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function measure(label: string, once: (dir: string) => Promise<number>) {
  const first: number[] = [];
  const again: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'bridge-bench-start-'));
    try {
      first.push(await once(dir));
      again.push(await once(dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const result = { label, first: median(first), again: median(again) };
  console.log(
    `${label.padEnd(34)} first start ${(result.first / 1000).toFixed(2)} s   restart ${(result.again / 1000).toFixed(2)} s` +
      `   (runs: ${first.map((x) => (x / 1000).toFixed(2)).join(', ')} / ${again.map((x) => (x / 1000).toFixed(2)).join(', ')})`,
  );
  return result;
}

async function main() {
  const build = spawn('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let buildOutput = '';
  build.stdout!.on('data', (d) => (buildOutput += d));
  build.stderr!.on('data', (d) => (buildOutput += d));
  if ((await new Promise((r) => build.once('exit', r))) !== 0) throw new Error(`npm run build failed:\n${buildOutput}`);

  console.log(`Median of ${RUNS}, spawn to first /healthz 200 (empty DATA_DIR, then a restart on it):`);
  const peer = await measure('peer: bare PGlite open + close', timePglite);
  const dev = await measure('npm start (build, then the bundle)', (dir) => timeStart(['npm', 'start', '--silent'], dir));
  const prod = await measure('npm run start:prod (dist/node.js)', (dir) => timeStart(['npm', 'run', '--silent', 'start:prod'], dir));
  for (const r of [dev, prod]) {
    console.log(`${r.label}: ${(r.first / peer.first).toFixed(2)}x the peer's first open, ${(r.again / peer.again).toFixed(2)}x its reopen`);
  }
  const targets = { first: 8000, again: 2000 };
  const misses = [dev, prod].filter((r) => r.first > targets.first || r.again > targets.again);
  console.log(misses.length ? `OVER TARGET (first ≤ 8 s, restart ≤ 2 s): ${misses.map((m) => m.label).join('; ')}` : 'Within targets: first start ≤ 8 s, restart ≤ 2 s.');
  if (misses.length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
