/**
 * The just-in-time (JIT) provisioning rules as one pure decision: given the company's settings, the
 * verified identity, the flow and the facts the services looked up, decide whether the person signs
 * in, gets an account, or is refused with a named reason, and say every check that led there.
 *
 * Order of checks (each decision lists all of them, in this order; those not reached are skipped):
 *  1. saml_configured       SAML SSO set up for the company            else saml_not_configured
 *  2. email_present         the verified identity carries an email     else email_missing
 *  3. email_valid           it normalises by the rule of email.ts      else email_invalid, email_invisible_character
 *                           (NFC, case, IDN to punycode)                   or email_ambiguous_character
 *  4. existing_account      lookup by normalised email (never fails)
 *  5. not_impersonation     an impersonation account never uses SAML   else impersonation_account
 *  6. account_status        invited / active sign in                   else user_suspended / user_deprovisioned
 *                           and the directory record is not inactive   else directory_user_inactive
 *                           or deleted (see "The directory" below)     else directory_user_deleted
 *     -- an existing account stops here: it signs in whatever the JIT settings; 7-12 are skipped --
 *  7. jit_enabled           Automatic user provisioning is on          else jit_disabled
 *  8. jit_defaults          default workspace and permission set set   else jit_misconfigured
 *  9. directory_available   when directory membership is required     else directory_unavailable (fail closed)
 * 10. domain_eligible       confirmed user with the domain, or exception else domain_not_eligible
 * 11. directory_membership  no inactive or deleted directory record   else directory_user_inactive / directory_user_deleted
 *                           and, when required, listed                 else not_in_directory
 * 12. idp_initiated         only IdP-initiated logins create accounts  else sp_initiated
 *
 * The directory: a directory record that says inactive, or a tombstone of a person the IdP deleted,
 * refuses whatever `requireDirectoryMembership` says (an assertion issued before the change must not
 * outlive it); the switch only decides whether *absence* from the directory refuses.
 *
 * Why this order: the company's own configuration first (an admin must fix it), then whether this
 * person may have an account at all, and the flow last: `sp_initiated` is the only refusal the person
 * can fix alone ("open the app from your IdP portal"), so it is reported only when following that
 * advice would succeed.
 */
import type { NormalisedEmail } from './email.js';
import { parseEmail, visibleAddress } from './email.js';
import type { EmailParse, EmailProblem } from './email.js';
import type { JitCheck, JitCheckName } from './jit-checks.js';
import { JitCheckLog } from './jit-checks.js';
import type { UserStatus } from './jit-domain.js';
import type { JitRefusalReason } from './reasons.js';

export type { JitCheck, JitCheckName, JitCheckOutcome } from './jit-checks.js';
export { JIT_CHECKS } from './jit-checks.js';
export type { DomainRuleUser, UserStatus } from './jit-domain.js';
export { countsForDomainRule } from './jit-domain.js';

/** How the SAML login started: from the IdP portal, or as the answer to our AuthnRequest (`InResponseTo`). */
export type Flow = 'idp_initiated' | 'sp_initiated';

/** The company's Security settings for Automatic user provisioning. */
export interface JitSettings {
  enabled: boolean;
  defaultWorkspaceId: string | null;
  defaultPermissionSetId: string | null;
  requireDirectoryMembership: boolean;
}

/** The support exception that makes a domain eligible, when one is granted (not revoked) for the email's domain. */
export interface DomainException {
  grantedBy: string;
  reason: string;
  grantedAt: Date;
}

/** What the services looked up for this company and this normalised email; the rules do no I/O. */
export interface JitFacts {
  samlConfigured: boolean;
  /** The company's user with this normalised email, if any. */
  existingUser: { id: string; status: UserStatus; isImpersonation: boolean } | null;
  /** Some user of the company counts for the domain rule (see `countsForDomainRule`) with exactly the email's domain. */
  domainHasConfirmedUser: boolean;
  domainException: DomainException | null;
  /**
   * The synced directory, or null when no directory facts were supplied. `entry` is the person,
   * matched on email / userName / externalId; `deleted` is true when no entry matches but the IdP
   * deleted a person who did (a tombstone).
   */
  directory: { syncEnabled: boolean; entry: { active: boolean } | null; deleted?: boolean } | null;
}

