/**
 * `npm run bench:acs`: sign-ins per second at the ACS of a running server on PostgreSQL, for a stream
 * of distinct valid responses (each a fresh assertion for an existing user), with p50/p99 latency;
 * then, on the same machine, samlify's parseLoginResponse alone and our verifier alone, so the cost of
 * everything else (replay cache, user lookup, session, audit) is visible.
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_REQUESTS (default 600),
 * BENCH_CONCURRENCY (default 8). Traffic goes to 127.0.0.1 only.
 */
import { IdentityProvider, ServiceProvider, setSchemaValidator } from 'samlify';
import { verifySamlResponse } from '../src/saml/index.js';
import { createTestIdp } from '../test/support/test-idp.js';
import { fmt, json, load, OPERATOR_TOKEN, percentile, startServer } from './lib.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 600);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

async function main() {
  const { base, server } = await startServer();
  try {
    const idp = createTestIdp({ entityId: 'https://idp.bench/okta' });
    const company = await json(base, 'POST', '/api/operator/companies', OPERATOR_TOKEN, { name: 'Bench' });
    const { key } = await json(base, 'POST', `/api/operator/companies/${company.id}/api-keys`, OPERATOR_TOKEN);
    const ws = await json(base, 'POST', `/api/companies/${company.id}/workspaces`, key, { name: 'Main' });
    const ps = await json(base, 'POST', `/api/companies/${company.id}/permission-sets`, key, { name: 'Members', permissions: [] });
    const saml = await json(base, 'PUT', `/api/companies/${company.id}/saml`, key, {
      idpEntityId: idp.entityId,
      ssoUrl: 'https://idp.bench/sso',
      certificates: [idp.certificatePem],
    });
    const email = 'bench.user@bench.example';
    const invited = await json(base, 'POST', `/api/companies/${company.id}/users`, key, { email, workspaceId: ws.id, permissionSetId: ps.id });
    await json(base, 'POST', new URL(invited.invitationUrl).pathname, null);

    const sp = { entityId: saml.spEntityId as string, acsUrl: saml.acsUrl as string };
    const responses = Array.from({ length: REQUESTS }, () =>
      idp.signResponse({ sp, now: new Date(), nameId: email, nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }),
    );

    // Warm-up (JIT compilation, connection pool), not counted: distinct responses too.
    for (let i = 0; i < 20; i++) {
      const warm = idp.signResponse({ sp, now: new Date(), nameId: email });
      await fetch(`${base}/saml/${company.id}/acs`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: warm }) });
    }

    const http = await load(
      responses.length,
      CONCURRENCY,
      (i) => fetch(`${base}/saml/${company.id}/acs`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: responses[i]! }) }),
      303,
    );

    // samlify alone, same machine, same kind of response (a no-op schema validator: its parse and signature check only).
    setSchemaValidator({ validate: async () => 'skipped' });
    const samlSp = ServiceProvider({ entityID: sp.entityId, assertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: sp.acsUrl }] });
    const samlIdp = IdentityProvider({
      entityID: idp.entityId,
      signingCert: idp.certificatePem,
      singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: 'https://idp.bench/sso' }],
      singleLogoutService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: 'https://idp.bench/slo' }],
    });
    const alone = async (fn: (r: string) => Promise<unknown>) => {
      const sample = responses.slice(0, Math.min(300, responses.length));
      const times: number[] = [];
      for (const r of sample) {
        const t0 = performance.now();
        await fn(r);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const total = times.reduce((a, b) => a + b, 0);
      return { perSecond: (sample.length / total) * 1000, p50: percentile(times, 50) };
    };
    const samlifyOnly = await alone((r) => samlSp.parseLoginResponse(samlIdp, 'post', { body: { SAMLResponse: r } }));
    const verifierOnly = await alone(async (r) => {
      const result = await verifySamlResponse({ samlResponse: r, idp: { entityId: idp.entityId, certificatesPem: [idp.certificatePem], allowSha1: false }, sp, now: new Date() });
      if (!result.ok) throw new Error(result.detail);
    });

    const lines = [
      `ACS sign-ins on PostgreSQL: ${REQUESTS} distinct valid responses, concurrency ${CONCURRENCY}, ${process.version}`,
      `  full sign-in over HTTP:      ${http.perSecond.toFixed(0)} logins/s   p50 ${fmt(http.p50)}   p99 ${fmt(http.p99)}`,
      `  samlify parseLoginResponse:  ${samlifyOnly.perSecond.toFixed(0)} /s (one core, sequential)   p50 ${fmt(samlifyOnly.p50)}`,
      `  our verifySamlResponse:      ${verifierOnly.perSecond.toFixed(0)} /s (one core, sequential)   p50 ${fmt(verifierOnly.p50)}`,
    ];
    console.log(lines.join('\n'));
  } finally {
    server.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
