/// <reference types="@cloudflare/vitest-pool-workers/types" />
/**
 * The OpenID provider inside workerd, on Postgres through Hyperdrive, driven by openid-client running
 * in the isolate: an SP-initiated flow started by /oauth/authorize with login_hint, resumed after the
 * ACS; an IdP-initiated (JIT) sign-in that lands in the authorization the browser had pending; tokens
 * verified against the JWKS; a reused code refused; back-channel logout after a SCIM deactivation,
 * through ctx.waitUntil, and by the Cron Trigger once an application that was down is back. (No default application here: this suite shares
 * its database with the other Worker tests, whose IdP-initiated sign-ins it would redirect; the Node
 * suite shows the third-party-initiated login on databases of its own.)
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import worker_ from '../../src/worker.js';
import { openPostgres } from '../../src/store/postgres.js';
import { oidcApplications } from '../../src/store/schema.js';
import { Browser, REDIRECT_URI, relyingPartyOver, startFlow } from '../support/oidc-browser.js';
import { WORKER_TEST_OPERATOR_TOKEN, WORKER_TEST_PUBLIC_URL } from './constants.js';
import { call, configureSaml, confirmedUser, expectStatus, setupCompany } from './http.js';
import { signIdpInitiatedResponse, spFor } from './idp-signer.js';
import { worker, workerEnv } from './worker-fetch.js';

const IDP_ENTITY_ID = 'https://idp.test/edge-oidc';
const keys = inject('idpKeys');
const receiver = inject('backchannelReceiver');
/** A domain of this run's own: the suite's database keeps earlier runs' companies, and login_hint finds the company by domain. */
const DOMAIN = `edge-oidc-${crypto.randomUUID().slice(0, 8)}.example`;
const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** The AuthnRequest ID inside an HTTP-Redirect binding URL (deflate-raw, then base64), without Node's zlib. */
async function authnRequestId(location: string): Promise<string> {
  const deflated = Uint8Array.from(atob(new URL(location).searchParams.get('SAMLRequest')!), (c) => c.charCodeAt(0));
  const xml = await new Response(new Blob([deflated]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text();
  return /\sID="([^"]+)"/.exec(xml)![1]!;
}

async function setup() {
  const company = await setupCompany(worker, 'Edge OIDC');
  await configureSaml(worker, company, { entityId: IDP_ENTITY_ID, certificatePem: keys.certificatePem });
  const jonId = await confirmedUser(worker, company, `jon@${DOMAIN}`);
  expectStatus(
    await call(worker, 'PUT', `/api/companies/${company.id}/security/jit`, {
      token: company.key,
      body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId },
    }),
    200,
    'JIT on',
  );
  const app = expectStatus(
    await call(worker, 'POST', '/api/operator/applications', { token: WORKER_TEST_OPERATOR_TOKEN, body: { name: 'Edge dashboard', redirectUris: [REDIRECT_URI] } }),
    201,
    'application',
  );
  const config = await relyingPartyOver(worker, WORKER_TEST_PUBLIC_URL, { clientId: app.json.clientId, clientSecret: app.json.clientSecret });
  return { company, jonId, clientId: app.json.clientId as string, config };
}

