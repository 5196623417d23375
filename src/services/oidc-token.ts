/**
 * The token and userinfo endpoints (OIDC Core 1.0 §3.1.3 and §5.3, RFC 6749 §4.1.3, RFC 7636 §4.6):
 * a code is redeemed once, by the client it was issued to, with the redirect URI and the PKCE verifier
 * of its request, within 60 seconds, while the session it came from is still live. A second use of a
 * code revokes the access tokens the first one issued (RFC 6749 §4.1.2). The id_token is signed by
 * jose with the provider's active key.
 */
import { createHash } from 'node:crypto';
import { hashSecret, newSecret } from '../crypto.js';
import { recordAudit } from '../store/audit.js';
import { listPermissionSets } from '../store/companies.js';
import type { Executor } from '../store/db.js';
import { authenticateApplication } from '../store/oidc-applications.js';
import type { Application } from '../store/oidc-applications.js';
import { findLiveAccessToken, insertAccessToken, redeemCode, revokeTokensOfCode } from '../store/oidc.js';
import { rememberSessionApplication } from '../store/backchannel.js';
import { findLiveSessionById } from '../store/sessions.js';
import { membershipsOf } from '../store/users.js';
import type { User } from '../store/users.js';
import type { ServiceDeps } from './deps.js';
import { ID_TOKEN_LIFETIME_SECONDS, signJwt } from './oidc-keys.js';
import { isAccountsFirstSession } from './sessions.js';

export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export type TokenError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  id_token: string;
  scope: string;
}

export type TokenOutcome = { ok: true; body: TokenResponse } | { ok: false; status: 400 | 401; error: TokenError; description: string };

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

const fail = (status: 400 | 401, error: TokenError, description: string): TokenOutcome => ({ ok: false, status, error, description });

/** The claims about the person: `sub`, the company and memberships always, email and name by scope. */
export async function claimsFor(db: Executor, user: User, scope: string): Promise<Record<string, unknown>> {
  const scopes = new Set(scope.split(' '));
  const [memberships, sets] = await Promise.all([membershipsOf(db, user.companyId, [user.id]), listPermissionSets(db, user.companyId)]);
  const permissionsOf = new Map(sets.map((s) => [s.id, s.permissions]));
  return {
    sub: user.id,
    ...(scopes.has('email') ? { email: user.email, email_verified: user.confirmedAt !== null } : {}),
    ...(scopes.has('profile')
      ? { given_name: user.firstName ?? undefined, family_name: user.lastName ?? undefined, name: [user.firstName, user.lastName].filter(Boolean).join(' ') || undefined }
      : {}),
    company_id: user.companyId,
    memberships: memberships.map((m) => ({ workspace_id: m.workspaceId, permission_set_id: m.permissionSetId, permissions: permissionsOf.get(m.permissionSetId) ?? [] })),
  };
}

/** The session a code or token came from, with its user, while both are still good. */
async function liveSession(db: Executor, sessionId: string, now: Date) {
  const row = await findLiveSessionById(db, sessionId, now);
  return row && row.user.status === 'active' ? row : null;
}

function pkceMatches(verifier: string, challenge: string): boolean {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url') === challenge;
}

