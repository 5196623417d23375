/** SP metadata and SP-initiated sign-in: the AuthnRequest ID is stored (short-lived, single use) before the browser goes to the IdP. */
import { randomBytes } from 'node:crypto';
import { buildAuthnRequestRedirect, buildSpMetadata } from '../saml/index.js';
import { findCompany } from '../store/companies.js';
import { findSamlConnection, insertSamlRequest } from '../store/saml.js';
import type { ServiceDeps } from './deps.js';
import { spIdentityFor } from './saml-connection.js';

export const AUTHN_REQUEST_LIFETIME_MS = 10 * 60 * 1000;

/** The company's SP metadata XML, or null for an unknown company. */
export async function spMetadataFor(deps: ServiceDeps, companyId: string): Promise<string | null> {
  const company = await findCompany(deps.db, companyId);
  if (!company) return null;
  const sp = spIdentityFor(deps, await findSamlConnection(deps.db, companyId), companyId);
  return buildSpMetadata({ ...sp, wantAssertionsSigned: true });
}

export async function startSpInitiatedLogin(
  deps: ServiceDeps,
  companyId: string,
  relayState: string | null,
): Promise<{ ok: true; location: string } | { ok: false; reason: 'saml_not_configured' | 'unknown_company'; companyName: string | null }> {
  const company = await findCompany(deps.db, companyId);
  if (!company) return { ok: false, reason: 'unknown_company', companyName: null };
  const connection = await findSamlConnection(deps.db, companyId);
  if (!connection) return { ok: false, reason: 'saml_not_configured', companyName: company.name };
  const now = deps.now();
  // xs:ID must be an NCName: a leading underscore, then 160 random bits in hex.
  const requestId = `_${randomBytes(20).toString('hex')}`;
  await insertSamlRequest(deps.db, {
    id: requestId,
    companyId,
    relayState,
    expiresAt: new Date(now.getTime() + AUTHN_REQUEST_LIFETIME_MS),
  });
  const location = buildAuthnRequestRedirect({
    sp: spIdentityFor(deps, connection, companyId),
    idpSsoUrl: connection.ssoUrl,
    requestId,
    now,
    ...(relayState ? { relayState } : {}),
  });
  return { ok: true, location };
}
