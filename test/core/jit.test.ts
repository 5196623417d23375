import { describe, expect, it } from 'vitest';
import { normaliseDomain, normaliseEmail } from '../../src/core/email.js';
import type { DomainRuleUser, Flow, JitDecision, JitFacts, JitInput, JitSettings, UserStatus } from '../../src/core/jit.js';
import { JIT_CHECKS, countsForDomainRule, decideJit, summariseJitDecision } from '../../src/core/jit.js';
import type { JitRefusalReason } from '../../src/core/reasons.js';
import { JIT_REFUSAL_REASONS } from '../../src/core/reasons.js';

// A company described the way the seed does, and the facts a service would look up for it.

interface Person {
  id: string;
  email: string;
  status: UserStatus;
  confirmed: boolean;
  impersonation?: boolean;
}

interface Company {
  samlConfigured?: boolean;
  settings?: Partial<JitSettings>;
  users: Person[];
  /** Domains support granted an exception for, as typed by the operator. */
  exceptions?: string[];
  /** The synced directory: email -> active; null when none is supplied. */
  directory?: { syncEnabled: boolean; people: Record<string, boolean>; deleted?: string[] } | null;
}

const GRANTED_AT = new Date('2025-03-01T09:00:00Z');

function user(email: string, status: UserStatus = 'active', extra: Partial<Person> = {}): Person {
  return { id: `usr_${email}`, email, status, confirmed: status === 'active' || status === 'suspended' || status === 'deprovisioned', ...extra };
}

function asRow(person: Person): DomainRuleUser {
  const email = normaliseEmail(person.email);
  if (email === null) throw new Error(`bad fixture email ${person.email}`);
  return { status: person.status, confirmedAt: person.confirmed ? GRANTED_AT : null, isImpersonation: person.impersonation ?? false, emailDomain: email.domain };
}

/** What the login service looks up before calling decideJit. */
function factsFor(company: Company, email: string | null): JitFacts {
  const normalised = email === null ? null : normaliseEmail(email);
  const existing = normalised === null ? undefined : company.users.find((p) => normaliseEmail(p.email)?.normalised === normalised.normalised);
  const exceptionDomain = company.exceptions?.find((d) => normalised !== null && normaliseDomain(d) === normalised.domain);
  const directory = company.directory ?? null;
  const entry =
    directory === null || normalised === null
      ? undefined
      : Object.entries(directory.people).find(([e]) => normaliseEmail(e)?.normalised === normalised.normalised);
  return {
    samlConfigured: company.samlConfigured ?? true,
    existingUser: existing === undefined ? null : { id: existing.id, status: existing.status, isImpersonation: existing.impersonation ?? false },
    domainHasConfirmedUser: normalised !== null && company.users.some((p) => countsForDomainRule(asRow(p), normalised.domain)),
    domainException: exceptionDomain === undefined ? null : { grantedBy: 'support@vendor.example', reason: 'Acquisition of Decorumsoft EU', grantedAt: GRANTED_AT },
    directory:
      directory === null
        ? null
        : {
            syncEnabled: directory.syncEnabled,
            entry: entry === undefined ? null : { active: entry[1] },
            deleted: normalised !== null && (directory.deleted ?? []).some((e) => normaliseEmail(e)?.normalised === normalised.normalised),
          },
  };
}

const JIT_ON: JitSettings = { enabled: true, defaultWorkspaceId: 'ws_default', defaultPermissionSetId: 'ps_default', requireDirectoryMembership: false };

function inputFor(company: Company, email: string | null, flow: Flow = 'idp_initiated'): JitInput {
  return { settings: { ...JIT_ON, ...company.settings }, flow, email, facts: factsFor(company, email) };
}

function decide(company: Company, email: string | null, flow: Flow = 'idp_initiated'): JitDecision {
  return decideJit(inputFor(company, email, flow));
}

// The seed's company: jon.smith@decorumsoft.com has a confirmed account.
const decorumsoft: Company = { users: [user('jon.smith@decorumsoft.com')] };
const withSettings = (settings: Partial<JitSettings>, base: Company = decorumsoft): Company => ({ ...base, settings: { ...base.settings, ...settings } });
const directoryOf = (people: Record<string, boolean>, syncEnabled = true): Company => ({
  ...decorumsoft,
  settings: { requireDirectoryMembership: true },
  directory: { syncEnabled, people },
});

