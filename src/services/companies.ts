/** Operator use cases: companies and their admin API keys. */
import { hashSecret, newId, newSecret, verifyPrefixedSecret } from '../crypto.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import { findActiveApiKey, insertApiKey, listApiKeys, revokeApiKey } from '../store/access.js';
import type { ApiKey } from '../store/access.js';
import type { Company } from '../store/companies.js';
import { findCompany, insertCompany, listCompanies } from '../store/companies.js';
import type { ServiceDeps } from './deps.js';
import { NotFoundError } from './errors.js';

export async function createCompany(deps: ServiceDeps, actor: Actor, name: string): Promise<Company> {
  return deps.db.transaction(async (tx) => {
    const company = await insertCompany(tx, { id: newId('cmp'), name });
    await recordAudit(tx, {
      companyId: company.id,
      actor,
      action: 'company.created',
      targetType: 'company',
      targetId: company.id,
      data: { name },
    });
    return company;
  });
}

export { listCompanies };

/** The company, or NotFoundError. */
export async function requireCompany(deps: ServiceDeps, companyId: string): Promise<Company> {
  const company = await findCompany(deps.db, companyId);
  if (!company) throw new NotFoundError('company_not_found', `No company ${companyId}.`);
  return company;
}

/** Creates an admin API key; the returned `key` is the only time the secret exists outside the caller. */
export async function createApiKey(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  label: string | null,
): Promise<{ key: string; apiKey: ApiKey }> {
  await requireCompany(deps, companyId);
  const secret = newSecret();
  const id = newId('key');
  const apiKey = await deps.db.transaction(async (tx) => {
    const row = await insertApiKey(tx, { id, companyId, secretHash: hashSecret(secret), label });
    await recordAudit(tx, { companyId, actor, action: 'api_key.created', targetType: 'api_key', targetId: id, data: { label } });
    return row;
  });
  // base64url never contains '.', so the first '.' separates the key id from the secret.
  return { key: `${id}.${secret}`, apiKey };
}

export async function listCompanyApiKeys(deps: ServiceDeps, companyId: string): Promise<ApiKey[]> {
  await requireCompany(deps, companyId);
  return listApiKeys(deps.db, companyId);
}

export async function revokeCompanyApiKey(deps: ServiceDeps, actor: Actor, companyId: string, keyId: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const revoked = await revokeApiKey(tx, companyId, keyId, deps.now());
    if (!revoked) throw new NotFoundError('api_key_not_found', `No active API key ${keyId} in this company.`);
    await recordAudit(tx, { companyId, actor, action: 'api_key.revoked', targetType: 'api_key', targetId: keyId });
  });
}

/** Resolves a presented admin API key to its company, or null. The secret is compared in constant time. */
export async function authenticateApiKey(
  deps: ServiceDeps,
  presented: string,
): Promise<{ companyId: string; keyId: string } | null> {
  const row = await verifyPrefixedSecret(presented, 'key', (id) => findActiveApiKey(deps.db, id));
  return row ? { companyId: row.companyId, keyId: row.id } : null;
}
