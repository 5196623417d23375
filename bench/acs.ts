/**
 * `npm run bench:acs`: sign-ins per second at the ACS of the product as `npm start` runs it (the
 * bundle, on PostgreSQL at DATABASE_URL) against a peer doing the least any Node SAML SP does (an
 * @node-saml/node-saml ACS with no database, bench/peer-node-saml.ts), in one run:
 *
 *  - okta8k (~9 KB) responses of existing users at 8 connections (3 rounds), 1, 32 and 64;
 *    groups30k and entra12k at 8; JIT first sign-ins (each a new address at the company's domain) at 8;
 *  - the verifiers alone (ours vs samlify) per CPU-second; a CPU profile of the product by category;
 *  - the product with WEB_CONCURRENCY=2 (BENCH_WEB_CONCURRENCY, default 2; 0 skips), unpinned.
 *
 * Placement: each server alone on core 0 (taskset -c 0, WEB_CONCURRENCY=1), never two at once; this
 * process, the load generator, pins itself to core 1. Every request posts a fresh signed response
 * (distinct IDs), signed before the timed load. Keep-alive HTTP/1.1, 127.0.0.1 only.
 *
 * Env: DATABASE_URL (default as lib.ts), BENCH_QUICK=1 (30 requests a point, one round, no profile
 * unless BENCH_PROFILE=1), BENCH_REQUESTS, BENCH_PROFILE=0|1. Prints tables, PASS/FAIL lines for the
 * targets (information: they do not fail the run) and one `{"bench":"acs",...}` JSON line. Exits 1
 * only when the harness itself fails (a server does not start, the peer refuses what it is sent...).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestIdp } from '../test/support/test-idp.js';
import type { LoadResult } from './acs-load.js';
import { acsLoad } from './acs-load.js';
import { comparisonTable, median, profileTable, round, table, targetLines } from './acs-report.js';
import type { Target } from './acs-report.js';
import type { PeerStats } from './acs-servers.js';
import { peerStats, pinLoadGenerator, SERVER_CORE, startPeer, startProduct, stop } from './acs-servers.js';
import { setupCompany } from './acs-setup.js';
import type { BenchCompany } from './acs-setup.js';
import { verifiersAlone } from './acs-verifier.js';
import { summarizeProfiles } from './cpu-profile.js';
import { DATABASE_URL, freePort, privateBundle } from './lib.js';
import { decodedSize, person, SHAPES, signShape } from './saml-shapes.js';
import type { ShapeName } from './saml-shapes.js';

const QUICK = process.env.BENCH_QUICK === '1';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? (QUICK ? 30 : 300));
const ROUNDS = QUICK ? 1 : 3;
const USERS = QUICK ? 16 : 256;
const WARMUP = QUICK ? 10 : 150;
const VERIFIER_COUNT = QUICK ? 30 : 300;
const PROFILE = (process.env.BENCH_PROFILE ?? (QUICK ? '0' : '1')) === '1';
const WEB_CONCURRENCY = Number(process.env.BENCH_WEB_CONCURRENCY ?? 2);
/** A point's responses are reused for the peer while younger than this (they are valid 5 min + 2 min skew). */
const REUSE_MS = 4 * 60_000;

interface Point {
  label: string;
  /** Which turn of product-then-peer runs it (rounds of okta8k@8 are spread over the passes). */
  pass: number;
  shape: ShapeName;
  connections: number;
  jit: boolean;
  responses: string[];
  signedAt: number;
  product?: LoadResult;
  peer?: LoadResult;
}

const idp = createTestIdp({ entityId: 'https://idp.bench/okta' });
let jitCounter = 0;
let loadAtStart: number[] = [];

/** `count` fresh responses of `shape`: existing users round-robin over the pool, or new addresses for JIT. */
function sign(company: BenchCompany, shape: ShapeName, count: number, jit: boolean): string[] {
  const now = new Date();
  return Array.from({ length: count }, (_, i) =>
    signShape(idp, shape, company.sp, jit ? person(jitCounter++, company.domain, 'jit') : person(i % company.users, company.domain), now),
  );
}