type Expected = 'provision' | 'sign_in' | 'sign_in_and_confirm' | JitRefusalReason;
interface Case {
  rule: string;
  company: Company;
  email: string | null;
  flow?: Flow;
  expected: Expected;
}

const cases: Case[] = [
  // The seed's example, word for word.
  { rule: 'seed: jane.smith@decorumsoft.com shares the confirmed domain, so she is provisioned', company: decorumsoft, email: 'jane.smith@decorumsoft.com', expected: 'provision' },
  { rule: 'seed: jon.smith@decorumsoft.eu is refused, the company has no decorumsoft.eu account', company: decorumsoft, email: 'jon.smith@decorumsoft.eu', expected: 'domain_not_eligible' },
  { rule: 'seed: jon.smith@decorumsoft.com already has an account, so he signs in', company: decorumsoft, email: 'jon.smith@decorumsoft.com', expected: 'sign_in' },

  // Domains compare case-insensitively, after IDN normalisation; a subdomain is another domain.
  { rule: 'upper-case address matches the confirmed domain', company: decorumsoft, email: 'JANE@DecorumSoft.COM', expected: 'provision' },
  { rule: 'upper-case address of an existing user signs them in', company: decorumsoft, email: 'Jon.Smith@DECORUMSOFT.com', expected: 'sign_in' },
  { rule: 'a trailing dot on the domain is refused, not repaired', company: decorumsoft, email: 'jane@decorumsoft.com.', expected: 'email_invalid' },
  { rule: 'the Kelvin sign is refused, never folded onto k', company: { users: [user('kate@decorumsoft.com')] }, email: '\u212Aate@decorumsoft.com', expected: 'email_ambiguous_character' },
  { rule: 'a soft hyphen is refused, not kept', company: decorumsoft, email: 'ja\u00ADne@decorumsoft.com', expected: 'email_invisible_character' },
  { rule: 'Unicode domain matches a confirmed punycode domain', company: { users: [user('b@xn--bcher-kva.de')] }, email: 'a@bücher.de', expected: 'provision' },
  { rule: 'punycode domain matches a confirmed Unicode domain', company: { users: [user('a@bücher.de')] }, email: 'b@xn--bcher-kva.de', expected: 'provision' },
  { rule: 'upper-case Unicode domain matches too', company: { users: [user('a@bücher.de')] }, email: 'C@BÜCHER.DE', expected: 'provision' },
  { rule: 'a look-alike IDN is another domain', company: { users: [user('a@bücher.de')] }, email: 'b@bucher.de', expected: 'domain_not_eligible' },
  { rule: 'a subdomain of a confirmed domain is another domain', company: decorumsoft, email: 'jane@eu.decorumsoft.com', expected: 'domain_not_eligible' },
  { rule: 'the parent of a confirmed subdomain is another domain', company: { users: [user('jon@eu.decorumsoft.com')] }, email: 'jane@decorumsoft.com', expected: 'domain_not_eligible' },

  // Only confirmed, non-impersonation, active users make a domain eligible.
  { rule: 'an invited-only domain is not eligible', company: { users: [user('jon@invited.example', 'invited')] }, email: 'jane@invited.example', expected: 'domain_not_eligible' },
  { rule: 'a suspended-only domain is not eligible', company: { users: [user('jon@suspended.example', 'suspended')] }, email: 'jane@suspended.example', expected: 'domain_not_eligible' },
  { rule: 'a deprovisioned-only domain is not eligible', company: { users: [user('jon@gone.example', 'deprovisioned')] }, email: 'jane@gone.example', expected: 'domain_not_eligible' },
  { rule: 'an impersonation-only domain is not eligible', company: { users: [user('support@imp.example', 'active', { impersonation: true })] }, email: 'jane@imp.example', expected: 'domain_not_eligible' },
  { rule: 'one confirmed user among invited ones makes the domain eligible', company: { users: [user('a@mix.example', 'invited'), user('b@mix.example')] }, email: 'c@mix.example', expected: 'provision' },

  // Support exceptions.
  { rule: 'an exception for decorumsoft.eu makes it eligible', company: { ...decorumsoft, exceptions: ['decorumsoft.eu'] }, email: 'jon.smith@decorumsoft.eu', expected: 'provision' },
  { rule: 'an exception typed in upper case still applies', company: { ...decorumsoft, exceptions: ['DecorumSoft.EU'] }, email: 'jon.smith@decorumsoft.eu', expected: 'provision' },
  { rule: 'an exception for a domain does not cover its subdomains', company: { ...decorumsoft, exceptions: ['decorumsoft.eu'] }, email: 'jon@fr.decorumsoft.eu', expected: 'domain_not_eligible' },

  // Existing users sign in whatever the JIT settings and the flow.
  { rule: 'an existing active user signs in with JIT off', company: withSettings({ enabled: false }), email: 'jon.smith@decorumsoft.com', expected: 'sign_in' },
  { rule: 'an existing active user signs in SP-initiated', company: decorumsoft, email: 'jon.smith@decorumsoft.com', flow: 'sp_initiated', expected: 'sign_in' },
  { rule: 'an invited user signs in and confirms the invitation', company: { users: [user('ann@decorumsoft.com', 'invited')] }, email: 'ann@decorumsoft.com', expected: 'sign_in_and_confirm' },
  { rule: 'an invited user signs in even from an ineligible domain with JIT off', company: { users: [user('ann@new.example', 'invited')], settings: { enabled: false } }, email: 'ann@new.example', flow: 'sp_initiated', expected: 'sign_in_and_confirm' },
  { rule: 'an existing user signs in even when the directory is required and missing', company: withSettings({ requireDirectoryMembership: true }), email: 'jon.smith@decorumsoft.com', expected: 'sign_in' },
  { rule: 'a suspended user is refused', company: { users: [...decorumsoft.users, user('sam@decorumsoft.com', 'suspended')] }, email: 'sam@decorumsoft.com', expected: 'user_suspended' },
  { rule: 'a deprovisioned user is refused (not re-provisioned)', company: { users: [...decorumsoft.users, user('dee@decorumsoft.com', 'deprovisioned')] }, email: 'dee@decorumsoft.com', expected: 'user_deprovisioned' },
  { rule: 'an impersonation account never signs in through SAML', company: { users: [...decorumsoft.users, user('support@decorumsoft.com', 'active', { impersonation: true })] }, email: 'support@decorumsoft.com', expected: 'impersonation_account' },

  // The identity must carry a usable email.
  { rule: 'no email in the assertion', company: decorumsoft, email: null, expected: 'email_missing' },
  { rule: 'a blank email is a missing email', company: decorumsoft, email: '   ', expected: 'email_missing' },
  { rule: 'an unusable email', company: decorumsoft, email: 'jane.smith', expected: 'email_invalid' },
  { rule: 'an IP-address domain is not an email domain', company: decorumsoft, email: 'jane@10.0.0.1', expected: 'email_invalid' },

  // Settings and flow.
  { rule: 'SAML not configured: nobody signs in with SAML', company: { ...decorumsoft, samlConfigured: false }, email: 'jon.smith@decorumsoft.com', expected: 'saml_not_configured' },
  { rule: 'JIT off: an unknown person is refused', company: withSettings({ enabled: false }), email: 'jane.smith@decorumsoft.com', expected: 'jit_disabled' },
  { rule: 'JIT on without a default workspace', company: withSettings({ defaultWorkspaceId: null }), email: 'jane.smith@decorumsoft.com', expected: 'jit_misconfigured' },
  { rule: 'JIT on without a default permission set', company: withSettings({ defaultPermissionSetId: '' }), email: 'jane.smith@decorumsoft.com', expected: 'jit_misconfigured' },
  { rule: 'SP-initiated never provisions', company: decorumsoft, email: 'jane.smith@decorumsoft.com', flow: 'sp_initiated', expected: 'sp_initiated' },
  { rule: 'JIT off is reported before SP-initiated', company: withSettings({ enabled: false }), email: 'jane.smith@decorumsoft.com', flow: 'sp_initiated', expected: 'jit_disabled' },
  { rule: 'an ineligible domain is reported before SP-initiated', company: decorumsoft, email: 'jon.smith@decorumsoft.eu', flow: 'sp_initiated', expected: 'domain_not_eligible' },

  // Directory gating, when the admin requires directory membership.
  { rule: 'directory required and jane is active in it', company: directoryOf({ 'Jane.Smith@decorumsoft.com': true }), email: 'jane.smith@decorumsoft.com', expected: 'provision' },
  { rule: 'directory required and jane is not in it', company: directoryOf({ 'someone@decorumsoft.com': true }), email: 'jane.smith@decorumsoft.com', expected: 'not_in_directory' },
  { rule: 'directory required and jane is inactive in it', company: directoryOf({ 'jane.smith@decorumsoft.com': false }), email: 'jane.smith@decorumsoft.com', expected: 'directory_user_inactive' },
  { rule: 'directory required but sync is off: fail closed', company: directoryOf({ 'jane.smith@decorumsoft.com': true }, false), email: 'jane.smith@decorumsoft.com', expected: 'directory_unavailable' },
  { rule: 'directory required but no directory facts: fail closed', company: withSettings({ requireDirectoryMembership: true }), email: 'jane.smith@decorumsoft.com', expected: 'directory_unavailable' },
  { rule: 'directory not required: absence from it does not matter', company: { ...decorumsoft, directory: { syncEnabled: true, people: {} } }, email: 'jane.smith@decorumsoft.com', expected: 'provision' },
  // An inactive or deleted directory record refuses whatever the switch says; the switch is about absence only.
  { rule: 'directory not required, jane inactive in it: refused', company: { ...decorumsoft, directory: { syncEnabled: true, people: { 'jane.smith@decorumsoft.com': false } } }, email: 'jane.smith@decorumsoft.com', expected: 'directory_user_inactive' },
  { rule: 'directory not required, jane deleted from it: refused', company: { ...decorumsoft, directory: { syncEnabled: true, people: {}, deleted: ['Jane.Smith@decorumsoft.com'] } }, email: 'jane.smith@decorumsoft.com', expected: 'directory_user_deleted' },
  { rule: 'directory required, jane deleted from it: refused as deleted, not absent', company: { ...directoryOf({}), directory: { syncEnabled: true, people: {}, deleted: ['jane.smith@decorumsoft.com'] } }, email: 'jane.smith@decorumsoft.com', expected: 'directory_user_deleted' },
  { rule: 'jane deleted, then created again active: provisioned', company: { ...decorumsoft, directory: { syncEnabled: true, people: { 'jane.smith@decorumsoft.com': true }, deleted: ['jane.smith@decorumsoft.com'] } }, email: 'jane.smith@decorumsoft.com', expected: 'provision' },
  { rule: 'an inactive record refuses even with sync switched off (token revoked)', company: { ...decorumsoft, directory: { syncEnabled: false, people: { 'jane.smith@decorumsoft.com': false } } }, email: 'jane.smith@decorumsoft.com', expected: 'directory_user_inactive' },
  { rule: 'an existing active account whose directory record is inactive gets no session', company: { ...decorumsoft, directory: { syncEnabled: true, people: { 'jon.smith@decorumsoft.com': false } } }, email: 'jon.smith@decorumsoft.com', expected: 'directory_user_inactive' },
  { rule: 'an invited account of a deleted person is not confirmed', company: { users: [...decorumsoft.users, user('ann@decorumsoft.com', 'invited')], directory: { syncEnabled: true, people: {}, deleted: ['ann@decorumsoft.com'] } }, email: 'ann@decorumsoft.com', expected: 'directory_user_deleted' },
  { rule: 'directory membership does not make a domain eligible', company: directoryOf({ 'jon.smith@decorumsoft.eu': true }), email: 'jon.smith@decorumsoft.eu', expected: 'domain_not_eligible' },
];

