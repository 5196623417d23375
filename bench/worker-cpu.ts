/**
 * CPU time of one ACS request in workerd, measured from outside: builds the bundle exactly as
 * `wrangler deploy --dry-run` does, runs it in Miniflare's workerd (the runtime wrangler dev and the
 * vitest pool use) with Hyperdrive pointed at DATABASE_URL, and reads the workerd process's CPU time
 * (/proc/<pid>/stat utime+stime, Linux only) around N sequential sign-ins with distinct signed
 * responses. Responses are signed beforehand in Node, so signing is not counted. /healthz (one query
 * on a fresh per-request client) is measured the same way as the floor of any request.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:worker-cpu
 *
 * The process figure is an upper bound of what Cloudflare bills as CPU: it also holds workerd's HTTP
 * parsing, Miniflare's entry worker and the Postgres wire protocol, which the edge counts partly or
 * not at all. Traffic goes to 127.0.0.1 only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Miniflare } from 'miniflare';
import { migrateDatabase } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/postgres.js';
import { generateKeyPair } from '../test/support/test-idp.js';
import { WORKER_TEST_OPERATOR_TOKEN, WORKER_TEST_PUBLIC_URL, WORKER_TEST_SESSION_SECRET } from '../test/worker/constants.js';
import { configureSaml, confirmedUser, postAcs, setupCompany } from '../test/worker/http.js';
import type { Fetch } from '../test/worker/http.js';
import { signIdpInitiatedResponse, spFor } from '../test/worker/idp-signer.js';
import { decodedSize, okta8kAttributes, person } from './saml-shapes.js';

const root = resolve(import.meta.dirname, '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUESTS = Number(process.env.MEASURE_REQUESTS ?? 300);
const WARMUP = 30;
const IDP_ENTITY_ID = 'https://idp.test/cpu-measure';
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

function buildBundle(outdir: string): string {
  const run = spawnSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  if (run.status !== 0) throw new Error(`wrangler build failed:\n${run.stdout}\n${run.stderr}`);
  return join(outdir, 'worker.js');
}

function compatibility(): { date: string; flags: string[] } {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date || flags === undefined) throw new Error('no compatibility settings in wrangler.toml');
  return { date, flags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) };
}

function procStat(pid: string): { ppid: string; comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state ppid ... utime is field 14 overall, i.e. index 11 here; stime index 12.
    return { ppid: fields[1]!, comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** The workerd processes started under this Node process. */
function workerdPids(): string[] {
  const all = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  const parentOf = new Map(all.map((pid) => [pid, procStat(pid)?.ppid ?? '']));
  const descends = (pid: string): boolean => {
    for (let p = parentOf.get(pid), hops = 0; p && hops < 10; p = parentOf.get(p), hops++) if (p === String(process.pid)) return true;
    return false;
  };
  return all.filter((pid) => procStat(pid)?.comm === 'workerd' && descends(pid));
}

const cpuTicks = (pids: string[]) => pids.reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0);

async function measure(label: string, pids: string[], count: number, one: (i: number) => Promise<void>) {
  const walls: number[] = [];
  const ticksBefore = cpuTicks(pids);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await one(i);
    walls.push(performance.now() - t);
  }
  const elapsed = performance.now() - started;
  const cpuMs = ((cpuTicks(pids) - ticksBefore) * 1000) / TICKS_PER_SECOND / count;
  walls.sort((a, b) => a - b);
  const p50 = walls[Math.floor(walls.length / 2)]!;
  console.log(
    `${label}: workerd CPU ${cpuMs.toFixed(1)} ms per request; wall p50 ${p50.toFixed(1)} ms (${count} sequential requests in ${(elapsed / 1000).toFixed(1)} s)`,
  );
}

