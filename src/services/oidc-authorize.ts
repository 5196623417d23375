/**
 * The authorization endpoint of the OpenID provider (OIDC Core 1.0 §3.1, RFC 6749 §4.1, RFC 7636):
 * an application sends the browser here; with a live bridge session for the company it gets a code at
 * once, else the request is stored and an SP-initiated SAML sign-in starts, which resumes it after the
 * ACS. The request lives in the database, bound to the browser by the SHA-256 of the same binding
 * cookie that binds the AuthnRequest; RelayState carries only its id.
 *
 * An OIDC request never provisions anyone: the SAML response it triggers answers our AuthnRequest, so
 * it is SP-initiated, and the JIT rules let SP-initiated sign-ins sign in existing users only.
 */
import { hashSecret, newId, newSecret, secretMatchesHash } from '../crypto.js';
import { normaliseEmail } from '../core/email.js';
import { recordAudit } from '../store/audit.js';
import { findCompany } from '../store/companies.js';
import { findApplication, findDefaultApplication } from '../store/oidc-applications.js';
import type { Application } from '../store/oidc-applications.js';
import { companiesForEmail, findPendingAuthorization, findPendingAuthorizationFor, insertAuthorization, insertCode, useAuthorization } from '../store/oidc.js';
import type { ServiceDeps } from './deps.js';
import type { SignedInUser } from './sessions.js';
import { AUTHN_REQUEST_LIFETIME_MS } from './sp-initiated.js';

/** Codes are valid this long (RFC 6749 §4.1.2 recommends at most 10 minutes; the issue asks ≤ 60 s). */
export const CODE_LIFETIME_MS = 60_000;
/** A stored authorization waits as long as the AuthnRequest it starts. */
export const AUTHORIZATION_LIFETIME_MS = AUTHN_REQUEST_LIFETIME_MS;
export const RESUME_PATH = '/oauth/authorize/resume';

/** The OAuth 2.0 error codes the authorization endpoint returns (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
export type AuthorizeErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'login_required'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'registration_not_supported';

export type AuthorizeOutcome =
  /** Before the client and redirect URI are known good: an HTML page, never a redirect. */
  | { kind: 'page'; status: 400 | 403; error: string; description: string }
  | { kind: 'redirect'; location: string }
  /** No usable session: start the company's SP-initiated SAML sign-in, coming back to `relayPath`. */
  | { kind: 'saml'; companyId: string; relayPath: string; redirectError: (error: AuthorizeErrorCode, description: string) => string };

/** A request whose client and redirect URI are validated; errors from here on go to the redirect URI. */
interface ValidRequest {
  application: Application;
  redirectUri: string;
  scope: string;
  state: string | null;
  nonce: string | null;
  codeChallenge: string;
  loginHint: string | null;
  organization: string | null;
  prompt: Set<string>;
  maxAgeSeconds: number | null;
}

const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const ORGANIZATION = /^cmp_[0-9a-z]{16}$/;
/** Parameters an application may echo back or send as hints: bounded, no control characters. */
const PRINTABLE = /^[^\u0000-\u001f\u007f]{1,512}$/;

/** `uri` with these query parameters set (null ones left out): every redirect back to an application. */
export function withParams(uri: string, params: Record<string, string | null>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
  return url.toString();
}

/** The error redirect of RFC 6749 §4.1.2.1, with RFC 9207's `iss`. */
export function errorRedirect(publicUrl: string, redirectUri: string, state: string | null, error: AuthorizeErrorCode, description: string): string {
  return withParams(redirectUri, { error, error_description: description, state, iss: publicUrl });
}

const page = (status: 400 | 403, error: string, description: string): AuthorizeOutcome => ({ kind: 'page', status, error, description });

function single(query: Record<string, string[]>, name: string): string | null | 'repeated' {
  const values = query[name];
  if (!values || values.length === 0) return null;
  // RFC 6749 §3.1: parameters must not be included more than once.
  return values.length > 1 ? 'repeated' : values[0]!;
}

