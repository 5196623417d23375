/** SCIM bearer tokens: per company, stored hashed, shown once, revocable. */
import { hashSecret, newId, newSecret, secretMatchesHash, verifyPrefixedSecret } from '../crypto.js';
import { ScimError } from '../scim/types.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { ScimToken } from '../store/directory.js';
import type { StoredToken, TokenCheck } from '../store/scim-user-statements.js';
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

/**
 * A presented SCIM token, checked by the statement that does the request's work instead of a query
 * of its own (src/store/scim-user-statements.ts): that statement reads the token row, does nothing
 * unless it is the right one, and returns it for acceptScimToken to decide on.
 */
export interface ScimCaller {
  readonly check: TokenCheck;
  readonly secret: string;
  /** Set once acceptScimToken decided; an error before that is answered as the token deserves (401/404) first. */
  settled: boolean;
}

const TOKEN_ID = /^scim_[0-9a-z]{16}$/;

/** The caller of a request to `companyId`'s SCIM base, or null for what is no SCIM token at all (as verifyPrefixedSecret refuses it). */
export function scimCaller(presented: string, companyId: string): ScimCaller | null {
  const dot = presented.indexOf('.');
  if (dot <= 0 || presented.length > 200) return null;
  const tokenId = presented.slice(0, dot);
  if (!TOKEN_ID.test(tokenId)) return null;
  const secret = presented.slice(dot + 1);
  return { check: { tokenId, secretHash: hashSecret(secret), companyId }, secret, settled: false };
}

export const tokenRequired = () => new ScimError(401, null, 'A valid SCIM bearer token is required');
// A token only ever reaches its own company's data; another company's base URL is "not found".
export const otherCompany = () => new ScimError(404, null, 'Not found');

/**
 * Decides on the token row a statement returned, comparing the secret in constant time (a missing row
 * costs the same): 401 for no such token or the wrong secret, 404 for another company's token.
 */
export function acceptScimToken(caller: ScimCaller, token: StoredToken): void {
  const matches = secretMatchesHash(caller.secret, token?.secretHash ?? '0'.repeat(64));
  caller.settled = true;
  if (!token || !matches) throw tokenRequired();
  if (token.companyId !== caller.check.companyId) throw otherCompany();
}

/** The classic check, in a query of its own: what a request to `companyId` with `presented` must be refused with, or null. */
export async function scimTokenFailure(deps: ServiceDeps, presented: string, companyId: string): Promise<ScimError | null> {
  const auth = await authenticateScimToken(deps, presented);
  if (!auth) return tokenRequired();
  return auth.companyId === companyId ? null : otherCompany();
}
