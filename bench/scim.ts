/**
 * `npm run bench:scim`: SCIM over HTTP next to the database's own speed, in one run on one machine.
 *
 * The product as `npm start` runs it (the bundle, on PostgreSQL, one process) is pinned to core 0
 * with taskset; this process, the load generator and the raw postgres.js baselines, to core 1
 * (unpinned on a single core or without taskset). A database of its own beside DATABASE_URL's holds
 * one company whose directory is seeded by SQL to BENCH_SCIM_SMALL users (default 10,000), measured,
 * then grown to BENCH_SCIM_BIG (default 1,000,000) and measured again. At each size, with
 * BENCH_CONCURRENCY keep-alive connections (default 16) and BENCH_REQUESTS requests per operation
 * (default 4,000), best of BENCH_ROUNDS rounds (default 2) for the product and the baseline alike:
 *
 *   raw lookup        postgres.js: one user by (company_id, lower(userName)), the unique index
 *   userName eq       GET /Users?filter=userName eq "..." (Okta's and Entra's matching query)
 *   emails eq         GET /Users?filter=emails[value eq "..."]
 *   PATCH active      PATCH /Users/:id active=false, then true again, on distinct users
 *   raw create        postgres.js: BEGIN, is the userName taken?, INSERT, COMMIT
 *   create            POST /Users (an Okta-shaped body)
 *
 * Targets (PASS/FAIL lines; BENCH_STRICT=1 exits 1 on a FAIL): create >= 0.5x raw create;
 * userName eq >= 0.3x raw lookup with p99 <= 20 ms; userName eq p50 at the big size <= 1.5x the
 * small size's. BENCH_QUICK=1: 2,000 and 20,000 users, 300 requests, one round (the test's run).
 * Ends with one JSON line {"bench":"scim",...}. BENCH_CPU_PROF=<dir>: the server's V8 CPU profile.
 * Traffic goes to 127.0.0.1 only.
 */
import postgres from 'postgres';
import { DATABASE_URL, json, OPERATOR_TOKEN, privateBundle, startServer, stopServer } from './lib.js';
import type { LoadResult, Request } from './scim-http.js';
import { Connection, load } from './scim-http.js';
import { rawCreate, rawLookup } from './scim-raw.js';
import { benchDatabase, canPin, cpuMicros, emailOf, idsOf, pinThisProcess, seedDirectory, SERVER_CORE, userNameOf } from './scim-setup.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SMALL = Number(process.env.BENCH_SCIM_SMALL ?? (QUICK ? 2_000 : 10_000));
const BIG = Number(process.env.BENCH_SCIM_BIG ?? (QUICK ? 20_000 : 1_000_000));
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? (QUICK ? 300 : 4_000));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 2));
// Untimed requests before each measured row (JIT, prepared statements on every pooled connection).
const WARMUP = Number(process.env.BENCH_WARMUP ?? (QUICK ? 200 : 1_000));

const OPS = ['rawLookup', 'userNameEq', 'emailsEq', 'patchActive', 'rawCreate', 'create'] as const;
type Op = (typeof OPS)[number];
const LABELS: Record<Op, string> = {
  rawLookup: 'raw lookup (postgres.js, unique index)',
  userNameEq: 'GET /Users?filter=userName eq',
  emailsEq: 'GET /Users?filter=emails[value eq]',
  patchActive: 'PATCH /Users/:id active=false/true',
  rawCreate: 'raw create (postgres.js transaction)',
  create: 'POST /Users',
};

const SCHEMA_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCHEMA_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Bench {
  scimBase: string;
  /** The server's CPU time so far (µs), or null. */
  serverCpu: () => number | null;
  companyId: string;
  connections: Connection[];
  raw: postgres.Sql;
}

/** The i-th person a run asks for: spread over the whole directory, the same sequence every run. */
const person = (i: number, size: number, salt: number) => (i * 2_654_435_761 + salt * 40_503) % size;