function makePoints(): Point[] {
  const specs: Array<[string, number, ShapeName, number, boolean]> = [
    ...Array.from({ length: ROUNDS }, (_, r) => [`okta8k@8 round ${r + 1}`, r, 'okta8k', 8, false] as [string, number, ShapeName, number, boolean]),
    ['okta8k@1', 0, 'okta8k', 1, false],
    ['okta8k@32', 0, 'okta8k', 32, false],
    ['okta8k@64', 0, 'okta8k', 64, false],
    ['groups30k@8', 0, 'groups30k', 8, false],
    ['entra12k@8', 0, 'entra12k', 8, false],
    ['jit okta8k@8', 0, 'okta8k', 8, true],
  ];
  return specs.map(([label, pass, shape, connections, jit]) => ({ label, pass, shape, connections, jit, responses: [], signedAt: 0 }));
}

/** At least 10 requests per connection (2 when quick), so a point is not all ramp-up. */
const countFor = (connections: number) => Math.max(REQUESTS, connections * (QUICK ? 2 : 10));

async function warmUp(url: string, company: BenchCompany): Promise<void> {
  // JIT compilation and pools of both code paths; distinct responses too, never counted.
  for (const shape of SHAPES) await acsLoad(url, sign(company, shape, shape === 'okta8k' ? WARMUP : Math.ceil(WARMUP / 3), false), 8);
  await acsLoad(url, sign(company, 'okta8k', Math.ceil(WARMUP / 3), true), 8);
}

function log(line: string) {
  console.log(line);
}

const okta8 = (points: Point[], side: 'product' | 'peer') => median(points.filter((p) => p.label.startsWith('okta8k@8')).map((p) => p[side]!.perSecond));
const at = (points: Point[], label: string) => points.find((p) => p.label === label)!;

/** Says why a load had answers other than 303 (the product's stderr has the details). */
function logUnexpected(label: string, r: LoadResult) {
  if (r.errors + r.timeouts > 0) log(`    ${label}: ${r.errors} errors, ${r.timeouts} timeouts ${JSON.stringify(r.unexpected)} ${r.sample ?? ''}`.slice(0, 400));
}

/** The product's side of a pass: warm-up, then each point with responses signed just before its load. */
async function productPass(acsUrl: string, company: BenchCompany, batch: Point[]): Promise<void> {
  await warmUp(acsUrl, company);
  for (const p of batch) {
    const t = performance.now();
    p.responses = sign(company, p.shape, countFor(p.connections), p.jit);
    p.signedAt = Date.now();
    p.product = await acsLoad(acsUrl, p.responses, p.connections);
    log(`  product ${p.label}: ${p.product.perSecond.toFixed(0)}/s (signed ${p.responses.length} in ${((performance.now() - t) / 1000 - p.product.seconds).toFixed(1)} s)`);
    logUnexpected(p.label, p.product);
  }
}

/**
 * The peer's side: the same responses (it keeps no replay cache; re-signed if they got old). Throws
 * unless it accepted every one: a peer that refuses valid responses is a broken harness, not a figure.
 */
async function peerPass(port: number, company: BenchCompany, batch: Point[]): Promise<PeerStats> {
  const peer = await startPeer({ port, idpCert: idp.certificatePem, idpIssuer: idp.entityId, spEntityId: company.sp.entityId, acsUrl: company.sp.acsUrl });
  const acsUrl = `${peer.base}${company.acsPath}`;
  let counts: PeerStats;
  let expected = 0;
  try {
    await warmUp(acsUrl, company);
    expected = (await peerStats(peer.base)).accepted;
    for (const p of batch) {
      if (Date.now() - p.signedAt > REUSE_MS) p.responses = sign(company, p.shape, p.responses.length, p.jit);
      p.peer = await acsLoad(acsUrl, p.responses, p.connections);
      expected += p.peer.requests;
      p.responses = [];
      log(`  peer ${p.label}: ${p.peer.perSecond.toFixed(0)}/s`);
      logUnexpected(p.label, p.peer);
    }
    counts = await peerStats(peer.base);
  } finally {
    await stop(peer);
  }
  if (counts.accepted !== expected || counts.refused > 0) {
    throw new Error(`the peer did not accept every response: ${JSON.stringify(counts)}, expected ${expected} accepted`);
  }
  return counts;
}

