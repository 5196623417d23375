/**
 * SCIM 2.0 inside workerd: a token, the Okta create/filter/deactivate path, Entra's PATCH shapes,
 * a group, and the lock-out effect on a signed-in dashboard account, all over the local Postgres.
 */
import { describe, expect, inject, it } from 'vitest';
import { WORKER_TEST_PUBLIC_URL } from './constants.js';
import { call, configureSaml, confirmedUser, postAcs, setupCompany } from './http.js';
import type { CallResult } from './http.js';
import { signIdpInitiatedResponse, spFor } from './idp-signer.js';
import { worker } from './worker-fetch.js';

async function scim(token: string, method: string, path: string, body?: unknown): Promise<CallResult> {
  return call(worker, method, path, { token, ...(body !== undefined ? { body } : {}), headers: { Accept: 'application/scim+json' } });
}

describe('SCIM in the Worker', () => {
  it('creates, filters, patches and deletes users and groups, answering in SCIM form', async () => {
    const company = await setupCompany(worker, 'Edge Directory');
    const created = await call(worker, 'POST', `/api/companies/${company.id}/scim-tokens`, { token: company.key, body: {} });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    const base = new URL(created.json.scimBaseUrl as string).pathname;

    const user = await scim(token, 'POST', `${base}/Users`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'Edge.User@edge.example',
      emails: [{ primary: true, type: 'work', value: 'Edge.User@edge.example' }],
      active: true,
    });
    expect(user.status, user.text).toBe(201);
    expect(user.headers.get('Content-Type')).toContain('application/scim+json');
    const found = await scim(token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq "edge.user@EDGE.example"')}`);
    expect(found.json.totalResults).toBe(1);
    const off = await scim(token, 'PATCH', `${base}/Users/${user.json.id}`, { Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(off.json.active).toBe(false);
    const group = await scim(token, 'POST', `${base}/Groups`, { displayName: 'Edge team', members: [{ value: user.json.id, $ref: null }] });
    expect(group.status, group.text).toBe(201);
    expect((await scim(token, 'GET', `${base}/Groups/${group.json.id}`)).json.members).toHaveLength(1);
    const bad = await scim(token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq')}`);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidFilter' });
    expect((await scim(token, 'DELETE', `${base}/Users/${user.json.id}`)).status).toBe(204);
    expect((await scim(token, 'GET', `${base}/Users/${user.json.id}`)).status).toBe(404);
  });

  it('locks a signed-in person out at once when the IdP deactivates them', async () => {
    const keys = inject('idpKeys');
    const company = await setupCompany(worker, 'Edge Lockout');
    await configureSaml(worker, company, { entityId: 'https://idp.test/edge-lock', certificatePem: keys.certificatePem });
    await confirmedUser(worker, company, 'locked@edge.example');
    const response = signIdpInitiatedResponse('https://idp.test/edge-lock', keys, {
      sp: spFor(WORKER_TEST_PUBLIC_URL, company.id),
      email: 'locked@edge.example',
      now: new Date(),
    });
    const acs = await postAcs(worker, company.id, response);
    expect(acs.status).toBe(303);
    const cookie = acs.cookie!;
    expect((await call(worker, 'GET', '/api/me', { headers: { Cookie: cookie } })).status).toBe(200);

    const token = (await call(worker, 'POST', `/api/companies/${company.id}/scim-tokens`, { token: company.key, body: {} })).json.token as string;
    const base = `/scim/v2/${company.id}`;
    const entry = await scim(token, 'POST', `${base}/Users`, { userName: 'locked@edge.example', active: true });
    await scim(token, 'PATCH', `${base}/Users/${entry.json.id}`, { Operations: [{ op: 'replace', value: { active: false } }] });
    expect((await call(worker, 'GET', '/api/me', { headers: { Cookie: cookie } })).status).toBe(401);
  });
});
