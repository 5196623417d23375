/**
 * The OpenID provider end to end, driven by openid-client (a widely used relying-party library) on
 * both databases: IdP-initiated SAML → third-party-initiated login → code → tokens verified against
 * the JWKS; an SP-initiated flow started by /oauth/authorize with login_hint; JIT provisioning visible
 * in a first sign-in's id_token; and every refusal with its RFC error. Each backend gets a database of
 * its own: the default application decides where every company's IdP-initiated sign-ins go.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { availableBackends, openIsolatedTestDatabase } from '../support/db.js';
import { APP_ORIGIN, Browser, INITIATE_LOGIN_URI, POST_LOGOUT_URI, REDIRECT_URI, registerApplication, relyingParty, startFlow } from '../support/oidc.js';
import type { TestApplication } from '../support/oidc.js';
import { PUBLIC_URL, authnRequestIdFrom, configureSaml, confirmedUser, idpInitiated, spOf } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';

/** openid-client's refusal as the RFC error code (from the body, or from behind a WWW-Authenticate challenge). */
async function oauthErrorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return error.error;
    if (error instanceof oidc.WWWAuthenticateChallengeError) return ((await error.response.json()) as { error: string }).error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe.each(availableBackends)('OpenID provider on %s', (backend) => {
  let handle: DatabaseHandle;
  let app: TestApp;
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const idp = createTestIdp({ entityId: 'https://idp.test/okta' });
  let company: TestCompany;
  let client: TestApplication;
  let config: oidc.Configuration;
  let jonId: string;

  beforeAll(async () => {
    handle = await openIsolatedTestDatabase(backend);
    app = makeApp(handle, { now });
    company = await setupCompany(app, 'Decorumsoft');
    await configureSaml(app, company, idp);
    jonId = await confirmedUser(app, company, 'jon@decorumsoft.com');
    const jit = await call(app, 'PUT', `/api/companies/${company.id}/security/jit`, {
      token: company.key,
      body: { enabled: true, defaultWorkspaceId: company.workspaceId, defaultPermissionSetId: company.permissionSetId },
    });
    expect(jit.status, jit.text).toBe(200);
    client = await registerApplication(app, { isDefault: true });
    config = await relyingParty(app, client);
  });
  afterAll(async () => {
    await handle?.close();
  });

  /** IdP-initiated sign-in in `browser`: the ACS answer (the third-party-initiated login redirect). */
  async function idpSignIn(browser: Browser, email: string, extra: Record<string, unknown> = {}) {
    const samlResponse = idpInitiated(idp, company.id, email, now(), { attributes: { firstName: 'Ann', lastName: 'Lee' }, ...extra });
    return browser.request(`/saml/${company.id}/acs`, { form: { SAMLResponse: samlResponse } });
  }

  /** With a live session in `browser`: an authorization request answered at once with a code. */
  async function codeFor(browser: Browser, params: Record<string, string> = {}, rp = config) {
    const flow = await startFlow(rp, params);
    const { location } = await browser.follow(flow.url.href);
    expect(location?.startsWith(REDIRECT_URI)).toBe(true);
    return { flow, callback: new URL(location!) };
  }

  async function verifiedByJwks(idToken: string) {
    const jwks = await call(app, 'GET', '/oauth/jwks');
    expect(jwks.headers.get('Cache-Control')).toMatch(/max-age=\d+/);
    return jwtVerify(idToken, createLocalJWKSet(jwks.json as JSONWebKeySet), { issuer: PUBLIC_URL, audience: client.clientId, algorithms: ['RS256'] });
  }

  it('publishes discovery metadata openid-client accepts (issuer = PUBLIC_URL, code flow, S256, back-channel logout)', () => {
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(PUBLIC_URL);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
    expect(meta.backchannel_logout_supported).toBe(true);
    expect(meta.end_session_endpoint).toBe(`${PUBLIC_URL}/oauth/logout`);
  });

  it('IdP-initiated SAML reaches the application: third-party-initiated login, a code at once, JIT visible in the id_token, verified against the JWKS', async () => {
    const browser = new Browser(app);
    const acs = await idpSignIn(browser, 'ann@decorumsoft.com');
    expect(acs.status).toBe(303);
    const initiate = new URL(acs.headers.get('Location')!);
    expect(`${initiate.origin}${initiate.pathname}`).toBe(INITIATE_LOGIN_URI);
    // OIDC Core §4: the application checks iss, then starts a normal code flow with the hint.
    expect(initiate.searchParams.get('iss')).toBe(config.serverMetadata().issuer);
    expect(initiate.searchParams.get('login_hint')).toBe('ann@decorumsoft.com');
    expect(initiate.searchParams.get('target_link_uri')).toBe(`${APP_ORIGIN}/`);

    const { flow, callback } = await codeFor(browser, { login_hint: initiate.searchParams.get('login_hint')! });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const claims = tokens.claims()!;
    const { payload, protectedHeader } = await verifiedByJwks(tokens.id_token!);
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe(claims.sub);
    expect(claims).toMatchObject({
      iss: PUBLIC_URL,
      aud: client.clientId,
      nonce: flow.nonce,
      email: 'ann@decorumsoft.com',
      email_verified: true,
      given_name: 'Ann',
      family_name: 'Lee',
      amr: ['saml'],
      company_id: company.id,
      jit_provisioned: true,
      memberships: [{ workspace_id: company.workspaceId, permission_set_id: company.permissionSetId, permissions: ['dashboards:read'] }],
    });
    expect(claims.sid).toMatch(/^ses_/);
    expect(typeof claims.auth_time).toBe('number');
    const users = await call(app, 'GET', `/api/companies/${company.id}/users?limit=100`, { token: company.key });
    expect(users.json.users.find((u: { email: string }) => u.email === 'ann@decorumsoft.com').id).toBe(claims.sub);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email: 'ann@decorumsoft.com', company_id: company.id });

    // A second sign-in of the same person is not a JIT provisioning.
    const again = await codeFor(browser, { login_hint: 'ann@decorumsoft.com' });
    const later = await oidc.authorizationCodeGrant(config, again.callback, { pkceCodeVerifier: again.flow.verifier, expectedState: again.flow.state, expectedNonce: again.flow.nonce });
    expect(later.claims()!.sub).toBe(claims.sub);
    const fresh = new Browser(app);
    await idpSignIn(fresh, 'ann@decorumsoft.com');
    const next = await codeFor(fresh);
    const nextTokens = await oidc.authorizationCodeGrant(config, next.callback, { pkceCodeVerifier: next.flow.verifier, expectedState: next.flow.state, expectedNonce: next.flow.nonce });
    expect(nextTokens.claims()!.jit_provisioned).toBeUndefined();
  });

  it('an SP-initiated flow started by /oauth/authorize with login_hint: SAML with the IdP, resumed after the ACS; it provisions nobody', async () => {
    const browser = new Browser(app);
    const flow = await startFlow(config, { login_hint: 'Jon@Decorumsoft.com' });
    const toIdp = await browser.follow(flow.url.href);
    expect(toIdp.location?.startsWith('https://idp.test/sso?')).toBe(true);
    const relayState = new URL(toIdp.location!).searchParams.get('RelayState')!;
    // RelayState carries only the stored authorization's id, never the request itself.
    expect(relayState).toMatch(/^\/oauth\/authorize\/resume\?authorization=az_[0-9a-z]{16}$/);
    const answer = idp.signResponse({ sp: spOf(company.id), now: now(), nameId: 'jon@decorumsoft.com', inResponseTo: authnRequestIdFrom(toIdp.location!) });
    const back = await browser.follow(`/saml/${company.id}/acs`, { form: { SAMLResponse: answer, RelayState: relayState } });
    expect(back.location?.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    expect(tokens.claims()).toMatchObject({ sub: jonId, email: 'jon@decorumsoft.com', company_id: company.id });
    expect(tokens.claims()!.jit_provisioned).toBeUndefined();
    await verifiedByJwks(tokens.id_token!);

    // Another browser cannot resume it, and it is used up.
    const thief = new Browser(app);
    const stolen = await thief.request(relayState);
    expect(stolen.status).toBe(400);

    // A person the company does not have yet: the SP-initiated answer is refused (JIT is IdP-initiated only).
    const stranger = new Browser(app);
    const newFlow = await startFlow(config, { login_hint: 'new.person@decorumsoft.com' });
    const out = await stranger.follow(newFlow.url.href);
    const refusal = idp.signResponse({ sp: spOf(company.id), now: now(), nameId: 'new.person@decorumsoft.com', inResponseTo: authnRequestIdFrom(out.location!) });
    const refused = await stranger.follow(`/saml/${company.id}/acs`, { form: { SAMLResponse: refusal, RelayState: new URL(out.location!).searchParams.get('RelayState')! } });
    expect(refused.res.status).toBe(403);
    const users = await call(app, 'GET', `/api/companies/${company.id}/users?limit=100`, { token: company.key });
    expect(users.json.users.map((u: { email: string }) => u.email)).not.toContain('new.person@decorumsoft.com');
  });

  describe('refusals, each with its RFC error', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = new Browser(app);
      await idpSignIn(browser, 'jon@decorumsoft.com');
    });

    it('a redirect URI that is not registered exactly: an HTML page, never a redirect', async () => {
      for (const redirectUri of [`${REDIRECT_URI}/`, `${REDIRECT_URI}?x=1`, 'https://evil.test/auth/callback']) {
        const flow = await startFlow(config, { redirect_uri: redirectUri });
        const res = await browser.request(flow.url.href);
        expect(res.status).toBe(400);
        expect(res.headers.get('Location')).toBeNull();
        expect(await res.text()).toContain('invalid_redirect_uri');
      }
      const unknownClient = await browser.request(`/oauth/authorize?client_id=app_0000000000000000&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`);
      expect(unknownClient.status).toBe(400);
    });

    it('no PKCE challenge, or plain: invalid_request to the redirect URI; a missing or wrong verifier at the token endpoint', async () => {
      const plain = await startFlow(config, { code_challenge_method: 'plain' });
      const refused = await browser.follow(plain.url.href);
      const error = new URL(refused.location!);
      expect(error.searchParams.get('error')).toBe('invalid_request');
      expect(error.searchParams.get('state')).toBe(plain.state);
      expect(error.searchParams.get('iss')).toBe(PUBLIC_URL);
      const url = new URL((await startFlow(config)).url);
      url.searchParams.delete('code_challenge');
      url.searchParams.delete('code_challenge_method');
      expect(new URL((await browser.follow(url.href)).location!).searchParams.get('error')).toBe('invalid_request');

      const missing = await codeFor(browser);
      expect(await oauthErrorOf(oidc.authorizationCodeGrant(config, missing.callback, { expectedState: missing.flow.state, expectedNonce: missing.flow.nonce }))).toBe('invalid_request');
      const wrong = await codeFor(browser);
      const guess = oidc.randomPKCECodeVerifier();
      expect(await oauthErrorOf(oidc.authorizationCodeGrant(config, wrong.callback, { pkceCodeVerifier: guess, expectedState: wrong.flow.state, expectedNonce: wrong.flow.nonce }))).toBe('invalid_grant');
    });

    it('a reused code: invalid_grant, and the access token of the first use is revoked', async () => {
      const { flow, callback } = await codeFor(browser);
      const checks = { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce };
      const first = await oidc.authorizationCodeGrant(config, callback, checks);
      expect((await oidc.fetchUserInfo(config, first.access_token, first.claims()!.sub)).sub).toBe(jonId);
      expect(await oauthErrorOf(oidc.authorizationCodeGrant(config, callback, checks))).toBe('invalid_grant');
      const info = await call(app, 'GET', '/oauth/userinfo', { token: first.access_token });
      expect(info.status).toBe(401);
      expect(info.headers.get('WWW-Authenticate')).toContain('error="invalid_token"');
    });

    it('a wrong client secret (basic and post): invalid_client; the right one by client_secret_post works', async () => {
      const { flow, callback } = await codeFor(browser);
      const checks = { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce };
      for (const method of ['basic', 'post'] as const) {
        const impostor = await relyingParty(app, { clientId: client.clientId, clientSecret: oidc.randomState() }, method);
        expect(await oauthErrorOf(oidc.authorizationCodeGrant(impostor, callback, checks))).toBe('invalid_client');
      }
      const post = await relyingParty(app, client, 'post');
      const viaPost = await codeFor(browser, {}, post);
      const tokens = await oidc.authorizationCodeGrant(post, viaPost.callback, { pkceCodeVerifier: viaPost.flow.verifier, expectedState: viaPost.flow.state, expectedNonce: viaPost.flow.nonce });
      expect(tokens.claims()!.sub).toBe(jonId);
    });

    it('a code of another client, or with another redirect_uri: invalid_grant', async () => {
      const other = await registerApplication(app, { name: 'Other', redirectUris: [REDIRECT_URI] });
      const otherConfig = await relyingParty(app, other);
      const { flow, callback } = await codeFor(browser);
      const checks = { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce };
      expect(await oauthErrorOf(oidc.authorizationCodeGrant(otherConfig, callback, checks))).toBe('invalid_grant');
      const second = await codeFor(browser);
      const form = {
        grant_type: 'authorization_code',
        code: second.callback.searchParams.get('code')!,
        redirect_uri: `${APP_ORIGIN}/elsewhere`,
        code_verifier: second.flow.verifier,
        client_id: client.clientId,
        client_secret: client.clientSecret,
      };
      const res = await app.request('/oauth/token', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
      expect(res.headers.get('Cache-Control')).toBe('no-store');
    });

    it('an expired code (over 60 s): invalid_grant', async () => {
      const { flow, callback } = await codeFor(browser);
      offsetMs += 61_000;
      try {
        expect(await oauthErrorOf(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce }))).toBe('invalid_grant');
      } finally {
        offsetMs -= 61_000;
      }
    });

    it("organization of another company while signed in to this one: access_denied, no code", async () => {
      const other = await setupCompany(app, 'Elsewhere');
      const flow = await startFlow(config, { organization: other.id });
      const { location } = await browser.follow(flow.url.href);
      const error = new URL(location!);
      expect(`${error.origin}${error.pathname}`).toBe(REDIRECT_URI);
      expect(error.searchParams.get('error')).toBe('access_denied');
      expect(error.searchParams.get('code')).toBeNull();
    });

    it('unsupported response types and scopes without openid', async () => {
      const implicit = await startFlow(config, { response_type: 'id_token' });
      expect(new URL((await browser.follow(implicit.url.href)).location!).searchParams.get('error')).toBe('unsupported_response_type');
      const noOpenid = await startFlow(config, { scope: 'email' });
      expect(new URL((await browser.follow(noOpenid.url.href)).location!).searchParams.get('error')).toBe('invalid_scope');
      const fresh = new Browser(app);
      const silent = await startFlow(config, { prompt: 'none', organization: company.id });
      expect(new URL((await fresh.follow(silent.url.href)).location!).searchParams.get('error')).toBe('login_required');
    });
  });

  it('end-session with id_token_hint: the session ends, the browser goes to the registered post-logout URI, tokens stop working', async () => {
    const browser = new Browser(app);
    await idpSignIn(browser, 'jon@decorumsoft.com');
    const { flow, callback } = await codeFor(browser);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
    const bad = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.test/' });
    expect((await browser.request(bad.href)).status).toBe(400);
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
    const { location } = await browser.follow(logout.href);
    expect(location).toBe(`${POST_LOGOUT_URI}?state=bye`);
    expect((await browser.request('/api/me')).status).toBe(401);
    expect((await call(app, 'GET', '/oauth/userinfo', { token: tokens.access_token })).status).toBe(401);
  });
});
