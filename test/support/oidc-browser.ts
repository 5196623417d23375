/**
 * OpenID Connect tests drive the provider with a real relying-party library (openid-client) whose
 * requests go straight to the app under test (its customFetch hook), and a tiny browser: a cookie jar
 * that follows the redirects of the bridge's own origin, as a browser would. Nothing here imports Node:
 * the Workers suite uses it inside workerd too.
 */
import * as oidc from 'openid-client';

export const APP_ORIGIN = 'https://dashboard.test';
export const REDIRECT_URI = `${APP_ORIGIN}/auth/callback`;
export const INITIATE_LOGIN_URI = `${APP_ORIGIN}/auth/start`;
export const POST_LOGOUT_URI = `${APP_ORIGIN}/signed-out`;

/** The app under test as a fetch function (app.fetch on Node, the Worker's fetch handler in workerd). */
export type AppFetch = (request: Request) => Promise<Response>;

/** openid-client's fetch, into the app. */
export function fetchInto(fetch: AppFetch): oidc.CustomFetch {
  return async (url, options) =>
    fetch(new Request(url, { method: options.method, headers: options.headers as HeadersInit, body: options.body as BodyInit | null, redirect: 'manual' }));
}

/** The relying party's configuration, by discovery of `issuer`, as an application would set it up. */
export async function relyingPartyOver(
  fetch: AppFetch,
  issuer: string,
  client: { clientId: string; clientSecret: string },
  method: 'basic' | 'post' = 'basic',
): Promise<oidc.Configuration> {
  const auth = method === 'basic' ? oidc.ClientSecretBasic(client.clientSecret) : oidc.ClientSecretPost(client.clientSecret);
  return oidc.discovery(new URL(issuer), client.clientId, undefined, auth, { [oidc.customFetch]: fetchInto(fetch) });
}

/** One authorization request's secrets, as the application keeps them between redirect and callback. */
export async function startFlow(config: oidc.Configuration, params: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

/** A browser: cookies by name (the bridge's origin only), GETs and form posts through the app. */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly fetch: AppFetch,
    private readonly origin: string,
  ) {}

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request to the bridge (absolute URL on PUBLIC_URL, or a path). */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url, this.origin);
    if (target.origin !== this.origin) throw new Error(`the browser only talks to the bridge here, not ${target.origin}`);
    const headers: Record<string, string> = { Cookie: this.header(), 'Sec-Fetch-Site': 'same-origin' };
    let body: string | undefined;
    if (init.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers.Origin = this.origin;
      body = new URLSearchParams(init.form).toString();
    }
    const res = await this.fetch(new Request(target, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, redirect: 'manual', ...(body ? { body } : {}) }));
    this.remember(res);
    return res;
  }

  /** GETs `url` and follows redirects while they stay on the bridge; the first response that leaves it (or is not a redirect). */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ res: Response; location: string | null }> {
    let res = await this.request(url, init);
    for (let hops = 0; hops < 10; hops++) {
      const location = res.headers.get('Location');
      if (res.status < 300 || res.status >= 400 || !location) return { res, location: null };
      const next = new URL(location, this.origin);
      if (next.origin !== this.origin) return { res, location: next.toString() };
      res = await this.request(next.toString());
    }
    throw new Error('too many redirects');
  }
}
