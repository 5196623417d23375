/** SCIM bearer tokens: per company, stored hashed, shown once, revocable. */
import { hashSecret, newId, newSecret, verifyPrefixedSecret } from '../crypto.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { ScimToken } from '../store/directory.js';
import { findActiveScimToken, insertScimToken, listScimTokens, revokeScimToken } from '../store/directory.js';
import type { ServiceDeps } from './deps.js';
import { NotFoundError } from './errors.js';

/** The routes present it; they never import the store. */
export type { ScimToken };

/** Where a company's IdP sends SCIM requests. */
export const scimBaseUrl = (publicUrl: string, companyId: string) => `${publicUrl}/scim/v2/${companyId}`;

export async function createScimToken(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  label: string | null,
): Promise<{ token: string; row: ScimToken; scimBaseUrl: string }> {
  const secret = newSecret();
  const id = newId('scim');
  const row = await deps.db.transaction(async (tx) => {
    const created = await insertScimToken(tx, { id, companyId, secretHash: hashSecret(secret), label });
    await recordAudit(tx, { companyId, actor, action: 'scim_token.created', targetType: 'scim_token', targetId: id, data: { label } });
    return created;
  });
  return { token: `${id}.${secret}`, row, scimBaseUrl: scimBaseUrl(deps.publicUrl, companyId) };
}

export async function listCompanyScimTokens(deps: ServiceDeps, companyId: string): Promise<ScimToken[]> {
  return listScimTokens(deps.db, companyId);
}

export async function revokeCompanyScimToken(deps: ServiceDeps, actor: Actor, companyId: string, tokenId: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    if (!(await revokeScimToken(tx, companyId, tokenId, deps.now()))) {
      throw new NotFoundError('scim_token_not_found', `No active SCIM token ${tokenId} in this company.`);
    }
    await recordAudit(tx, { companyId, actor, action: 'scim_token.revoked', targetType: 'scim_token', targetId: tokenId });
  });
}

/** The company a presented SCIM token belongs to, or null; the secret is compared in constant time. */
export async function authenticateScimToken(deps: ServiceDeps, presented: string): Promise<{ companyId: string; tokenId: string } | null> {
  const row = await verifyPrefixedSecret(presented, 'scim', (id) => findActiveScimToken(deps.db, id));
  return row ? { companyId: row.companyId, tokenId: row.id } : null;
}
