/**
 * The Worker in workerd, over the local Postgres through Hyperdrive: health, the operator and admin
 * API, invitations, a SAML connection, and the refusal to run without its secrets.
 */
import { describe, expect, inject, it, vi } from 'vitest';
import worker, { workerSetup } from '../../src/worker.js';
import { WORKER_TEST_OPERATOR_TOKEN } from './constants.js';
import { call, configureSaml, setupCompany } from './http.js';
import { worker as fetchWorker, workerEnv } from './worker-fetch.js';

describe('the Worker', () => {
  it('answers /healthz with the database it reached through Hyperdrive', async () => {
    const res = await call(fetchWorker, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok', database: 'postgres' });
    expect(workerEnv.HYPERDRIVE?.connectionString).toMatch(/^postgres(ql)?:\/\//);
    expect(navigator.userAgent).toBe('Cloudflare-Workers'); // really in workerd, not in Node
  });

  it('serves /openapi.json (valibot -> JSON Schema in workerd)', async () => {
    const res = await call(fetchWorker, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe('3.1.0');
    expect(res.json.servers).toEqual([{ url: 'https://bridge.test' }]);
    expect(Object.keys(res.json.paths)).toContain('/healthz');
  });

  it('serves the operator and admin API: company, API key, workspace, permission set, invitation accepted', async () => {
    expect((await call(fetchWorker, 'GET', '/api/operator/companies')).status).toBe(401);
    const company = await setupCompany(fetchWorker, 'Edge Inc');
    const listed = await call(fetchWorker, 'GET', '/api/operator/companies', { token: WORKER_TEST_OPERATOR_TOKEN });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.json)).toContain(company.id);

    const invited = await call(fetchWorker, 'POST', `/api/companies/${company.id}/users`, {
      token: company.key,
      body: { email: 'ana@edge.example', workspaceId: company.workspaceId, permissionSetId: company.permissionSetId },
    });
    expect(invited.status, invited.text).toBe(201);
    expect(invited.json.invitationUrl).toMatch(/^https:\/\/bridge\.test\/invitations\//);
    const accepted = await call(fetchWorker, 'POST', new URL(invited.json.invitationUrl).pathname);
    expect(accepted.status, accepted.text).toBe(200);
    const users = await call(fetchWorker, 'GET', `/api/companies/${company.id}/users?email=ana@edge.example`, { token: company.key });
    expect(users.json.users[0]).toMatchObject({ id: invited.json.id, status: 'active' });
    // Single use, and the state lives in Postgres, not in the isolate.
    expect((await call(fetchWorker, 'POST', new URL(invited.json.invitationUrl).pathname)).status).not.toBe(200);
  });

  it('stores a SAML connection (PUT .../saml) and derives the SP from PUBLIC_URL', async () => {
    const company = await setupCompany(fetchWorker, 'Edge SAML');
    const res = await configureSaml(fetchWorker, company, { entityId: 'https://idp.test/edge', certificatePem: inject('idpKeys').certificatePem });
    expect(JSON.stringify(res.json)).toContain(`https://bridge.test/saml/${company.id}`);
    const read = await call(fetchWorker, 'GET', `/api/companies/${company.id}/saml`, { token: company.key });
    expect(read.status).toBe(200);
  });

  it('answers 500 configuration_invalid, and logs why, when a secret is missing', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { OPERATOR_TOKEN: _dropped, ...rest } = workerEnv;
    const res = await worker.fetch(new Request('https://bridge.test/healthz') as Request<unknown, IncomingRequestCfProperties>, { ...rest }, {} as ExecutionContext);
    expect(res.status).toBe(500);
    expect(String(logged.mock.calls[0]?.[0])).toMatch(/invalid Worker configuration.*OPERATOR_TOKEN: is required/);
    logged.mockRestore();
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('configuration_invalid');
    expect(body.error.message).toContain('OPERATOR_TOKEN');
    expect(body.error.message).not.toContain(workerEnv.SESSION_SECRET!);
  });
});

describe('workerSetup: the env rules of src/config.ts, plus what only the Worker requires', () => {
  const valid = {
    PUBLIC_URL: 'https://sso.example.com',
    OPERATOR_TOKEN: 'Xq3vN8pL2mRt7wYz5bKc9dHf4gJs6aEu1iOo0',
    SESSION_SECRET: 'Zr8kT2nW5qXv9mPb3cLd7fHj1gNs4aYe6uIo0',
    DATABASE_URL: 'postgres://u:p@db.example.com/bridge',
  };

  it('accepts secrets, an origin and a database (DATABASE_URL when there is no Hyperdrive binding)', () => {
    expect(workerSetup(valid)).toMatchObject({ kind: 'ready', config: { publicUrl: 'https://sso.example.com', production: true } });
  });

  it('reads the database timeouts as the Node server does: 5 s and 10 s unless set', () => {
    expect(workerSetup(valid)).toMatchObject({ database: { connectTimeoutSeconds: 5, statementTimeoutSeconds: 10 } });
    const set = workerSetup({ ...valid, DATABASE_CONNECT_TIMEOUT_SECONDS: '2', DATABASE_STATEMENT_TIMEOUT_SECONDS: '3' });
    expect(set).toMatchObject({ kind: 'ready', database: { connectTimeoutSeconds: 2, statementTimeoutSeconds: 3 } });
  });

  it.each([
    ['no secrets (no development fallback in the Worker)', { OPERATOR_TOKEN: undefined, SESSION_SECRET: '' }, ['OPERATOR_TOKEN', 'SESSION_SECRET']],
    ['a short secret', { SESSION_SECRET: 'short' }, ['SESSION_SECRET']],
    ['a guessable secret (a Worker is production)', { OPERATOR_TOKEN: '0'.repeat(40) }, ['OPERATOR_TOKEN']],
    ['a PUBLIC_URL with a path', { PUBLIC_URL: 'https://sso.example.com/app' }, ['PUBLIC_URL']],
    ['no database', { DATABASE_URL: undefined }, ['HYPERDRIVE']],
    ['a statement timeout in minutes', { DATABASE_STATEMENT_TIMEOUT_SECONDS: '2m' }, ['DATABASE_STATEMENT_TIMEOUT_SECONDS']],
  ])('refuses %s, naming the variables', (_label, change, variables) => {
    const setup = workerSetup({ ...valid, ...change });
    expect(setup).toMatchObject({ kind: 'invalid', reason: 'configuration_invalid' });
    if (setup.kind === 'invalid') expect(setup.variables.sort()).toEqual([...variables].sort());
  });
});