function outcomeOf(decision: JitDecision): Expected {
  if (decision.kind === 'refuse') return decision.reason;
  if (decision.kind === 'sign_in') return decision.confirmInvitation ? 'sign_in_and_confirm' : 'sign_in';
  return 'provision';
}

describe('decideJit: the rules of the seed', () => {
  it.each(cases)('$rule ($email, $flow) -> $expected', ({ company, email, flow, expected }) => {
    const decision = decide(company, email, flow);
    expect(outcomeOf(decision)).toBe(expected);
    // Every decision lists every check, in order, and a refusal fails exactly one of them.
    expect(decision.checks.map((c) => c.check)).toEqual([...JIT_CHECKS]);
    const failed = decision.checks.filter((c) => c.outcome === 'failed');
    expect(failed).toHaveLength(decision.kind === 'refuse' ? 1 : 0);
    for (const check of decision.checks) expect(check.detail).not.toBe('');
  });

  it('reaches every JIT reason code', () => {
    const reached = new Set(cases.map((c) => outcomeOf(decide(c.company, c.email, c.flow))));
    for (const reason of JIT_REFUSAL_REASONS) expect(reached, reason).toContain(reason);
  });
});

describe('decideJit: what it decides', () => {
  it('provisions jane in the default workspace and permission set, with her normalised email', () => {
    const decision = decide(decorumsoft, ' Jane.Smith@DecorumSoft.COM ');
    expect(decision).toMatchObject({
      kind: 'provision',
      workspaceId: 'ws_default',
      permissionSetId: 'ps_default',
      eligibleThrough: 'confirmed_user',
      email: { original: 'Jane.Smith@DecorumSoft.COM', normalised: 'jane.smith@decorumsoft.com', domain: 'decorumsoft.com' },
    });
  });

  it('provisions an IDN address under its punycode domain', () => {
    const decision = decide({ users: [user('b@xn--bcher-kva.de')] }, 'a@bücher.de');
    expect(decision.kind === 'provision' && decision.email).toMatchObject({ normalised: 'a@xn--bcher-kva.de', domain: 'xn--bcher-kva.de' });
  });

  it('says when the domain is eligible through a support exception, and who granted it', () => {
    const decision = decide({ ...decorumsoft, exceptions: ['decorumsoft.eu'] }, 'jon.smith@decorumsoft.eu');
    expect(decision).toMatchObject({ kind: 'provision', eligibleThrough: 'support_exception' });
    const domainCheck = decision.checks.find((c) => c.check === 'domain_eligible');
    expect(domainCheck?.outcome).toBe('passed');
    expect(domainCheck?.detail).toContain('support@vendor.example');
    expect(domainCheck?.detail).toContain('Acquisition of Decorumsoft EU');
    expect(domainCheck?.detail).toContain('2025-03-01T09:00:00.000Z');
  });

  it('prefers a confirmed user over an exception when both exist', () => {
    const decision = decide({ ...decorumsoft, exceptions: ['decorumsoft.com'] }, 'jane.smith@decorumsoft.com');
    expect(decision).toMatchObject({ kind: 'provision', eligibleThrough: 'confirmed_user' });
  });

  it('signs an existing user in with their own id', () => {
    expect(decide(decorumsoft, 'jon.smith@decorumsoft.com')).toMatchObject({ kind: 'sign_in', userId: 'usr_jon.smith@decorumsoft.com', confirmInvitation: false });
  });

  it('keeps the normalised email on a refusal so the page can name the domain', () => {
    const decision = decide(decorumsoft, 'jon.smith@decorumsoft.eu');
    expect(decision).toMatchObject({ kind: 'refuse', reason: 'domain_not_eligible', email: { domain: 'decorumsoft.eu' } });
    expect(decide(decorumsoft, null)).toMatchObject({ kind: 'refuse', reason: 'email_missing', email: null });
  });

  it('refuses any flow other than IdP-initiated (fails closed on an unexpected value)', () => {
    const input = inputFor(decorumsoft, 'jane.smith@decorumsoft.com');
    expect(decideJit({ ...input, flow: 'password' as Flow })).toMatchObject({ kind: 'refuse', reason: 'sp_initiated' });
  });

  it('is pure: it does not change its input and answers the same twice', () => {
    const input = inputFor({ ...decorumsoft, exceptions: ['decorumsoft.eu'] }, 'jon.smith@decorumsoft.eu');
    const snapshot = structuredClone(input);
    const first = decideJit(input);
    expect(decideJit(input)).toEqual(first);
    expect(input).toEqual(snapshot);
  });
});

