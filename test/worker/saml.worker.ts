/**
 * SAML in workerd, on the Postgres the Node app also uses: a signed IdP-initiated sign-in and /api/me,
 * replays refused (also when the first use went through the Node app), JIT provisioning and refusal.
 * Responses are signed here, inside the isolate, with the key the Node global setup made.
 */
import { describe, expect, inject, it } from 'vitest';
import { WORKER_TEST_PUBLIC_URL } from './constants.js';
import { call, configureSaml, confirmedUser, postAcs, setupCompany } from './http.js';
import type { TestCompany } from './http.js';
import { signIdpInitiatedResponse, spFor } from './idp-signer.js';
import { worker } from './worker-fetch.js';

const IDP_ENTITY_ID = 'https://idp.test/edge-okta';
const keys = inject('idpKeys');

const signFor = (companyId: string, email: string, attributes?: Record<string, string>) =>
  signIdpInitiatedResponse(IDP_ENTITY_ID, keys, {
    sp: spFor(WORKER_TEST_PUBLIC_URL, companyId),
    now: new Date(),
    email,
    ...(attributes ? { attributes } : {}),
  });

async function companyWithSaml(name: string): Promise<TestCompany> {
  const company = await setupCompany(worker, name);
  await configureSaml(worker, company, { entityId: IDP_ENTITY_ID, certificatePem: keys.certificatePem });
  return company;
}

const me = (cookie: string | null) => call(worker, 'GET', '/api/me', { headers: cookie ? { Cookie: cookie } : {} });

async function lastLoginEvent(company: { id: string; key: string }) {
  const res = await call(worker, 'GET', `/api/companies/${company.id}/audit-events?limit=5`, { token: company.key });
  return res.json.events.find((e: { action: string }) => e.action.startsWith('saml.login'));
}

describe('IdP-initiated sign-in in the Worker', () => {
  it('signs a confirmed user in: 303, a __Host- session cookie, and /api/me answers with it', async () => {
    const company = await companyWithSaml('Edge Sign-in');
    const userId = await confirmedUser(worker, company, 'jon.smith@edge-signin.example');
    const res = await postAcs(worker, company.id, signFor(company.id, 'Jon.Smith@edge-signin.example'));
    expect(res.status, res.html).toBe(303);
    expect(res.location).toBe('/');
    expect(res.setCookie).toMatch(/^__Host-bridge_session=.*HttpOnly.*Secure/i);

    const who = await me(res.cookie);
    expect(who.status, who.text).toBe(200);
    expect(who.json.user).toMatchObject({ id: userId, email: 'jon.smith@edge-signin.example', status: 'active' });
    expect(who.json.workspace).toMatchObject({ id: company.workspaceId });
    expect((await me(null)).status).toBe(401);
  });

  it('refuses the second use of a response: the replay cache is in Postgres, not in the isolate', async () => {
    const company = await companyWithSaml('Edge Replay');
    await confirmedUser(worker, company, 'jon@edge-replay.example');
    const response = signFor(company.id, 'jon@edge-replay.example');
    expect((await postAcs(worker, company.id, response)).status).toBe(303);
    const replay = await postAcs(worker, company.id, response);
    expect(replay.status).toBe(403);
    expect(replay.setCookie).toBeNull();
    expect(replay.html).toContain('replayed');
  });

  it('refuses a response whose first use went through the Node app on the same database', async () => {
    const usedOnNode = inject('usedOnNode');
    const replay = await postAcs(worker, usedOnNode.companyId, usedOnNode.samlResponse);
    expect(replay.status).toBe(403);
    expect(replay.setCookie).toBeNull();
    expect(replay.html).toContain('replayed');
    expect(await lastLoginEvent({ id: usedOnNode.companyId, key: usedOnNode.apiKey })).toMatchObject({
      action: 'saml.login_refused',
      reason: 'replayed',
    });
  });
});

describe('just-in-time provisioning in the Worker', () => {
  /** SAML, a confirmed user on edge-jit.example, then JIT on with the company's defaults. */
  async function companyWithJit(): Promise<TestCompany> {
    const company = await companyWithSaml('Edge JIT');
    await confirmedUser(worker, company, 'jon.smith@edge-jit.example');
    const saved = await call(worker, 'PUT', `/api/companies/${company.id}/security/jit`, {
      token: company.key,
      body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId },
    });
    expect(saved.status, saved.text).toBe(200);
    return company;
  }

  it('provisions a newcomer on an eligible domain at first sign-in: 303, and /api/me shows the defaults', async () => {
    const company = await companyWithJit();
    const res = await postAcs(worker, company.id, signFor(company.id, 'jane.smith@edge-jit.example', { firstName: 'Jane', lastName: 'Smith' }));
    expect(res.status, res.html).toBe(303);
    const listed = await call(worker, 'GET', `/api/companies/${company.id}/users?email=jane.smith@edge-jit.example`, { token: company.key });
    expect(listed.json.users[0]).toMatchObject({ status: 'active', provisionedBy: 'jit', firstName: 'Jane', lastName: 'Smith' });
    const who = await me(res.cookie);
    expect(who.json.user.id).toBe(listed.json.users[0].id);
    expect(who.json.permissionSet).toMatchObject({ id: company.permissionSetId });
  });

  it('refuses a newcomer from a domain no confirmed user has: 403 domain_not_eligible, no user created', async () => {
    const company = await companyWithJit();
    const res = await postAcs(worker, company.id, signFor(company.id, 'jon.smith@edge-jit.eu'));
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeNull();
    expect(res.html).toContain('domain_not_eligible');
    const listed = await call(worker, 'GET', `/api/companies/${company.id}/users?email=jon.smith@edge-jit.eu`, { token: company.key });
    expect(listed.json.users).toEqual([]);
    expect(await lastLoginEvent(company)).toMatchObject({ action: 'saml.login_refused', reason: 'domain_not_eligible' });
  });
});

describe('SP-initiated sign-in in the Worker with an IdP that offers only HTTP-POST', () => {
  it('answers the auto-submitting form: SAMLRequest is the plain-base64 AuthnRequest, the script carries the CSP nonce', async () => {
    const company = await setupCompany(worker, 'Edge Post');
    const put = await call(worker, 'PUT', `/api/companies/${company.id}/saml`, {
      token: company.key,
      body: { idpEntityId: IDP_ENTITY_ID, ssoUrl: 'https://idp.test/sso/post', ssoBinding: 'post', certificates: [keys.certificatePem] },
    });
    expect(put.status, put.text).toBe(200);
    const res = await call(worker, 'GET', `/saml/${company.id}/login`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('Set-Cookie')).toMatch(/^__Host-bridge_authn=/);
    expect(res.text).toContain('<form id="saml-post" method="post" action="https://idp.test/sso/post">');
    const samlRequest = /name="SAMLRequest" value="([A-Za-z0-9+/=]+)"/.exec(res.text)?.[1];
    expect(atob(samlRequest ?? '')).toMatch(/^<samlp:AuthnRequest [^>]*ID="_[0-9a-f]{40}"[^>]*Destination="https:\/\/idp.test\/sso\/post"/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(res.headers.get('Content-Security-Policy') ?? '')?.[1];
    expect(res.text).toContain(`<script nonce="${nonce}">`);
  });
});