async function main() {
  const migration = openPostgres(DATABASE_URL, { max: 1 });
  await migrateDatabase(migration).finally(() => migration.close());

  const outdir = mkdtempSync(join(tmpdir(), 'worker-cpu-'));
  const { date, flags } = compatibility();
  const hyperdriveUrl = new URL(DATABASE_URL);
  if (hyperdriveUrl.password === '') hyperdriveUrl.password = 'trust-auth-ignores-this';
  const bundlePath = buildBundle(outdir);
  const mf = new Miniflare({
    // The module given as is, as wrangler dev does.
    modules: [{ type: 'ESModule', path: bundlePath, contents: readFileSync(bundlePath, 'utf8') }],
    modulesRoot: outdir,
    compatibilityDate: date,
    compatibilityFlags: flags,
    host: '127.0.0.1',
    cf: false,
    hyperdrives: { HYPERDRIVE: hyperdriveUrl.toString() },
    bindings: {
      PUBLIC_URL: WORKER_TEST_PUBLIC_URL,
      OPERATOR_TOKEN: WORKER_TEST_OPERATOR_TOKEN,
      SESSION_SECRET: WORKER_TEST_SESSION_SECRET,
      LOG_LEVEL: 'silent',
    },
  });
  try {
    await mf.ready;
    const fetch: Fetch = async (request) => {
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
      const requestHeaders: Record<string, string> = {};
      request.headers.forEach((value, name) => {
        requestHeaders[name] = value;
      });
      const res = await mf.dispatchFetch(request.url, { method: request.method, headers: requestHeaders, body, redirect: 'manual' });
      const headers = new Headers();
      for (const [name, value] of res.headers) headers.append(name, value);
      return new Response(await res.arrayBuffer(), { status: res.status, headers });
    };
    const pids = workerdPids();
    if (pids.length === 0) throw new Error('no workerd process found under this process');
    console.log(`workerd ${pids.join(', ')}, bundle ${(readFileSync(join(outdir, 'worker.js')).length / 1024).toFixed(0)} KiB, compatibility ${date} ${flags.join(' ')}`);

    const keys = generateKeyPair('cpu-measure');
    const company = await setupCompany(fetch, 'CPU measure');
    await configureSaml(fetch, company, { entityId: IDP_ENTITY_ID, certificatePem: keys.certificatePem });
    const email = 'jon@cpu-measure.example';
    await confirmedUser(fetch, company, email);
    const sp = spFor(WORKER_TEST_PUBLIC_URL, company.id);
    const responses = Array.from({ length: WARMUP + REQUESTS }, () => signIdpInitiatedResponse(IDP_ENTITY_ID, keys, { sp, now: new Date(), email }));
    // The 8 KB Okta shape of bench/acs.ts (a dozen attributes, 40 groups), for the same person.
    const okta = { ...person(0, 'cpu-measure.example'), email };
    const responses8k = Array.from({ length: REQUESTS }, () =>
      signIdpInitiatedResponse(IDP_ENTITY_ID, keys, { sp, now: new Date(), email, attributes: okta8kAttributes(okta) }),
    );

    const idleBefore = cpuTicks(pids);
    await new Promise((r) => setTimeout(r, 2000));
    console.log(`idle: workerd CPU ${(((cpuTicks(pids) - idleBefore) * 1000) / TICKS_PER_SECOND / 2).toFixed(1)} ms per second`);

    for (let i = 0; i < WARMUP; i++) {
      const res = await postAcs(fetch, company.id, responses[i]!);
      if (res.status !== 303) throw new Error(`warm-up ACS: ${res.status} ${res.html.slice(0, 200)}`);
      await fetch(new Request(`${WORKER_TEST_PUBLIC_URL}/healthz`));
    }
    await measure('GET /healthz', pids, REQUESTS, async () => {
      const res = await fetch(new Request(`${WORKER_TEST_PUBLIC_URL}/healthz`));
      if (res.status !== 200) throw new Error(`healthz: ${res.status}`);
    });
    await measure('POST /saml/:id/acs (signed IdP-initiated sign-in, existing user)', pids, REQUESTS, async (i) => {
      const res = await postAcs(fetch, company.id, responses[WARMUP + i]!);
      if (res.status !== 303) throw new Error(`ACS: ${res.status} ${res.html.slice(0, 200)}`);
    });
    await measure(`POST /saml/:id/acs (8 KB Okta-shaped response, ${decodedSize(responses8k[0]!)} bytes, existing user)`, pids, REQUESTS, async (i) => {
      const res = await postAcs(fetch, company.id, responses8k[i]!);
      if (res.status !== 303) throw new Error(`ACS 8 KB: ${res.status} ${res.html.slice(0, 200)}`);
    });
  } finally {
    // Disposing workerd resets the sockets still open to it (Miniflare's dispatch connections): that
    // error is the shutdown itself, not a failed measurement, so it is not allowed to crash the run.
    process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') throw error;
    });
    await mf.dispose();
    rmSync(outdir, { recursive: true, force: true });
  }
}

// Exits when done: sockets workerd reset at dispose may hold the event loop open.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
