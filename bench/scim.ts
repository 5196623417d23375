/**
 * `npm run bench:scim`: SCIM over HTTP against a running server on PostgreSQL, with a directory of
 * BENCH_DIRECTORY users (default 10 000) in one company: the lookups Okta and Entra make on every
 * sync cycle (`userName eq`, `emails[type eq "work"].value eq`), list pages, creates, and the
 * deactivation PATCH (which also checks for dashboard accounts to lock). Traffic to 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import { insertDirectoryUser } from '../src/store/directory.js';
import { openPostgres } from '../src/store/postgres.js';
import { DATABASE_URL, fmt, json, load, OPERATOR_TOKEN, startServer } from './lib.js';

const DIRECTORY = Number(process.env.BENCH_DIRECTORY ?? 10_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

async function main() {
  const { base, server } = await startServer();
  const db = openPostgres(DATABASE_URL, { max: 4 });
  try {
    const company = await json(base, 'POST', '/api/operator/companies', OPERATOR_TOKEN, { name: 'SCIM bench' });
    const { key } = await json(base, 'POST', `/api/operator/companies/${company.id}/api-keys`, OPERATOR_TOKEN);
    const { token, scimBaseUrl } = await json(base, 'POST', `/api/companies/${company.id}/scim-tokens`, key, {});
    const scimBase = new URL(scimBaseUrl).pathname;

    // The directory, written straight to the database (setup, not measured).
    const ids: string[] = [];
    const at = new Date();
    for (let i = 0; i < DIRECTORY; i++) {
      const userName = `person${i}@bench.example`;
      const id = randomUUID();
      ids.push(id);
      await insertDirectoryUser(db.db, {
        id,
        companyId: company.id,
        userName,
        userNameLower: userName,
        externalId: `ext-${i}`,
        active: true,
        displayName: `Person ${i}`,
        attributes: { name: { givenName: 'Person', familyName: String(i) }, emails: [{ value: `p${i}@work.example`, type: 'work', primary: true }] },
        createdAt: at,
        updatedAt: at,
      });
    }

    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/scim+json' };
    const scim = (path: string, init: RequestInit = {}) => fetch(`${base}${scimBase}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
    const pick = (i: number) => (i * 7919) % DIRECTORY;
    const q = (f: string) => `/Users?filter=${encodeURIComponent(f)}`;

    const results: [string, Awaited<ReturnType<typeof load>>][] = [];
    results.push(['GET /Users?filter=userName eq', await load(REQUESTS, CONCURRENCY, (i) => scim(q(`userName eq "PERSON${pick(i)}@bench.example"`)), 200)]);
    results.push(['GET /Users?filter=emails[type eq "work"].value eq', await load(REQUESTS, CONCURRENCY, (i) => scim(q(`emails[type eq "work"].value eq "p${pick(i)}@work.example"`)), 200)]);
    results.push(['GET /Users?startIndex=..&count=100', await load(200, CONCURRENCY, (i) => scim(`/Users?startIndex=${1 + ((i * 100) % DIRECTORY)}&count=100`), 200)]);
    results.push(['GET /Users/:id', await load(REQUESTS, CONCURRENCY, (i) => scim(`/Users/${ids[pick(i)]}`), 200)]);
    results.push([
      'PATCH /Users/:id active=false',
      await load(REQUESTS, CONCURRENCY, (i) =>
        scim(`/Users/${ids[pick(i)]}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/scim+json' },
          body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: i % 2 ? 'True' : 'False' }] }),
        }), 200),
    ]);
    results.push([
      'POST /Users',
      await load(REQUESTS, CONCURRENCY, (i) =>
        scim('/Users', {
          method: 'POST',
          headers: { 'Content-Type': 'application/scim+json' },
          body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `new${i}-${randomUUID()}@bench.example`, active: true }),
        }), 201),
    ]);

    console.log(`SCIM on PostgreSQL: a directory of ${DIRECTORY} users, ${REQUESTS} requests per row, concurrency ${CONCURRENCY}, ${process.version}`);
    for (const [name, r] of results) {
      console.log(`  ${name.padEnd(52)} ${r.perSecond.toFixed(0).padStart(5)} req/s   p50 ${fmt(r.p50)}   p99 ${fmt(r.p99)}`);
    }
  } finally {
    await db.close();
    server.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
