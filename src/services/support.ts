/** Support (operator) use cases: domain exceptions and impersonation accounts. */
import { normaliseDomain } from '../core/email.js';
import { newId } from '../crypto.js';
import type { DomainException } from '../store/access.js';
import { deleteDomainException, insertDomainException, listDomainExceptions } from '../store/access.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import { isUniqueViolation } from '../store/errors.js';
import type { User } from '../store/users.js';
import { insertUser } from '../store/users.js';
import { requireCompany } from './companies.js';
import type { ServiceDeps } from './deps.js';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';
import { requireEmail } from './users.js';

export function requireDomain(input: string): string {
  const domain = normaliseDomain(input);
  if (!domain) throw new InvalidInputError('invalid_domain', `"${input}" is not a valid domain name.`);
  return domain;
}

export async function grantDomainException(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  input: { domain: string; reason: string; grantedBy: string },
): Promise<DomainException> {
  const domain = requireDomain(input.domain);
  await requireCompany(deps, companyId);
  try {
    return await deps.db.transaction(async (tx) => {
      const row = await insertDomainException(tx, {
        id: newId('exc'),
        companyId,
        domain,
        reason: input.reason,
        grantedBy: input.grantedBy,
      });
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'domain_exception.granted',
        targetType: 'domain',
        targetId: domain,
        reason: input.reason,
        data: { domain, grantedBy: input.grantedBy, reason: input.reason },
      });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'domain_exceptions_company_domain_key')) {
      throw new ConflictError('domain_exception_exists', `This company already has an exception for ${domain}.`);
    }
    throw error;
  }
}

export async function listCompanyDomainExceptions(deps: ServiceDeps, companyId: string): Promise<DomainException[]> {
  await requireCompany(deps, companyId);
  return listDomainExceptions(deps.db, companyId);
}

export async function revokeDomainException(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  domainInput: string,
): Promise<void> {
  const domain = requireDomain(domainInput);
  await deps.db.transaction(async (tx) => {
    const removed = await deleteDomainException(tx, companyId, domain);
    if (!removed) throw new NotFoundError('domain_exception_not_found', `This company has no exception for ${domain}.`);
    await recordAudit(tx, {
      companyId,
      actor,
      action: 'domain_exception.revoked',
      targetType: 'domain',
      targetId: domain,
      data: { domain, grantedBy: removed.grantedBy, grantedAt: removed.createdAt.toISOString(), reason: removed.reason },
    });
  });
}

/**
 * Creates a support impersonation account. It is active so support can act as it, but it never
 * counts as a confirmed user for the JIT domain rule.
 */
export async function createImpersonationAccount(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  emailInput: string,
): Promise<User> {
  const email = requireEmail(emailInput);
  await requireCompany(deps, companyId);
  const now = deps.now();
  try {
    return await deps.db.transaction(async (tx) => {
      const user = await insertUser(tx, {
        id: newId('usr'),
        companyId,
        email: email.original,
        emailNormalized: email.normalised,
        emailDomain: email.domain,
        status: 'active',
        confirmedAt: now,
        confirmedVia: 'operator',
        isImpersonation: true,
        provisionedBy: 'impersonation',
      });
      await recordAudit(tx, {
        companyId,
        actor,
        action: 'impersonation.created',
        targetType: 'user',
        targetId: user.id,
        data: { email: email.normalised },
      });
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_company_email_key')) {
      throw new ConflictError('user_exists', `A user with the email ${email.normalised} already exists in this company.`);
    }
    throw error;
  }
}
