/**
 * The seed's domain rule, as one predicate over a user row: which users make their email domain
 * eligible for just-in-time provisioning.
 */

/** A dashboard user's lifecycle state. */
export type UserStatus = 'invited' | 'active' | 'suspended' | 'deprovisioned';

/** The columns of a user row that the domain rule reads. */
export interface DomainRuleUser {
  status: UserStatus;
  /** When the person activated the account (accepted the invitation, or the IdP vouched at JIT); null while only invited. */
  confirmedAt: Date | null;
  /** A support impersonation account: never makes a domain eligible. */
  isImpersonation: boolean;
  /** The ASCII lower-case domain stored with the user, i.e. `normaliseEmail(email).domain`. */
  emailDomain: string;
}

/**
 * True when this user makes `domain` eligible for JIT: a confirmed, active, non-impersonation
 * user of the company whose email domain is exactly `domain` (a subdomain is another domain).
 *
 * The store must express the same predicate in SQL, scoped to the company:
 * `status = 'active' AND confirmed_at IS NOT NULL AND NOT is_impersonation AND email_domain = $domain`.
 * Both sides compare already-normalised domains (`normaliseDomain` / `normaliseEmail(...).domain`:
 * ASCII, punycode, lower case, no trailing dot), so equality is exact here as in SQL; callers
 * normalise `domain` before calling, and the store writes `email_domain` normalised.
 */
export function countsForDomainRule(user: DomainRuleUser, domain: string): boolean {
  return user.status === 'active' && user.confirmedAt !== null && !user.isImpersonation && user.emailDomain === domain;
}