export interface JitInput {
  settings: JitSettings;
  flow: Flow;
  /** The email from the verified assertion, as sent (it is normalised here, unless `parsedEmail` is given). */
  email: string | null;
  /** `parseEmail(email)` when the caller already made it (the ACS parses the email once per sign-in). */
  parsedEmail?: EmailParse | undefined;
  facts: JitFacts;
}

/** Which fact made the domain eligible. */
export type DomainEligibility = 'confirmed_user' | 'support_exception';

export type JitDecision =
  | { kind: 'sign_in'; userId: string; email: NormalisedEmail; confirmInvitation: boolean; checks: JitCheck[] }
  | {
      kind: 'provision';
      email: NormalisedEmail;
      workspaceId: string;
      permissionSetId: string;
      eligibleThrough: DomainEligibility;
      checks: JitCheck[];
    }
  | { kind: 'refuse'; reason: JitRefusalReason; email: NormalisedEmail | null; checks: JitCheck[] };

/** The three-field answer of the explain API, derived from a decision. */
export interface JitDecisionSummary {
  decision: JitDecision['kind'];
  reason: JitRefusalReason | null;
  checks: JitCheck[];
}

/** The refusal reason for each way an email address can fail the rule of email.ts. */
const EMAIL_REFUSALS: Record<EmailProblem, JitRefusalReason> = {
  invalid: 'email_invalid',
  invisible_character: 'email_invisible_character',
  ambiguous_character: 'email_ambiguous_character',
};

const EXISTING_ACCOUNT_SIGNS_IN = 'Not needed: an existing account signs in; the just-in-time rules only apply to people without one.';

function given(id: string | null): string | null {
  return id === null || id.trim() === '' ? null : id;
}

function describeDate(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'an unknown date' : date.toISOString();
}

/** The refusal a directory record imposes on this person, whatever the settings: inactive, or deleted. */
function directoryBar(directory: JitFacts['directory'], email: NormalisedEmail): { reason: 'directory_user_inactive' | 'directory_user_deleted'; detail: string } | null {
  if (directory === null) return null;
  if (directory.entry !== null) {
    return directory.entry.active ? null : { reason: 'directory_user_inactive', detail: `${email.normalised} is in the company's synced directory but inactive.` };
  }
  if (directory.deleted) return { reason: 'directory_user_deleted', detail: `${email.normalised} was deleted from the company's synced directory.` };
  return null;
}

