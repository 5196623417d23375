/**
 * The demo's example application (development only, at /dev/app): a stand-in for the SaaS dashboard,
 * signing in through the bridge's OpenID provider with a real relying-party library (openid-client),
 * exactly as the README's "Connect your application" tells an application to. It shows the id_token's
 * claims, and a SCIM deactivation signs it out through back-channel logout, so a newcomer sees the
 * whole chain: IdP → SAML → JIT → OIDC → app. It also receives the demo company's webhooks and lists
 * them (src/dev/demo-webhooks.tsx).
 *
 * It is its own relying party: it talks to the bridge only over HTTP (discovery, token, JWKS), never
 * through the bridge's code. Its sessions live in this process's memory, which is fine for a
 * one-process demo and nothing else; a real application keeps them in its own store.
 */
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { randomBytes } from 'node:crypto';
import type { AppEnv } from '../http/env.js';
import { demoWebhookInbox, ReceivedWebhooks, WEBHOOKS_CSS } from './demo-webhooks.js';
import type { DemoWebhook } from './demo-webhooks.js';
import { devPage } from './page.js';

export interface DemoAppClient {
  clientId: string;
  clientSecret: string;
}

const FLOW_COOKIE = '__Host-demo_app_flow';
const SESSION_COOKIE = '__Host-demo_app_session';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface AppSession {
  claims: Record<string, unknown>;
  idToken: string;
  /** Set when the bridge said, over the back channel, that the bridge session (sid) ended. */
  endedAt: Date | null;
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1f2328}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.8rem;overflow:auto}
.note{color:#57606a;font-size:.9rem} .ended{color:#b42318;font-weight:600} a.button,button{font:inherit;padding:.3rem .7rem}
${WEBHOOKS_CSS}`;

const page = (title: string, body: unknown) =>
  devPage(
    title,
    CSS,
    <>
      <h1>Example application</h1>
      {body}
    </>,
  );

const cookieOptions = { path: '/', httpOnly: true, secure: true, sameSite: 'Lax' as const };

/**
 * The demo application's routes; `publicUrl` is the bridge's issuer (the app reaches it over HTTP like
 * any app); `webhook`, the demo company's webhook endpoint whose deliveries it verifies and lists.
 */
export function demoAppRoutes(publicUrl: string, client: DemoAppClient, webhook: DemoWebhook | null = null) {
  const sessions = new Map<string, AppSession>();
  const inbox = demoWebhookInbox(webhook);
  const base = `${publicUrl}/dev/app`;
  let configuration: Promise<oidc.Configuration> | null = null;
  const config = () => {
    configuration ??= oidc
      .discovery(new URL(publicUrl), client.clientId, client.clientSecret, oidc.ClientSecretBasic(client.clientSecret), {
        ...(publicUrl.startsWith('http://') ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = null;
        throw error;
      });
    return configuration;
  };
  const jwks = () => createRemoteJWKSet(new URL(`${publicUrl}/oauth/jwks`));

  return new Hono<AppEnv>()
    .route('/', inbox.routes)
    .get('/dev/app', (c) => {
      const session = sessions.get(getCookie(c, SESSION_COOKIE) ?? '');
      if (!session) {
        return c.html(
          page(
            'Example application',
            <>
              <p>Not signed in.</p>
              <p>
                <a class="button" href="/dev/app/login">
                  Sign in with your company
                </a>
              </p>
              <p class="note">
                Or sign in at the test IdP (<a href="/dev/idp">/dev/idp</a>): an IdP-initiated sign-in lands here through third-party-initiated login.
              </p>
              <ReceivedWebhooks inbox={inbox} />
            </>,
          ),
        );
      }
      return c.html(
        page(
          'Example application',
          <>
            {session.endedAt ? (
              <p class="ended" id="ended">
                Signed out by the bridge (back-channel logout at {session.endedAt.toISOString()}): the directory or an admin ended this session.
              </p>
            ) : (
              <p id="signed-in">Signed in as {String(session.claims.email ?? session.claims.sub)}.</p>
            )}
            <h2>The id_token's claims</h2>
            <pre id="claims">{JSON.stringify(session.claims, null, 2)}</pre>
            <p>
              The bridge's own page: <a href="/">/</a> (who is signed in there, and the admin page for admins).
            </p>
            <form method="post" action="/dev/app/logout">
              <button type="submit">Sign out</button>
            </form>
            <ReceivedWebhooks inbox={inbox} />
          </>,
        ),
      );
    })
    .get('/dev/app/login', async (c) => {
      // Third-party-initiated login (OIDC Core §4) arrives with iss and login_hint: only from our issuer.
      const iss = c.req.query('iss');
      if (iss !== undefined && iss !== publicUrl) return c.text('Unknown issuer', 400);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const loginHint = c.req.query('login_hint');
      const url = oidc.buildAuthorizationUrl(await config(), {
        redirect_uri: `${base}/callback`,
        scope: 'openid email profile',
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        ...(loginHint ? { login_hint: loginHint } : {}),
      });
      setCookie(c, FLOW_COOKIE, JSON.stringify({ codeVerifier, state, nonce }), { ...cookieOptions, maxAge: 600 });
      return c.redirect(url.href, 302);
    })
    .get('/dev/app/callback', async (c) => {
      let flow: { codeVerifier: string; state: string; nonce: string };
      try {
        flow = JSON.parse(getCookie(c, FLOW_COOKIE) ?? '');
      } catch {
        return c.text('No sign-in in progress on this browser', 400);
      }
      deleteCookie(c, FLOW_COOKIE, cookieOptions);
      // The URL the bridge redirected to, on the public origin (the request may have reached us another way).
      const current = new URL(`${base}/callback${new URL(c.req.url).search}`);
      try {
        const tokens = await oidc.authorizationCodeGrant(await config(), current, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const id = randomBytes(24).toString('base64url');
        sessions.set(id, { claims: { ...tokens.claims() }, idToken: tokens.id_token!, endedAt: null });
        setCookie(c, SESSION_COOKIE, id, cookieOptions);
        return c.redirect('/dev/app', 303);
      } catch (error) {
        return c.text(`Sign-in failed: ${error instanceof Error ? error.message : 'unknown error'}`, 400);
      }
    })
    .post('/dev/app/logout', async (c) => {
      const id = getCookie(c, SESSION_COOKIE) ?? '';
      const session = sessions.get(id);
      sessions.delete(id);
      deleteCookie(c, SESSION_COOKIE, cookieOptions);
      if (!session) return c.redirect('/dev/app', 303);
      const url = oidc.buildEndSessionUrl(await config(), { id_token_hint: session.idToken, post_logout_redirect_uri: base });
      return c.redirect(url.href, 303);
    })
    .post('/dev/app/backchannel-logout', async (c) => {
      // OpenID Connect Back-Channel Logout 1.0 §2.6: validate the logout token, then end the sessions of its sid.
      const form = await c.req.parseBody();
      const token = typeof form.logout_token === 'string' ? form.logout_token : '';
      try {
        const { payload } = await jwtVerify(token, jwks(), { issuer: publicUrl, audience: client.clientId, typ: 'logout+jwt', maxTokenAge: '5 minutes' });
        const events = payload.events as Record<string, unknown> | undefined;
        if (!events || typeof events[BACKCHANNEL_EVENT] !== 'object' || 'nonce' in payload || typeof payload.sid !== 'string') throw new Error('not a logout token');
        for (const session of sessions.values()) {
          if (session.claims.sid === payload.sid && !session.endedAt) session.endedAt = new Date();
        }
        c.header('Cache-Control', 'no-store');
        return c.body(null, 200);
      } catch {
        return c.json({ error: 'invalid_request', error_description: 'The logout token is not valid.' }, 400);
      }
    });
}
