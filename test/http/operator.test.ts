/** The operator API over real HTTP semantics (app.request), on Postgres when DATABASE_URL is set. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { asOperator, call, makeApp, OPERATOR_TOKEN, setupCompany } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';

let handle: DatabaseHandle;
let app: TestApp;
beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle);
});
afterAll(async () => {
  await handle?.close();
});

async function newCompany(name = 'Decorumsoft') {
  const res = await asOperator(app, 'POST', '/api/operator/companies', { body: { name } });
  expect(res.status).toBe(201);
  return res.json as { id: string; name: string };
}

describe('operator authentication', () => {
  it.each([
    ['no token', undefined],
    ['a wrong token', 'x'.repeat(44)],
    ['the right token with a suffix', `${OPERATOR_TOKEN}x`],
    ['an empty bearer', ''],
  ])('refuses %s with 401 in the error form', async (_label, token) => {
    const res = await call(app, 'POST', '/api/operator/companies', { token: token ?? null, body: { name: 'X' } });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('unauthorized');
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
  });

  it('refuses a company API key on operator routes', async () => {
    const company = await setupCompany(app);
    const res = await call(app, 'GET', '/api/operator/companies', { token: company.key });
    expect(res.status).toBe(401);
  });
});

describe('companies', () => {
  it('creates a company (201 {id, name}), lists and gets it, and audits the creation', async () => {
    const created = await newCompany('  Decorumsoft  ');
    expect(created).toMatchObject({ name: 'Decorumsoft' });
    expect(created.id).toMatch(/^cmp_[0-9a-z]{16}$/);
    const list = await asOperator(app, 'GET', '/api/operator/companies');
    expect(list.json.companies.map((c: { id: string }) => c.id)).toContain(created.id);
    const one = await asOperator(app, 'GET', `/api/operator/companies/${created.id}`);
    expect(one.json).toMatchObject({ id: created.id, name: 'Decorumsoft' });
    const key = await asOperator(app, 'POST', `/api/operator/companies/${created.id}/api-keys`);
    const audit = await call(app, 'GET', `/api/companies/${created.id}/audit-events`, { token: key.json.key });
    expect(audit.json.events.map((e: { action: string }) => e.action)).toEqual(['api_key.created', 'company.created']);
  });

  it.each([
    ['malformed JSON', '{"name": ', 400, 'invalid_json'],
    ['a JSON array', [], 400, 'invalid_request'],
    ['a number name', { name: 42 }, 400, 'invalid_request'],
    ['an empty name', { name: '   ' }, 400, 'invalid_request'],
    ['a missing name', {}, 400, 'invalid_request'],
    ['an unknown field', { name: 'A', admin: true }, 400, 'invalid_request'],
    ['a name with control characters', { name: 'A\u0000B' }, 400, 'invalid_request'],
    ['a name over 200 characters', { name: 'n'.repeat(201) }, 400, 'invalid_request'],
  ])('refuses %s', async (_label, body, status, code) => {
    const res = await asOperator(app, 'POST', '/api/operator/companies', { body: body as never });
    expect(res.status).toBe(status);
    expect(res.json.error.code).toBe(code);
    expect(typeof res.json.error.message).toBe('string');
  });

  it('refuses a body that is not JSON with 415 and an oversized body with 413', async () => {
    const form = await asOperator(app, 'POST', '/api/operator/companies', {
      body: 'name=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.json.error.code).toBe('unsupported_media_type');
    const huge = await asOperator(app, 'POST', '/api/operator/companies', { body: { name: 'x'.repeat(70 * 1024) } });
    expect(huge.status).toBe(413);
    expect(huge.json.error.code).toBe('payload_too_large');
  });

  it('answers 404 for an unknown company on every operator route', async () => {
    const unknown = 'cmp_0000000000000000';
    const results = await Promise.all([
      asOperator(app, 'GET', `/api/operator/companies/${unknown}`),
      asOperator(app, 'POST', `/api/operator/companies/${unknown}/api-keys`),
      asOperator(app, 'GET', `/api/operator/companies/${unknown}/api-keys`),
      asOperator(app, 'DELETE', `/api/operator/companies/${unknown}/api-keys/key_0000000000000000`),
      asOperator(app, 'POST', `/api/operator/companies/${unknown}/domain-exceptions`, { body: { domain: 'a.example', reason: 'r' } }),
      asOperator(app, 'GET', `/api/operator/companies/${unknown}/domain-exceptions`),
      asOperator(app, 'DELETE', `/api/operator/companies/${unknown}/domain-exceptions/a.example`),
      asOperator(app, 'POST', `/api/operator/companies/${unknown}/impersonations`, { body: { email: 'a@a.example' } }),
      asOperator(app, 'GET', `/api/operator/companies/not-even-an-id`),
    ]);
    for (const res of results) {
      expect(res.status).toBe(404);
      expect(res.json.error.code).toMatch(/not_found$/);
    }
  });
});

describe('API keys', () => {
  it('shows the key once, lists it without the secret, and a revoked key stops working', async () => {
    const company = await newCompany();
    const created = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/api-keys`, { body: { label: 'ci' } });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^key_[0-9a-z]{16}\.[A-Za-z0-9_-]{43}$/);
    const list = await asOperator(app, 'GET', `/api/operator/companies/${company.id}/api-keys`);
    expect(list.json.apiKeys).toEqual([{ id: created.json.id, label: 'ci', createdAt: created.json.createdAt, revokedAt: null }]);
    expect(list.text).not.toContain(created.json.key.split('.')[1]);

    const works = await call(app, 'GET', `/api/companies/${company.id}/workspaces`, { token: created.json.key });
    expect(works.status).toBe(200);
    const revoke = await asOperator(app, 'DELETE', `/api/operator/companies/${company.id}/api-keys/${created.json.id}`);
    expect(revoke.status).toBe(204);
    const again = await asOperator(app, 'DELETE', `/api/operator/companies/${company.id}/api-keys/${created.json.id}`);
    expect(again.status).toBe(404);
    const refused = await call(app, 'GET', `/api/companies/${company.id}/workspaces`, { token: created.json.key });
    expect(refused.status).toBe(401);
  });

  it('refuses a key whose secret part is wrong, and a key revoked through another company path', async () => {
    const a = await setupCompany(app);
    const b = await setupCompany(app);
    const [id] = a.key.split('.');
    const wrong = await call(app, 'GET', `/api/companies/${a.id}/workspaces`, { token: `${id}.${'A'.repeat(43)}` });
    expect(wrong.status).toBe(401);
    const cross = await asOperator(app, 'DELETE', `/api/operator/companies/${b.id}/api-keys/${id}`);
    expect(cross.status).toBe(404);
    expect((await call(app, 'GET', `/api/companies/${a.id}/workspaces`, { token: a.key })).status).toBe(200);
  });
});

describe('domain exceptions', () => {
  it('grants (normalised, IDN to ASCII), lists, refuses a duplicate, revokes, and audits who and why', async () => {
    const company = await setupCompany(app);
    const base = `/api/operator/companies/${company.id}/domain-exceptions`;
    const granted = await asOperator(app, 'POST', base, {
      body: { domain: 'Bücher.DE', reason: 'Acquired subsidiary, ticket #4411' },
      headers: { 'X-Operator-Name': 'alice@support' },
    });
    expect(granted.status).toBe(201);
    expect(granted.json).toMatchObject({ domain: 'xn--bcher-kva.de', reason: 'Acquired subsidiary, ticket #4411', grantedBy: 'alice@support' });
    const dup = await asOperator(app, 'POST', base, { body: { domain: 'xn--bcher-kva.de', reason: 'again' } });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('domain_exception_exists');
    const list = await asOperator(app, 'GET', base);
    expect(list.json.domainExceptions).toHaveLength(1);
    const revoked = await asOperator(app, 'DELETE', `${base}/${encodeURIComponent('bücher.de')}`);
    expect(revoked.status).toBe(204);
    expect((await asOperator(app, 'DELETE', `${base}/bücher.de`)).status).toBe(404);
    expect((await asOperator(app, 'GET', base)).json.domainExceptions).toEqual([]);

    const audit = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=domain_exception.granted`, { token: company.key });
    expect(audit.json.events[0]).toMatchObject({
      action: 'domain_exception.granted',
      actor: { type: 'operator', id: 'alice@support' },
      reason: 'Acquired subsidiary, ticket #4411',
    });
    const revokedAudit = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=domain_exception.revoked`, { token: company.key });
    expect(revokedAudit.json.events[0].data).toMatchObject({ domain: 'xn--bcher-kva.de', grantedBy: 'alice@support' });
  });

  it.each([
    [{ domain: 'not a domain', reason: 'r' }, 'invalid_domain'],
    [{ domain: 'localhost', reason: 'r' }, 'invalid_domain'],
    [{ domain: '10.0.0.1', reason: 'r' }, 'invalid_domain'],
    [{ domain: 'a.example/x', reason: 'r' }, 'invalid_domain'],
    [{ domain: 'a.example' }, 'invalid_request'],
    [{ domain: 5, reason: 'r' }, 'invalid_request'],
  ])('refuses %j with 400', async (body, code) => {
    const company = await newCompany();
    const res = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/domain-exceptions`, { body });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
  });
});

describe('impersonation accounts', () => {
  it('creates an active impersonation user that is flagged, and refuses an email already in use', async () => {
    const company = await setupCompany(app);
    const res = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/impersonations`, {
      body: { email: 'Support@Decorumsoft.com' },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: 'active', impersonation: true, provisionedBy: 'impersonation', emailNormalized: 'support@decorumsoft.com' });
    const dup = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/impersonations`, { body: { email: 'support@decorumsoft.com' } });
    expect(dup.status).toBe(409);
    const bad = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/impersonations`, { body: { email: 'nope' } });
    expect(bad.status).toBe(400);
    const listed = await call(app, 'GET', `/api/companies/${company.id}/users?email=support@decorumsoft.com`, { token: company.key });
    expect(listed.json.users[0]).toMatchObject({ impersonation: true, status: 'active' });
  });
});