describe('the OpenID provider in the Worker', () => {
  it('SP-initiated by /oauth/authorize (login_hint), IdP-initiated JIT into a pending authorization, tokens verified against the JWKS', async () => {
    const { company, jonId, clientId, config } = await setup();
    expect(config.serverMetadata().issuer).toBe(WORKER_TEST_PUBLIC_URL);

    const browser = new Browser(worker, WORKER_TEST_PUBLIC_URL);
    const flow = await startFlow(config, { login_hint: `jon@${DOMAIN}` });
    const toIdp = await browser.follow(flow.url.href);
    expect(toIdp.location?.startsWith('https://idp.test/sso?')).toBe(true);
    const answer = signIdpInitiatedResponse(IDP_ENTITY_ID, keys, {
      sp: spFor(WORKER_TEST_PUBLIC_URL, company.id),
      now: new Date(),
      email: `jon@${DOMAIN}`,
      inResponseTo: await authnRequestId(toIdp.location!),
    });
    const back = await browser.follow(`/saml/${company.id}/acs`, { form: { SAMLResponse: answer, RelayState: new URL(toIdp.location!).searchParams.get('RelayState')! } });
    expect(back.location?.startsWith(REDIRECT_URI)).toBe(true);
    const checks = { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce };
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), checks);
    expect(tokens.claims()).toMatchObject({ sub: jonId, email: `jon@${DOMAIN}`, company_id: company.id, amr: ['saml'] });
    const jwks = await call(worker, 'GET', '/oauth/jwks');
    const { payload } = await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks.json as JSONWebKeySet), { issuer: WORKER_TEST_PUBLIC_URL, audience: clientId });
    expect(payload.sid).toBe(tokens.claims()!.sid);
    expect(await oidc.fetchUserInfo(config, tokens.access_token, jonId)).toMatchObject({ sub: jonId, company_id: company.id });

    // The code is single-use across isolates: the database says so.
    await expect(oidc.authorizationCodeGrant(config, new URL(back.location!), checks)).rejects.toMatchObject({ error: 'invalid_grant' });

    // A browser with a pending authorization gets an IdP-initiated response instead (the person used the IdP's tile): JIT, then the code.
    const newcomer = new Browser(worker, WORKER_TEST_PUBLIC_URL);
    const pending = await startFlow(config, { organization: company.id });
    expect((await newcomer.follow(pending.url.href)).location?.startsWith('https://idp.test/sso?')).toBe(true);
    const tile = signIdpInitiatedResponse(IDP_ENTITY_ID, keys, { sp: spFor(WORKER_TEST_PUBLIC_URL, company.id), now: new Date(), email: `ann@${DOMAIN}` });
    const landed = await newcomer.follow(`/saml/${company.id}/acs`, { form: { SAMLResponse: tile } });
    expect(landed.location?.startsWith(REDIRECT_URI)).toBe(true);
    const annTokens = await oidc.authorizationCodeGrant(config, new URL(landed.location!), { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce });
    expect(annTokens.claims()).toMatchObject({ email: `ann@${DOMAIN}`, company_id: company.id, jit_provisioned: true });

    // Back-channel logout from the Worker: queued with the SCIM deactivation, posted through ctx.waitUntil.
    // (A Worker is production, where the API accepts https URIs only: the test points the application at its loopback receiver directly.)
    const { db } = openPostgres(workerEnv.HYPERDRIVE!.connectionString, { max: 1, closeOnEnd: false });
    await db.update(oidcApplications).set({ backchannelLogoutUri: `${receiver}/logout` }).where(eq(oidcApplications.id, clientId));
    const scimToken = expectStatus(await call(worker, 'POST', `/api/companies/${company.id}/scim-tokens`, { token: company.key, body: { label: 'edge' } }), 201, 'SCIM token').json.token as string;
    const deactivate = async (email: string) => {
      const created = await call(worker, 'POST', `/scim/v2/${company.id}/Users`, { token: scimToken, body: { schemas: [SCIM_USER], userName: email, active: true } });
      expectStatus(created, 201, 'SCIM user');
      const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };
      expectStatus(await call(worker, 'PATCH', `/scim/v2/${company.id}/Users/${created.json.id}`, { token: scimToken, body: patch }), 200, 'SCIM deactivation');
    };
    const tokenFor = async (sid: unknown, withinMs: number) => {
      const deadline = Date.now() + withinMs;
      do {
        const received = (await (await fetch(`${receiver}/received`)).json()) as string[];
        for (const token of received) {
          const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks.json as JSONWebKeySet), { issuer: WORKER_TEST_PUBLIC_URL, audience: clientId, typ: 'logout+jwt' });
          if (payload.sid === sid) return { payload, protectedHeader };
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      } while (Date.now() < deadline);
      return null;
    };
    await deactivate(`jon@${DOMAIN}`);
    const logout = await tokenFor(tokens.claims()!.sid, 5_000);
    expect(logout?.payload).toMatchObject({ sub: jonId, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(logout?.payload.nonce).toBeUndefined();

    // With the application down the delivery waits; once it is back, the Cron Trigger delivers it.
    await fetch(`${receiver}/down`, { method: 'PUT' });
    await deactivate(`ann@${DOMAIN}`);
    expect(await tokenFor(annTokens.claims()!.sid, 1_000)).toBeNull();
    await fetch(`${receiver}/up`, { method: 'PUT' });
    const ctx = createExecutionContext();
    // A few seconds ahead, past the first retry (2 s after the failure); not further: the run also sweeps what has expired by
    // then, and other files' replay-cache entries share this database.
    worker_.scheduled(createScheduledController({ scheduledTime: Date.now() + 5_000, cron: '*/5 * * * *' }), workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect((await tokenFor(annTokens.claims()!.sid, 2_000))?.payload.sub).toBe(annTokens.claims()!.sub);
  });
});
