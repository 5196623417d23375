/** OpenID Connect test helpers over a Node test app: the application registered, openid-client and the browser pointed at it. */
import type * as oidc from 'openid-client';
import { asOperator } from './app.js';
import type { TestApp } from './app.js';
import { Browser as FetchBrowser, INITIATE_LOGIN_URI, POST_LOGOUT_URI, REDIRECT_URI, relyingPartyOver } from './oidc-browser.js';
import { PUBLIC_URL } from './saml.js';

export { APP_ORIGIN, INITIATE_LOGIN_URI, POST_LOGOUT_URI, REDIRECT_URI, startFlow } from './oidc-browser.js';

export interface TestApplication {
  id: string;
  clientId: string;
  clientSecret: string;
}

/** Registers an application through the operator API. */
export async function registerApplication(app: TestApp, extra: Record<string, unknown> = {}): Promise<TestApplication> {
  const res = await asOperator(app, 'POST', '/api/operator/applications', {
    body: {
      name: 'Dashboard',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [POST_LOGOUT_URI],
      initiateLoginUri: INITIATE_LOGIN_URI,
      ...extra,
    },
  });
  if (res.status !== 201) throw new Error(`application: ${res.status} ${res.text}`);
  return { id: res.json.id, clientId: res.json.clientId, clientSecret: res.json.clientSecret };
}

/** openid-client configured by discovery against the app. */
export function relyingParty(app: TestApp, client: { clientId: string; clientSecret: string }, method: 'basic' | 'post' = 'basic'): Promise<oidc.Configuration> {
  return relyingPartyOver(async (request) => app.fetch(request), PUBLIC_URL, client, method);
}

/** A browser talking to the app at PUBLIC_URL. */
export class Browser extends FetchBrowser {
  constructor(app: TestApp) {
    super(async (request) => app.fetch(request), PUBLIC_URL);
  }
}