async function main() {
  const allCpus = pinLoadGenerator();
  // The bundle of `npm start`, copied where nobody else's build rewrites it during the run.
  const bundle = await privateBundle(`bench-acs-${process.pid}`);
  try {
    await run(bundle.entry, allCpus);
  } finally {
    bundle.remove();
  }
}

async function run(entry: string, allCpus: string) {
  log(`ACS benchmark${QUICK ? ' (BENCH_QUICK)' : ''}: ${process.version}, load generator on core 1 (of ${allCpus}), servers on core ${SERVER_CORE}; DATABASE_URL ${DATABASE_URL.replace(/\/\/[^@]*@/, '//')}`);
  // Other work on the machine shares both cores: the load average says how much the figures can be trusted.
  loadAtStart = loadavg();
  log(`load average at start: ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  const port = await freePort();
  const peerPort = await freePort();

  // 1-2. Product and peer, each alone on core 0, in turns: pass 0 is round 1 of okta8k@8 and every
  // other point, passes 1.. the next rounds; so a drift in the machine's other load hits both sides.
  const points = makePoints();
  let company: BenchCompany | null = null;
  let sizes: Record<string, number> = {};
  const peerCounts: PeerStats = { accepted: 0, refused: 0, lastRefusal: null };
  for (let pass = 0; pass < ROUNDS; pass++) {
    const batch = points.filter((p) => p.pass === pass);
    const product = await startProduct({ entry, port, cpus: SERVER_CORE, webConcurrency: 1 });
    try {
      if (!company) {
        log(`product: node ${entry} (${product.processes} node process(es)) at ${product.base}`);
        company = await setupCompany(product.base, idp, USERS);
        const c = company;
        sizes = Object.fromEntries(SHAPES.map((s) => [s, decodedSize(sign(c, s, 1, false)[0]!)]));
        log(`shapes (decoded XML): ${SHAPES.map((s) => `${s} ${sizes[s]} bytes`).join(', ')}; ${USERS} existing users; ${REQUESTS} requests a point`);
      }
      await productPass(`${product.base}${company.acsPath}`, company, batch);
    } finally {
      await stop(product);
    }
    const counts = await peerPass(peerPort, company, batch);
    peerCounts.accepted += counts.accepted;
    peerCounts.refused += counts.refused;
    peerCounts.lastRefusal ??= counts.lastRefusal;
  }
  if (!company) throw new Error('no company was set up');
  const acsUrl = `http://127.0.0.1:${port}${company.acsPath}`;

  // 3. The verifiers alone, in this process, with no server running.
  const verifiers = await verifiersAlone(idp, VERIFIER_COUNT);
  // 4. A CPU profile of the product under okta8k@8.
  const profile = PROFILE ? await profileProduct(entry, port, acsUrl, company) : { text: null, top: [] };
  // 5. WEB_CONCURRENCY=N, the server unpinned (all CPUs; the load generator still on core 1 shares one).
  const wc = WEB_CONCURRENCY > 1 ? await webConcurrencyRun(entry, port, allCpus, acsUrl, company) : null;
  report({ sizes, points, verifiers, profileText: profile.text, profileTop: profile.top, wc, peerCounts });
}

/**
 * The product under `node --cpu-prof` for an okta8k@8 load, stopped with SIGTERM (its handler exits
 * through process.exit, which writes the profile; SIGINT is tried if no file appears).
 */
async function profileProduct(entry: string, port: number, acsUrl: string, company: BenchCompany) {
  const dir = mkdtempSync(join(tmpdir(), 'acs-cpu-prof-'));
  try {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const product = await startProduct({ entry, port, cpus: SERVER_CORE, webConcurrency: 1, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
      let load: LoadResult;
      try {
        await warmUp(acsUrl, company);
        load = await acsLoad(acsUrl, sign(company, 'okta8k', REQUESTS, false), 8);
        logUnexpected('profiled okta8k@8', load);
      } finally {
        await stop(product, signal);
      }
      if (!readdirSync(dir).some((f) => f.endsWith('.cpuprofile'))) {
        log(`  no CPU profile written on ${signal}${signal === 'SIGTERM' ? ': trying SIGINT' : ''}`);
        continue;
      }
      const summary = summarizeProfiles(dir, load.windowUs);
      const signIns = load.requests - load.errors - load.timeouts;
      return {
        text: `${profileTable(summary, signIns)}\n(profile written on ${signal}; under the profiler: ${load.perSecond.toFixed(0)} sign-ins/s)`,
        top: summary.categories.slice(0, 8).map((c) => ({ category: c.category, pct: round((100 * c.us) / summary.windowUs, 1), usPerSignIn: round(c.us / signIns, 0) })),
      };
    }
    return { text: '\nCPU profile: none written on SIGTERM or SIGINT', top: [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** okta8k at 8 and 32 connections with WEB_CONCURRENCY workers, the server on every CPU this process had. */
async function webConcurrencyRun(entry: string, port: number, cpus: string, acsUrl: string, company: BenchCompany) {
  const product = await startProduct({ entry, port, cpus, webConcurrency: WEB_CONCURRENCY });
  try {
    await warmUp(acsUrl, company);
    await warmUp(acsUrl, company); // every worker warms its own JIT
    const c8 = await acsLoad(acsUrl, sign(company, 'okta8k', countFor(8), false), 8);
    logUnexpected(`WEB_CONCURRENCY=${WEB_CONCURRENCY} okta8k@8`, c8);
    const c32 = await acsLoad(acsUrl, sign(company, 'okta8k', countFor(32), false), 32);
    logUnexpected(`WEB_CONCURRENCY=${WEB_CONCURRENCY} okta8k@32`, c32);
    return { processes: product.processes, c8, c32 };
  } finally {
    await stop(product);
  }
}

function report(r: {
  sizes: Record<string, number>;
  points: Point[];
  verifiers: Awaited<ReturnType<typeof verifiersAlone>>;
  profileText: string | null;
  profileTop: unknown[];
  wc: { processes: number; c8: LoadResult; c32: LoadResult } | null;
  peerCounts: { accepted: number; refused: number };
}) {
  const { points, verifiers, wc } = r;
  const ratio = (label: string) => at(points, label).product!.perSecond / at(points, label).peer!.perSecond;
  const rounds = points.filter((p) => p.label.startsWith('okta8k@8'));
  log(comparisonTable('okta8k, existing users (sign-ins/s; latency ms; errors/timeouts)', [
    ...rounds.map((p) => ({ label: p.label, product: p.product, peer: p.peer })),
    ...['okta8k@1', 'okta8k@32', 'okta8k@64'].map((l) => ({ label: l, product: at(points, l).product, peer: at(points, l).peer })),
  ]));
  const okta8Ratio = okta8(points, 'product') / okta8(points, 'peer');
  log(`okta8k@8 median of ${rounds.length}: product ${okta8(points, 'product').toFixed(0)}/s, peer ${okta8(points, 'peer').toFixed(0)}/s, ratio ${okta8Ratio.toFixed(2)}x`);
  log(comparisonTable('Other shapes and JIT at 8 connections', ['groups30k@8', 'entra12k@8', 'jit okta8k@8'].map((l) => ({ label: l, product: at(points, l).product, peer: at(points, l).peer }))));
  log(table('Verifier alone, okta8k, sequential in the load process', ['verifier', 'per CPU-s', 'per wall-s', 'CPU µs/op'], [
    ['ours: verifySamlResponse', verifiers.ours.perCpuSecond.toFixed(0), verifiers.ours.perWallSecond.toFixed(0), verifiers.ours.cpuUsPerOp.toFixed(0)],
    ['samlify parseLoginResponse', verifiers.samlify.perCpuSecond.toFixed(0), verifiers.samlify.perWallSecond.toFixed(0), verifiers.samlify.cpuUsPerOp.toFixed(0)],
  ]));
  const verifierRatio = verifiers.ours.perCpuSecond / verifiers.samlify.perCpuSecond;
  log(`verifier ratio (ours/samlify per CPU-s): ${verifierRatio.toFixed(2)}x`);
  if (r.profileText) log(r.profileText);

  const one8 = okta8(points, 'product');
  const one32 = at(points, 'okta8k@32').product!.perSecond;
  const wc8 = wc ? wc.c8.perSecond / one8 : NaN;
  const wc32 = wc ? wc.c32.perSecond / one32 : NaN;
  if (wc) {
    log(table(`WEB_CONCURRENCY=${WEB_CONCURRENCY}, server unpinned (${wc.processes} node process(es))`, ['point', 'sign-ins/s', 'p50 ms', 'p99 ms', 'err/t.o.', 'vs one process'], [
      ['okta8k@8', wc.c8.perSecond.toFixed(0), wc.c8.p50.toFixed(1), wc.c8.p99.toFixed(1), `${wc.c8.errors}/${wc.c8.timeouts}`, `${wc8.toFixed(2)}x`],
      ['okta8k@32', wc.c32.perSecond.toFixed(0), wc.c32.p50.toFixed(1), wc.c32.p99.toFixed(1), `${wc.c32.errors}/${wc.c32.timeouts}`, `${wc32.toFixed(2)}x`],
    ]));
    if (wc.processes <= 1) log(`WEB_CONCURRENCY=${WEB_CONCURRENCY} gave one node process: not supported by this build (yet); the figure is one process on all CPUs`);
  }

  const c32 = at(points, 'okta8k@32').product!;
  const c64 = at(points, 'okta8k@64').product!;
  const targets: Target[] = [
    { name: 'okta8k@8 product/peer', value: okta8Ratio, want: '>= 2', pass: okta8Ratio >= 2 },
    { name: 'groups30k@8 product/peer', value: ratio('groups30k@8'), want: '>= 1.5', pass: ratio('groups30k@8') >= 1.5 },
    { name: 'JIT first sign-ins@8 product/peer', value: ratio('jit okta8k@8'), want: '>= 1', pass: ratio('jit okta8k@8') >= 1 },
    { name: 'p99/p50 @32 (product)', value: c32.p99 / c32.p50, want: '<= 3', pass: c32.p99 / c32.p50 <= 3 },
    { name: 'errors+timeouts @64 (product)', value: c64.errors + c64.timeouts, want: '= 0', pass: c64.errors + c64.timeouts === 0 },
    { name: 'verifier ours/samlify per CPU-s', value: verifierRatio, want: '>= 10', pass: verifierRatio >= 10 },
    { name: `WEB_CONCURRENCY=${WEB_CONCURRENCY} / one process, okta8k@8`, value: wc8, want: '>= 1.6', pass: wc8 >= 1.6 },
  ];
  log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (at the start: ${loadAtStart.map((x) => x.toFixed(2)).join(' ')})`);
  log(targetLines(targets));
  const figure = (x: LoadResult | undefined) => x && { perSecond: round(x.perSecond, 1), p50: round(x.p50, 2), p99: round(x.p99, 2), errors: x.errors, timeouts: x.timeouts, requests: x.requests };
  const byPoint = (side: 'product' | 'peer') => Object.fromEntries(points.map((p) => [p.label, figure(p[side])]));
  console.log(JSON.stringify({
    bench: 'acs',
    quick: QUICK,
    node: process.version,
    loadAverage: { start: loadAtStart.map((x) => round(x, 2)), end: loadavg().map((x) => round(x, 2)) },
    sizes: r.sizes,
    ratios: {
      okta8k_c8: round(okta8Ratio),
      okta8k_c1: round(ratio('okta8k@1')),
      okta8k_c32: round(ratio('okta8k@32')),
      okta8k_c64: round(ratio('okta8k@64')),
      groups30k_c8: round(ratio('groups30k@8')),
      entra12k_c8: round(ratio('entra12k@8')),
      jit_c8: round(ratio('jit okta8k@8')),
      p99_over_p50_c32: round(c32.p99 / c32.p50),
      errors_c64: c64.errors + c64.timeouts,
      verifier_cpu: round(verifierRatio),
      web_concurrency_c8: round(wc8),
      web_concurrency_c32: round(wc32),
    },
    targets: Object.fromEntries(targets.map((t) => [t.name, { value: round(t.value), want: t.want, pass: t.pass }])),
    product: byPoint('product'),
    peer: { ...byPoint('peer'), accepted: r.peerCounts.accepted, refused: r.peerCounts.refused },
    verifier: { ours: verifiers.ours, samlify: verifiers.samlify },
    webConcurrency: wc && { n: WEB_CONCURRENCY, processes: wc.processes, c8: figure(wc.c8), c32: figure(wc.c32) },
    profile: r.profileTop,
  }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