/** Decides what happens to a verified SAML identity in one company. Pure: same input, same decision. */
export function decideJit(input: JitInput): JitDecision {
  const { settings, flow, facts } = input;
  const log = new JitCheckLog();
  let email: NormalisedEmail | null = null;
  const refuse = (check: JitCheckName, reason: JitRefusalReason, detail: string): JitDecision => {
    log.failed(check, detail);
    return { kind: 'refuse', reason, email, checks: log.finish(`Not checked: already refused (${reason}).`) };
  };

  if (!facts.samlConfigured) {
    return refuse('saml_configured', 'saml_not_configured', 'SAML single sign-on is not set up for this company, so nobody can sign in with SAML.');
  }
  log.passed('saml_configured', 'SAML single sign-on is set up for this company.');

  const raw = input.email;
  if (raw === null || raw.trim() === '') {
    return refuse('email_present', 'email_missing', 'The identity provider sent no email address.');
  }
  log.passed('email_present', `The identity provider sent the email address "${visibleAddress(raw)}".`);

  const parsed = input.parsedEmail ?? parseEmail(raw);
  if (!parsed.ok) return refuse('email_valid', EMAIL_REFUSALS[parsed.problem], parsed.detail);
  email = parsed.email;
  log.passed('email_valid', `"${email.original}" normalises to ${email.normalised} (domain ${email.domain}).`);

  const user = facts.existingUser;
  if (user === null) {
    log.passed('existing_account', `No account uses ${email.normalised} in this company yet: the just-in-time rules decide.`);
    log.skipped('not_impersonation', 'No existing account.');
    log.skipped('account_status', 'No existing account.');
  } else {
    log.passed('existing_account', `Account ${user.id} uses ${email.normalised} (status ${user.status}).`);
    if (user.isImpersonation) {
      return refuse('not_impersonation', 'impersonation_account', `Account ${user.id} is a support impersonation account; those never sign in through SAML.`);
    }
    log.passed('not_impersonation', `Account ${user.id} is not a support impersonation account.`);
    const barred = directoryBar(facts.directory, email);
    if (barred !== null && (user.status === 'invited' || user.status === 'active')) {
      return refuse('account_status', barred.reason, `Account ${user.id} is ${user.status}, but ${barred.detail}`);
    }
    switch (user.status) {
      case 'suspended':
        return refuse('account_status', 'user_suspended', `Account ${user.id} is suspended.`);
      case 'deprovisioned':
        return refuse('account_status', 'user_deprovisioned', `Account ${user.id} has been removed (deprovisioned).`);
      case 'invited':
        log.passed('account_status', `Account ${user.id} is invited: this sign-in confirms the invitation.`);
        return { kind: 'sign_in', userId: user.id, email, confirmInvitation: true, checks: log.finish(EXISTING_ACCOUNT_SIGNS_IN) };
      case 'active':
        log.passed('account_status', `Account ${user.id} is active.`);
        return { kind: 'sign_in', userId: user.id, email, confirmInvitation: false, checks: log.finish(EXISTING_ACCOUNT_SIGNS_IN) };
    }
  }

  if (!settings.enabled) {
    return refuse('jit_enabled', 'jit_disabled', 'Automatic user provisioning is off for this company.');
  }
  log.passed('jit_enabled', 'Automatic user provisioning is on.');

  const workspaceId = given(settings.defaultWorkspaceId);
  const permissionSetId = given(settings.defaultPermissionSetId);
  if (workspaceId === null || permissionSetId === null) {
    const missing = [workspaceId === null ? 'default workspace' : null, permissionSetId === null ? 'default permission set' : null];
    return refuse('jit_defaults', 'jit_misconfigured', `Automatic user provisioning has no ${missing.filter((m) => m !== null).join(' and no ')} chosen.`);
  }
  log.passed('jit_defaults', `New accounts go to workspace ${workspaceId} with permission set ${permissionSetId}.`);

  const directory = facts.directory;
  if (!settings.requireDirectoryMembership) {
    log.skipped('directory_available', 'Directory membership is not required.');
  } else if (directory === null || !directory.syncEnabled) {
    return refuse(
      'directory_available',
      'directory_unavailable',
      'Directory membership is required but directory sync is not set up or is off, so membership cannot be checked; refused to be safe.',
    );
  } else {
    log.passed('directory_available', 'Directory membership is required and directory sync is on.');
  }

  let eligibleThrough: DomainEligibility;
  const exception = facts.domainException;
  if (facts.domainHasConfirmedUser) {
    eligibleThrough = 'confirmed_user';
    log.passed('domain_eligible', `A confirmed account with the domain ${email.domain} exists in this company.`);
  } else if (exception !== null) {
    eligibleThrough = 'support_exception';
    log.passed(
      'domain_eligible',
      `No confirmed account uses the domain ${email.domain}, but support (${exception.grantedBy}) granted an exception for it on ${describeDate(exception.grantedAt)}: ${exception.reason}`,
    );
  } else {
    return refuse(
      'domain_eligible',
      'domain_not_eligible',
      `No confirmed, non-impersonation account in this company uses the domain ${email.domain}, and support has granted no exception for it.`,
    );
  }

  const barred = directoryBar(directory, email);
  if (barred !== null) {
    return refuse('directory_membership', barred.reason, barred.detail);
  } else if (directory?.entry) {
    log.passed('directory_membership', `${email.normalised} is active in the company's synced directory.`);
  } else if (directory === null || !settings.requireDirectoryMembership) {
    log.skipped('directory_membership', 'Directory membership is not required, and no directory record refuses this person.');
  } else {
    return refuse('directory_membership', 'not_in_directory', `${email.normalised} is not in the company's synced directory.`);
  }

  if (flow !== 'idp_initiated') {
    return refuse(
      'idp_initiated',
      'sp_initiated',
      "The sign-in started from this application's login page (SP-initiated); such sign-ins never create accounts.",
    );
  }
  log.passed('idp_initiated', 'The sign-in started from the identity provider (IdP-initiated).');

  return { kind: 'provision', email, workspaceId, permissionSetId, eligibleThrough, checks: log.finish('') };
}

/** `{decision, reason, checks}` for the explain API, so what an admin is told is what happens. */
export function summariseJitDecision(decision: JitDecision): JitDecisionSummary {
  return { decision: decision.kind, reason: decision.kind === 'refuse' ? decision.reason : null, checks: decision.checks };
}