describe('decideJit: the checks an admin sees', () => {
  const outcomes = (decision: JitDecision) => decision.checks.map((c) => `${c.check}: ${c.outcome}`);

  it('jane.smith@decorumsoft.com: every rule passes, directory gating not required', () => {
    expect(outcomes(decide(decorumsoft, 'jane.smith@decorumsoft.com'))).toEqual([
      'saml_configured: passed',
      'email_present: passed',
      'email_valid: passed',
      'existing_account: passed',
      'not_impersonation: skipped',
      'account_status: skipped',
      'jit_enabled: passed',
      'jit_defaults: passed',
      'directory_available: skipped',
      'domain_eligible: passed',
      'directory_membership: skipped',
      'idp_initiated: passed',
    ]);
  });

  it('jon.smith@decorumsoft.eu: refused at the domain rule, later checks skipped', () => {
    const decision = decide(decorumsoft, 'jon.smith@decorumsoft.eu');
    expect(outcomes(decision)).toEqual([
      'saml_configured: passed',
      'email_present: passed',
      'email_valid: passed',
      'existing_account: passed',
      'not_impersonation: skipped',
      'account_status: skipped',
      'jit_enabled: passed',
      'jit_defaults: passed',
      'directory_available: skipped',
      'domain_eligible: failed',
      'directory_membership: skipped',
      'idp_initiated: skipped',
    ]);
    expect(decision.checks.find((c) => c.outcome === 'failed')?.detail).toContain('decorumsoft.eu');
    expect(decision.checks.at(-1)?.detail).toContain('domain_not_eligible');
  });

  it('jon.smith@decorumsoft.com: an existing account signs in, the JIT rules are skipped as not needed', () => {
    const decision = decide(withSettings({ enabled: false }), 'jon.smith@decorumsoft.com');
    expect(outcomes(decision).slice(3, 6)).toEqual(['existing_account: passed', 'not_impersonation: passed', 'account_status: passed']);
    const jitChecks = decision.checks.slice(6);
    expect(jitChecks.map((c) => c.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    for (const c of jitChecks) expect(c.detail).toMatch(/existing account signs in/);
  });

  it('directory gating, when required and passed, is listed as passed', () => {
    const decision = decide(directoryOf({ 'jane.smith@decorumsoft.com': true }), 'jane.smith@decorumsoft.com');
    expect(outcomes(decision)).toContain('directory_available: passed');
    expect(outcomes(decision)).toContain('directory_membership: passed');
  });

  it('names the missing defaults', () => {
    const decision = decide(withSettings({ defaultWorkspaceId: null, defaultPermissionSetId: null }), 'jane.smith@decorumsoft.com');
    expect(decision.checks.find((c) => c.check === 'jit_defaults')?.detail).toMatch(/default workspace and no default permission set/);
  });

  it('summarises a decision for the explain API', () => {
    expect(summariseJitDecision(decide(decorumsoft, 'jon.smith@decorumsoft.eu'))).toMatchObject({ decision: 'refuse', reason: 'domain_not_eligible' });
    const provision = decide(decorumsoft, 'jane.smith@decorumsoft.com');
    expect(summariseJitDecision(provision)).toEqual({ decision: 'provision', reason: null, checks: provision.checks });
  });
});

describe('countsForDomainRule: who makes a domain eligible', () => {
  const base: DomainRuleUser = { status: 'active', confirmedAt: GRANTED_AT, isImpersonation: false, emailDomain: 'decorumsoft.com' };
  it.each<[string, Partial<DomainRuleUser>, string, boolean]>([
    ['a confirmed active user of the domain counts', {}, 'decorumsoft.com', true],
    ['another domain does not', {}, 'decorumsoft.eu', false],
    ['a subdomain does not', {}, 'eu.decorumsoft.com', false],
    ['an invited, unconfirmed user does not', { status: 'invited', confirmedAt: null }, 'decorumsoft.com', false],
    ['an active user never confirmed does not', { confirmedAt: null }, 'decorumsoft.com', false],
    ['a suspended user does not', { status: 'suspended' }, 'decorumsoft.com', false],
    ['a deprovisioned user does not', { status: 'deprovisioned' }, 'decorumsoft.com', false],
    ['an impersonation account does not', { isImpersonation: true }, 'decorumsoft.com', false],
  ])('%s', (_rule, change, domain, counts) => {
    expect(countsForDomainRule({ ...base, ...change }, domain)).toBe(counts);
  });
});