/** Validates the client and redirect URI first (failures: a page), then every other parameter (failures: a redirect). */
async function validate(deps: ServiceDeps, query: Record<string, string[]>): Promise<{ ok: true; request: ValidRequest } | { ok: false; outcome: AuthorizeOutcome }> {
  const clientId = single(query, 'client_id');
  if (clientId === null || clientId === 'repeated') return { ok: false, outcome: page(400, 'invalid_request', 'The request has no client_id (or more than one).') };
  const application = await findApplication(deps.db, clientId);
  if (!application) return { ok: false, outcome: page(400, 'invalid_client', `No application has the client_id "${clientId.slice(0, 64)}".`) };
  const redirectUri = single(query, 'redirect_uri');
  if (redirectUri === null || redirectUri === 'repeated') {
    return { ok: false, outcome: page(400, 'invalid_request', 'The request has no redirect_uri (or more than one); it is required and must be registered exactly.') };
  }
  if (!application.redirectUris.includes(redirectUri)) {
    return { ok: false, outcome: page(400, 'invalid_redirect_uri', `The redirect_uri is not one registered for the application "${application.name}" (they are compared exactly).`) };
  }
  const state = single(query, 'state');
  const fail = (error: AuthorizeErrorCode, description: string) => ({
    ok: false as const,
    outcome: { kind: 'redirect' as const, location: errorRedirect(deps.publicUrl, redirectUri, state === 'repeated' ? null : state, error, description) },
  });
  const names = ['state', 'response_type', 'scope', 'nonce', 'code_challenge', 'code_challenge_method', 'login_hint', 'organization', 'prompt', 'max_age', 'response_mode'];
  for (const name of names) if (single(query, name) === 'repeated') return fail('invalid_request', `The parameter ${name} appears more than once.`);
  if (single(query, 'request') !== null) return fail('request_not_supported', 'Request objects (the request parameter) are not supported.');
  if (single(query, 'request_uri') !== null) return fail('request_uri_not_supported', 'The request_uri parameter is not supported.');
  if (single(query, 'registration') !== null) return fail('registration_not_supported', 'The registration parameter is not supported.');
  for (const name of ['state', 'nonce', 'login_hint']) {
    const value = single(query, name);
    if (value !== null && !PRINTABLE.test(value)) return fail('invalid_request', `The parameter ${name} must be 1 to 512 characters without control characters.`);
  }
  if (single(query, 'response_type') !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported (the authorization code flow).');
  const responseMode = single(query, 'response_mode');
  if (responseMode !== null && responseMode !== 'query') return fail('invalid_request', 'Only response_mode=query is supported.');
  const scope = (single(query, 'scope') ?? '') as string;
  const scopes = new Set(scope.split(' ').filter(Boolean));
  if (!scopes.has('openid')) return fail('invalid_scope', 'The scope must include openid.');
  const codeChallenge = single(query, 'code_challenge') as string | null;
  if (codeChallenge === null) return fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256.');
  if (single(query, 'code_challenge_method') !== 'S256') return fail('invalid_request', 'Only code_challenge_method=S256 is supported (plain is refused).');
  if (!PKCE_CHALLENGE.test(codeChallenge)) return fail('invalid_request', 'The code_challenge must be the base64url SHA-256 of the verifier (43 characters).');
  const organization = single(query, 'organization') as string | null;
  if (organization !== null && !ORGANIZATION.test(organization)) return fail('invalid_request', 'organization must be a company id (cmp_…).');
  const prompt = new Set(((single(query, 'prompt') as string | null) ?? '').split(' ').filter(Boolean));
  for (const value of prompt) {
    if (!['none', 'login', 'consent', 'select_account'].includes(value)) return fail('invalid_request', `Unknown prompt value "${value.slice(0, 32)}".`);
  }
  if (prompt.has('none') && prompt.size > 1) return fail('invalid_request', 'prompt=none cannot be combined with other values.');
  const maxAge = single(query, 'max_age') as string | null;
  if (maxAge !== null && !/^\d{1,9}$/.test(maxAge)) return fail('invalid_request', 'max_age must be a number of seconds.');
  const kept = ['openid', 'email', 'profile'].filter((s) => scopes.has(s)).join(' ');
  return {
    ok: true,
    request: {
      application,
      redirectUri,
      scope: kept,
      state: state as string | null,
      nonce: single(query, 'nonce') as string | null,
      codeChallenge,
      loginHint: single(query, 'login_hint') as string | null,
      organization,
      prompt,
      maxAgeSeconds: maxAge === null ? null : Number(maxAge),
    },
  };
}

type CompanyChoice = { ok: true; companyId: string } | { ok: false; error: AuthorizeErrorCode; description: string };

/** The company: `organization` if given, else the signed-in person's when the hint is theirs or absent, else the one the hint's domain names. */
async function chooseCompany(deps: ServiceDeps, request: ValidRequest, signedIn: SignedInUser | null): Promise<CompanyChoice> {
  if (request.organization !== null) {
    const company = await findCompany(deps.db, request.organization);
    return company ? { ok: true, companyId: company.id } : { ok: false, error: 'invalid_request', description: 'No company has the id given as organization.' };
  }
  const hint = request.loginHint === null ? null : normaliseEmail(request.loginHint);
  if (signedIn && (hint === null || hint.normalised === signedIn.user.emailNormalized)) return { ok: true, companyId: signedIn.company.id };
  if (hint === null) {
    return {
      ok: false,
      error: 'invalid_request',
      description: request.loginHint === null ? 'Say which company signs the person in: organization=<company id> or login_hint=<email>.' : 'login_hint is not a usable email address.',
    };
  }
  const candidates = await companiesForEmail(deps.db, hint.normalised, hint.domain);
  if (candidates.length === 1) return { ok: true, companyId: candidates[0]! };
  if (candidates.length === 0) return { ok: false, error: 'access_denied', description: `No company signs in addresses at ${hint.domain}; pass organization=<company id>.` };
  return { ok: false, error: 'invalid_request', description: `Several companies use ${hint.domain}: pass organization=<company id>.` };
}

/** Issues a code for a validated request and a live session; the redirect that carries it. */
async function issueCode(
  deps: ServiceDeps,
  request: Pick<ValidRequest, 'redirectUri' | 'scope' | 'state' | 'nonce' | 'codeChallenge'> & { applicationId: string },
  signedIn: SignedInUser,
): Promise<string> {
  const now = deps.now();
  const code = newSecret();
  await deps.db.transaction(async (tx) => {
    await insertCode(tx, {
      codeHash: hashSecret(code),
      applicationId: request.applicationId,
      sessionId: signedIn.session.id,
      companyId: signedIn.company.id,
      userId: signedIn.user.id,
      redirectUri: request.redirectUri,
      scope: request.scope,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      expiresAt: new Date(now.getTime() + CODE_LIFETIME_MS),
    });
    await recordAudit(tx, {
      companyId: signedIn.company.id,
      actor: { type: 'user', id: signedIn.user.id },
      action: 'oidc.authorized',
      targetType: 'oidc_application',
      targetId: request.applicationId,
      data: { sessionId: signedIn.session.id, scope: request.scope, redirectUri: request.redirectUri },
    });
  });
  return withParams(request.redirectUri, { code, state: request.state, iss: deps.publicUrl });
}

function sessionIsFreshEnough(signedIn: SignedInUser, request: ValidRequest, now: Date): boolean {
  if (request.prompt.has('login')) return false;
  if (request.maxAgeSeconds === null) return true;
  return now.getTime() - signedIn.session.createdAt.getTime() <= request.maxAgeSeconds * 1000;
}

/**
 * GET /oauth/authorize. `signedIn` is the browser's live session (or null); `browserBinding` the value
 * of its binding cookie, which the route sets when the answer is to start a SAML sign-in.
 */
export async function authorize(deps: ServiceDeps, query: Record<string, string[]>, signedIn: SignedInUser | null, browserBinding: string): Promise<AuthorizeOutcome> {
  const validated = await validate(deps, query);
  if (!validated.ok) return validated.outcome;
  const { request } = validated;
  const redirectError = (error: AuthorizeErrorCode, description: string) => errorRedirect(deps.publicUrl, request.redirectUri, request.state, error, description);
  const chosen = await chooseCompany(deps, request, signedIn);
  if (!chosen.ok) return { kind: 'redirect', location: redirectError(chosen.error, chosen.description) };
  const now = deps.now();
  if (signedIn && signedIn.company.id !== chosen.companyId) {
    // Never a code for one company from another company's session; signing out first is the person's choice.
    return { kind: 'redirect', location: redirectError('access_denied', 'This browser is signed in to another company; sign out first, then try again.') };
  }
  if (signedIn && sessionIsFreshEnough(signedIn, request, now)) {
    return { kind: 'redirect', location: await issueCode(deps, { ...request, applicationId: request.application.id }, signedIn) };
  }
  if (request.prompt.has('none')) return { kind: 'redirect', location: redirectError('login_required', 'The person is not signed in to the bridge.') };
  const stored = await insertAuthorization(deps.db, {
    id: newId('az'),
    applicationId: request.application.id,
    companyId: chosen.companyId,
    redirectUri: request.redirectUri,
    scope: request.scope,
    state: request.state,
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    loginHint: request.loginHint,
    browserBinding: hashSecret(browserBinding),
    expiresAt: new Date(now.getTime() + AUTHORIZATION_LIFETIME_MS),
  });
  return { kind: 'saml', companyId: chosen.companyId, relayPath: `${RESUME_PATH}?authorization=${stored.id}`, redirectError };
}

/**
 * GET /oauth/authorize/resume?authorization=…: where the ACS sends the browser after the SAML sign-in
 * an authorization started. Only the browser that made the request may resume it, once.
 */
export async function resumeAuthorization(deps: ServiceDeps, authorizationId: string, browserBinding: string | null, signedIn: SignedInUser | null): Promise<AuthorizeOutcome> {
  const now = deps.now();
  const pending = await findPendingAuthorization(deps.db, authorizationId, now);
  if (!pending) return page(400, 'authorization_expired', 'This sign-in request was already used or has expired. Go back to the application and sign in again.');
  if (browserBinding === null || !secretMatchesHash(browserBinding, pending.browserBinding)) {
    return page(403, 'authorization_other_browser', 'This sign-in request was started in another browser. Go back to the application and sign in again.');
  }
  const application = await findApplication(deps.db, pending.applicationId);
  if (!application || !application.redirectUris.includes(pending.redirectUri)) {
    return page(400, 'invalid_redirect_uri', 'The application or its redirect URI was removed while signing in.');
  }
  if (!(await useAuthorization(deps.db, pending.id, now))) return page(400, 'authorization_expired', 'This sign-in request was already used.');
  if (!signedIn || signedIn.company.id !== pending.companyId) {
    return { kind: 'redirect', location: errorRedirect(deps.publicUrl, pending.redirectUri, pending.state, 'access_denied', 'The SAML sign-in did not complete for this company.') };
  }
  return { kind: 'redirect', location: await issueCode(deps, { ...pending, applicationId: pending.applicationId }, signedIn) };
}

/**
 * Where an IdP-initiated sign-in goes when its RelayState names no page of ours: back into an
 * authorization this browser has pending for the company (the IdP answered without InResponseTo), else
 * to the default application's initiate-login URI (OIDC Core §4, third-party-initiated login), else null.
 */
export async function idpInitiatedHandOff(
  deps: ServiceDeps,
  signedIn: { companyId: string; email: string; relayState: string | null; browserBinding: string | null },
): Promise<string | null> {
  if (signedIn.browserBinding !== null) {
    const pending = await findPendingAuthorizationFor(deps.db, signedIn.companyId, hashSecret(signedIn.browserBinding), deps.now());
    if (pending) return `${RESUME_PATH}?authorization=${pending.id}`;
  }
  const application = await findDefaultApplication(deps.db);
  if (!application?.initiateLoginUri) return null;
  return withParams(application.initiateLoginUri, {
    iss: deps.publicUrl,
    login_hint: signedIn.email,
    target_link_uri: targetLinkFor(application, signedIn.relayState),
  });
}

/** The RelayState when it is a URL on one of the application's own origins, else the initiate-login URI's origin. */
function targetLinkFor(application: Application, relayState: string | null): string {
  const origins = new Set([application.initiateLoginUri!, ...application.redirectUris].map((u) => new URL(u).origin));
  if (relayState && relayState.length <= 2000 && !/[\u0000-\u001f\u007f\\]/.test(relayState)) {
    try {
      const url = new URL(relayState);
      if (origins.has(url.origin)) return url.toString();
    } catch {
      // not a URL: ignored
    }
  }
  return `${new URL(application.initiateLoginUri!).origin}/`;
}