/** POST /oauth/token with grant_type=authorization_code. */
export async function exchangeCode(deps: ServiceDeps, client: ClientCredentials | null, form: Record<string, string>): Promise<TokenOutcome> {
  if (form.grant_type !== 'authorization_code') {
    return form.grant_type === undefined
      ? fail(400, 'invalid_request', 'grant_type is required.')
      : fail(400, 'unsupported_grant_type', 'Only grant_type=authorization_code is supported.');
  }
  if (client === null) return fail(401, 'invalid_client', 'Client authentication is required (client_secret_basic or client_secret_post).');
  const application = await authenticateApplication(deps.db, client.clientId, client.clientSecret);
  if (!application) return fail(401, 'invalid_client', 'Unknown client or wrong client secret.');
  const { code, redirect_uri: redirectUri, code_verifier: verifier } = form;
  if (!code || code.length > 100) return fail(400, 'invalid_request', 'code is required.');
  if (!redirectUri) return fail(400, 'invalid_request', 'redirect_uri is required (the one of the authorization request).');
  if (!verifier) return fail(400, 'invalid_request', 'code_verifier is required (PKCE).');
  const now = deps.now();
  const codeHash = hashSecret(code);
  const redeemed = await redeemCode(deps.db, codeHash, now);
  if (redeemed === null) return fail(400, 'invalid_grant', 'The code is unknown, or expired and removed.');
  if ('reused' in redeemed) return refuseReuse(deps, application, redeemed.reused, now);
  const stored = redeemed.code;
  if (stored.applicationId !== application.id) return fail(400, 'invalid_grant', 'The code was issued to another client.');
  if (stored.expiresAt.getTime() <= now.getTime()) return fail(400, 'invalid_grant', 'The code has expired (codes are valid for 60 seconds).');
  if (stored.redirectUri !== redirectUri) return fail(400, 'invalid_grant', 'redirect_uri differs from the one of the authorization request.');
  if (!PKCE_VERIFIER.test(verifier) || !pkceMatches(verifier, stored.codeChallenge)) return fail(400, 'invalid_grant', 'The code_verifier does not match the code_challenge.');
  const live = await liveSession(deps.db, stored.sessionId, now);
  if (!live) return fail(400, 'invalid_grant', 'The session the code came from has ended, or the account is locked.');

  const accessToken = newSecret();
  const iat = Math.floor(now.getTime() / 1000);
  const expiresIn = Math.min(ACCESS_TOKEN_LIFETIME_SECONDS, Math.floor((live.session.expiresAt.getTime() - now.getTime()) / 1000));
  const claims = await claimsFor(deps.db, live.user, stored.scope);
  const idToken = await signJwt(deps, {
    ...claims,
    iss: deps.publicUrl,
    aud: application.id,
    iat,
    exp: iat + ID_TOKEN_LIFETIME_SECONDS,
    auth_time: Math.floor(live.session.createdAt.getTime() / 1000),
    ...(stored.nonce !== null ? { nonce: stored.nonce } : {}),
    amr: ['saml'],
    sid: live.session.id,
    // The sign-in that created the account by JIT: the application may set up what a new person needs.
    ...(isAccountsFirstSession(live) ? { jit_provisioned: true } : {}),
  });
  await deps.db.transaction(async (tx) => {
    await insertAccessToken(tx, {
      tokenHash: hashSecret(accessToken),
      codeHash,
      applicationId: application.id,
      sessionId: live.session.id,
      companyId: live.session.companyId,
      userId: live.user.id,
      scope: stored.scope,
      expiresAt: new Date(now.getTime() + expiresIn * 1000),
    });
    // Back-channel logout notifies exactly the applications that received tokens for a session.
    await rememberSessionApplication(tx, live.session.id, application.id);
  });
  return { ok: true, body: { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, id_token: idToken, scope: stored.scope } };
}

async function refuseReuse(deps: ServiceDeps, application: Application, code: { codeHash: string; companyId: string; userId: string; applicationId: string }, now: Date): Promise<TokenOutcome> {
  await deps.db.transaction(async (tx) => {
    const revoked = await revokeTokensOfCode(tx, code.codeHash, now);
    await recordAudit(tx, {
      companyId: code.companyId,
      actor: { type: 'system', id: application.id },
      action: 'oidc.code_reused',
      targetType: 'user',
      targetId: code.userId,
      data: { applicationId: code.applicationId, presentedBy: application.id, revokedAccessTokens: revoked },
    });
  });
  return fail(400, 'invalid_grant', 'The code was already used; the tokens issued for it are revoked.');
}

export type UserInfoOutcome = { ok: true; claims: Record<string, unknown> } | { ok: false; error: 'invalid_token'; description: string };

/** GET /oauth/userinfo: the claims for a live access token whose session is still live. */
export async function userInfo(deps: ServiceDeps, accessToken: string): Promise<UserInfoOutcome> {
  const bad = (description: string): UserInfoOutcome => ({ ok: false, error: 'invalid_token', description });
  if (!/^[A-Za-z0-9_-]{43}$/.test(accessToken)) return bad('The access token is malformed.');
  const now = deps.now();
  const token = await findLiveAccessToken(deps.db, hashSecret(accessToken), now);
  if (!token) return bad('The access token is unknown, expired or revoked.');
  const live = await liveSession(deps.db, token.sessionId, now);
  if (!live) return bad('The session behind the access token has ended.');
  return { ok: true, claims: await claimsFor(deps.db, live.user, token.scope) };
}
