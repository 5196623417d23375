/**
 * SP metadata and SP-initiated sign-in: the AuthnRequest ID is stored (short-lived, single use, bound
 * to the browser) before the browser goes to the IdP. Anyone can start one, so each company may store
 * only so many per minute (counted in the database, for every instance at once).
 */
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../crypto.js';
import { buildAuthnRequestPost, buildAuthnRequestRedirect, buildSpMetadata } from '../saml/index.js';
import type { AuthnRequestPost } from '../saml/index.js';
import { countHit } from '../store/rate-limits.js';
import { insertSamlRequest } from '../store/saml.js';
import type { ServiceDeps } from './deps.js';
import { companySpUrls, spIdentityFor } from './sp-keys.js';
import { resolveSamlRoute } from './saml-route.js';
import { maybeSweepExpired } from './sweep.js';

export const AUTHN_REQUEST_LIFETIME_MS = 10 * 60 * 1000;
/** SAML_LOGIN_RATE_LIMIT_PER_MINUTE when unset: AuthnRequests one company may store per minute. */
export const DEFAULT_SAML_LOGIN_RATE_LIMIT_PER_MINUTE = 300;
const RATE_WINDOW_MS = 60_000;

export type SpLoginStart =
  | { ok: true; binding: 'redirect'; location: string }
  | { ok: true; binding: 'post'; form: AuthnRequestPost }
  | { ok: false; reason: 'saml_not_configured' | 'unknown_company' | 'connection_disabled'; companyName: string | null; connectionName: string | null }
  | { ok: false; reason: 'rate_limited'; retryAfterSeconds: number };

/**
 * The SP metadata XML a route key names (a connection, or a company's first connection), or null when
 * it names nothing. A company without a connection yet publishes the metadata its first one will have.
 */
export async function spMetadataFor(deps: ServiceDeps, routeKey: string): Promise<string | null> {
  const target = await resolveSamlRoute(deps.db, routeKey);
  if (!target) return null;
  if (!target.connection) {
    const urls = companySpUrls(deps.publicUrl, target.company.id);
    return buildSpMetadata({ entityId: urls.entityId, acsUrl: urls.acsUrl, wantAssertionsSigned: true });
  }
  return buildSpMetadata({ ...spIdentityFor(deps, target.connection), wantAssertionsSigned: true, authnRequestsSigned: target.connection.signAuthnRequests });
}

/**
 * Stores an AuthnRequest that only the browser holding `browserBinding` (its cookie value; only the
 * SHA-256 is stored) may answer, and returns how the browser takes it to the IdP (the redirect, or the
 * form to post when the IdP offers only HTTP-POST); over the company's cap for the
 * current minute nothing is stored and the answer says when the window ends.
 */
export async function startSpInitiatedLogin(
  deps: ServiceDeps,
  routeKey: string,
  relayState: string | null,
  browserBinding: string,
): Promise<SpLoginStart> {
  const target = await resolveSamlRoute(deps.db, routeKey);
  if (!target) return { ok: false, reason: 'unknown_company', companyName: null, connectionName: null };
  const { company, connection } = target;
  if (!connection) return { ok: false, reason: 'saml_not_configured', companyName: company.name, connectionName: null };
  if (!connection.enabled) return { ok: false, reason: 'connection_disabled', companyName: company.name, connectionName: connection.name };
  const companyId = company.id;
  const now = deps.now();
  const cap = deps.samlLoginRateLimitPerMinute ?? DEFAULT_SAML_LOGIN_RATE_LIMIT_PER_MINUTE;
  const hit = await countHit(deps.db, `saml_login:${companyId}`, now, RATE_WINDOW_MS);
  if (hit.count > cap) {
    return { ok: false, reason: 'rate_limited', retryAfterSeconds: Math.max(1, Math.ceil((hit.resetAt.getTime() - now.getTime()) / 1000)) };
  }
  // xs:ID must be an NCName: a leading underscore, then 160 random bits in hex.
  const requestId = `_${randomBytes(20).toString('hex')}`;
  await insertSamlRequest(deps.db, {
    id: requestId,
    companyId,
    connectionId: connection.id,
    relayState,
    browserBinding: hashSecret(browserBinding),
    expiresAt: new Date(now.getTime() + AUTHN_REQUEST_LIFETIME_MS),
  });
  await maybeSweepExpired(deps, now);
  const sp = spIdentityFor(deps, connection);
  const sign =
    connection.signAuthnRequests && sp.signing
      ? { certificatePem: sp.signing.certificatePem, privateKeyPem: typeof sp.signing.privateKeyPem === 'string' ? sp.signing.privateKeyPem : sp.signing.privateKeyPem() }
      : undefined;
  const request = {
    sp,
    sign,
    idpSsoUrl: connection.ssoUrl,
    requestId,
    now,
    ...(relayState ? { relayState } : {}),
  };
  if (connection.ssoBinding === 'post') return { ok: true, binding: 'post', form: buildAuthnRequestPost(request) };
  return { ok: true, binding: 'redirect', location: buildAuthnRequestRedirect(request) };
}