const oktaUser = (userName: string) =>
  JSON.stringify({
    schemas: [SCHEMA_USER],
    userName,
    name: { givenName: 'New', familyName: 'Person' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'New Person',
    active: true,
  });

/**
 * The better of `rounds` runs (after one untimed warm-up): the machine is shared, noise only slows.
 * With `cpu`, the server's CPU time per request of each run is kept with it.
 */
async function best(rounds: number, warm: () => Promise<unknown>, once: (round: number) => Promise<LoadResult>, cpu?: () => number | null): Promise<LoadResult> {
  await warm();
  let top: LoadResult | null = null;
  for (let round = 0; round < rounds; round++) {
    const before = cpu?.() ?? null;
    const result = await once(round);
    const after = cpu?.() ?? null;
    if (before !== null && after !== null) result.serverCpuUs = (after - before) / result.requests;
    if (!top || result.perSecond > top.perSecond) top = result;
  }
  return top!;
}

async function measure(b: Bench, tag: string, size: number, requests = REQUESTS, rounds = ROUNDS): Promise<Record<Op, LoadResult>> {
  const http = (count: number, request: (i: number) => Request, status: number) => load(b.connections, count, request, status);
  const filter = (f: string) => `${b.scimBase}/Users?filter=${encodeURIComponent(f)}`;
  const out = {} as Record<Op, LoadResult>;
  // Lookups and PATCHes first: the creates grow the directory.
  out.rawLookup = await best(rounds, () => rawLookup(b.raw, b.companyId, WARMUP, CONCURRENCY, (i) => userNameOf(person(i, size, 7))), (round) =>
    rawLookup(b.raw, b.companyId, requests, CONCURRENCY, (i) => userNameOf(person(i, size, round))),
  );
  out.userNameEq = await best(rounds, () => http(WARMUP, (i) => ({ method: 'GET', path: filter(`userName eq "${userNameOf(person(i, size, 7))}"`) }), 200), (round) =>
    // Upper case, as IdPs may send it: userName matches case-insensitively.
    http(requests, (i) => ({ method: 'GET', path: filter(`userName eq "${userNameOf(person(i, size, round)).toUpperCase()}"`) }), 200),
    b.serverCpu,
  );
  out.emailsEq = await best(rounds, () => http(WARMUP, (i) => ({ method: 'GET', path: filter(`emails[value eq "${emailOf(person(i, size, 7))}"]`) }), 200), (round) =>
    http(requests, (i) => ({ method: 'GET', path: filter(`emails[value eq "${emailOf(person(i, size, round))}"]`) }), 200),
    b.serverCpu,
  );
  // Each user is deactivated, then reactivated later in the same run (half the requests each).
  const half = Math.max(1, Math.floor(requests / 2));
  const ids = await idsOf(b.raw, b.companyId, [...new Set(Array.from({ length: half * (rounds + 1) }, (_, i) => person(i, size, 11)))]);
  const patch = (id: string, active: boolean): Request => ({
    method: 'PATCH',
    path: `${b.scimBase}/Users/${id}`,
    body: JSON.stringify({ schemas: [SCHEMA_PATCH], Operations: [{ op: 'replace', value: { active } }] }),
  });
  const patches = (slice: string[], count: number) => http(count, (i) => patch(slice[i % slice.length]!, i >= count / 2), 200);
  const per = Math.floor(ids.length / (rounds + 1));
  out.patchActive = await best(rounds, () => patches(ids.slice(0, Math.min(per, WARMUP)), Math.min(per, WARMUP) * 2), (round) =>
    patches(ids.slice((round + 1) * per, (round + 2) * per), per * 2),
    b.serverCpu,
  );
  out.rawCreate = await best(rounds, () => rawCreate(b.raw, b.companyId, WARMUP, CONCURRENCY, (i) => `raw-${tag}-w-${i}@bench.example`), (round) =>
    rawCreate(b.raw, b.companyId, requests, CONCURRENCY, (i) => `raw-${tag}-${round}-${i}@bench.example`),
  );
  out.create = await best(rounds, () => http(WARMUP, (i) => ({ method: 'POST', path: `${b.scimBase}/Users`, body: oktaUser(`new-${tag}-w-${i}@bench.example`) }), 201), (round) =>
    http(requests, (i) => ({ method: 'POST', path: `${b.scimBase}/Users`, body: oktaUser(`new-${tag}-${round}-${i}@bench.example`) }), 201),
    b.serverCpu,
  );
  return out;
}

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const cell = (r: LoadResult) =>
  `${num(r.perSecond).padStart(7)} /s ${r.p50.toFixed(1).padStart(6)} ${r.p99.toFixed(1).padStart(6)} ${r.serverCpuUs === undefined ? '' : num(r.serverCpuUs)}`.padEnd(35);
const round2 = (n: number) => Math.round(n * 100) / 100;
const brief = (r: LoadResult) => ({
  perSecond: Math.round(r.perSecond),
  p50: round2(r.p50),
  p99: round2(r.p99),
  ...(r.serverCpuUs === undefined ? {} : { serverCpuUs: Math.round(r.serverCpuUs) }),
});

function report(pinned: boolean, small: Record<Op, LoadResult>, big: Record<Op, LoadResult>, seedSeconds: number): boolean {
  const createRatio = small.create.perSecond / small.rawCreate.perSecond;
  const lookupRatio = small.userNameEq.perSecond / small.rawLookup.perSecond;
  const scale = big.userNameEq.p50 / small.userNameEq.p50;
  const targets = {
    create: { ratio: round2(createRatio), min: 0.5, pass: createRatio >= 0.5 },
    userNameEq: { ratio: round2(lookupRatio), min: 0.3, p99: round2(small.userNameEq.p99), maxP99: 20, pass: lookupRatio >= 0.3 && small.userNameEq.p99 <= 20 },
    scale: { ratio: round2(scale), max: 1.5, pass: scale <= 1.5 },
  };
  const where = pinned ? `server on core ${SERVER_CORE}, load and raw client on the other (taskset)` : 'unpinned';
  console.log(`\nSCIM on PostgreSQL: ${CONCURRENCY} connections, ${num(REQUESTS)} requests per row, best of ${ROUNDS}, ${where}, ${process.version}`);
  console.log(`${''.padEnd(40)} ${`${num(SMALL)} users`.padEnd(35)} ${num(BIG)} users`);
  console.log(`${'operation'.padEnd(40)} ${'   rate      p50    p99 ms cpu µs'.padEnd(35)} ${'   rate      p50    p99 ms cpu µs'}`);
  for (const op of OPS) console.log(`${LABELS[op].padEnd(40)} ${cell(small[op])} ${cell(big[op])}`);
  console.log('  (ms: latency percentiles; cpu µs: the server process\'s CPU time per request)');
  console.log(`\n  userName eq / raw lookup:  ${lookupRatio.toFixed(2)}x at ${num(SMALL)}, ${(big.userNameEq.perSecond / big.rawLookup.perSecond).toFixed(2)}x at ${num(BIG)}`);
  console.log(`  create / raw create:       ${createRatio.toFixed(2)}x at ${num(SMALL)}, ${(big.create.perSecond / big.rawCreate.perSecond).toFixed(2)}x at ${num(BIG)}`);
  console.log(`  userName eq p50, ${num(BIG)} vs ${num(SMALL)} users: ${scale.toFixed(2)}x  (seeding ${num(BIG - SMALL)} users took ${seedSeconds.toFixed(0)} s)`);
  const line = (ok: boolean, text: string) => console.log(`${ok ? 'PASS' : 'FAIL'} ${text}`);
  line(targets.create.pass, `create >= 0.5x the raw transaction: ${createRatio.toFixed(2)}x`);
  line(targets.userNameEq.pass, `userName eq >= 0.3x the raw lookup with p99 <= 20 ms: ${lookupRatio.toFixed(2)}x, p99 ${small.userNameEq.p99.toFixed(1)} ms`);
  line(targets.scale.pass, `userName eq p50 at ${num(BIG)} <= 1.5x at ${num(SMALL)}: ${scale.toFixed(2)}x`);
  const results = (r: Record<Op, LoadResult>) => Object.fromEntries(OPS.map((op) => [op, brief(r[op])]));
  console.log(
    JSON.stringify({
      bench: 'scim',
      quick: QUICK,
      pinned,
      concurrency: CONCURRENCY,
      requests: REQUESTS,
      rounds: ROUNDS,
      node: process.version,
      small: { users: SMALL, ...results(small) },
      big: { users: BIG, ...results(big) },
      targets,
    }),
  );
  return targets.create.pass && targets.userNameEq.pass && targets.scale.pass;
}

/** What main() set up, undone in reverse order once, on the way out or on SIGINT/SIGTERM. */
const undo: Array<() => unknown> = [];
async function cleanUp(): Promise<void> {
  for (const step of undo.splice(0).reverse()) {
    try {
      await step();
    } catch (error) {
      console.error('clean-up:', error);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

async function main() {
  const pinned = canPin();
  const own = await benchDatabase(DATABASE_URL);
  undo.push(() => own.drop());
  const bundle = await privateBundle(`bench-scim-${process.pid}`);
  undo.push(() => bundle.remove());
  // After the build, which may use both cores.
  if (pinned) pinThisProcess();
  const { base, server } = await startServer({
    bundle: bundle.entry,
    wrap: pinned ? ['taskset', '-c', SERVER_CORE] : [],
    env: { DATABASE_URL: own.url, WEB_CONCURRENCY: '1' },
    // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops.
    nodeArgs: process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
    quiet: true,
  });
  undo.push(() => stopServer(server));
  const raw = postgres(own.url, { max: CONCURRENCY, onnotice: () => {} });
  undo.push(() => raw.end({ timeout: 5 }));
  const connections: Connection[] = [];
  undo.push(() => connections.forEach((c) => c.close()));

  const company = await json(base, 'POST', '/api/operator/companies', OPERATOR_TOKEN, { name: 'SCIM bench' });
  const { key } = await json(base, 'POST', `/api/operator/companies/${company.id}/api-keys`, OPERATOR_TOKEN);
  const { token, scimBaseUrl } = await json(base, 'POST', `/api/companies/${company.id}/scim-tokens`, key, {});
  const port = Number(new URL(base).port);
  for (let i = 0; i < CONCURRENCY; i++) connections.push(await Connection.open(port, { Authorization: `Bearer ${token}`, Accept: 'application/scim+json' }));
  const pid = server.pid!;
  const b: Bench = { scimBase: new URL(scimBaseUrl).pathname, serverCpu: () => cpuMicros(pid), companyId: company.id, connections, raw };

  await seedDirectory(raw, company.id, 0, SMALL);
  // One untimed pass first: the first rows measured would otherwise pay for the JIT of the rest.
  await measure(b, 'warm', SMALL, Math.max(1, Math.floor(REQUESTS / 4)), 1);
  const small = await measure(b, 'small', SMALL);
  const seeding = performance.now();
  await seedDirectory(raw, company.id, SMALL, BIG);
  const seedSeconds = (performance.now() - seeding) / 1000;
  const big = await measure(b, 'big', BIG);
  const passed = report(pinned, small, big, seedSeconds);
  if (!passed && process.env.BENCH_STRICT === '1') process.exitCode = 1;
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanUp);
