/**
 * The ACS use case: a posted SAMLResponse becomes a session, a new account (JIT) or a named refusal.
 * Order matters: verify, burn the assertion ID (replay), match InResponseTo, then decide; every
 * attempt ends in the audit log, and nothing is written for a refusal but the audit event and the
 * replay-cache entry. Refusals of what anyone can post (nothing signed by the company's IdP yet) are
 * counted on one audit row per company, reason and hour, so garbage cannot bury the log; every
 * attempt whose signature verified keeps a row of its own.
 */
import { normaliseEmail } from '../core/email.js';
import { decideJit } from '../core/jit.js';
import type { Flow, JitDecision } from '../core/jit.js';
import { safeRelayPath } from '../core/relay-state.js';
import type { ReasonCode } from '../core/reasons.js';
import { newId, secretMatchesHash } from '../crypto.js';
import { extractProfile, verifySamlResponse } from '../saml/index.js';
import type { AttributeMapping, VerifiedAssertion } from '../saml/index.js';
import type { AuditInput } from '../store/audit.js';
import { recordAggregatedAudit, recordAudit } from '../store/audit.js';
import { findCompany } from '../store/companies.js';
import type { Tx } from '../store/db.js';
import { lockDirectoryIdentities } from '../store/directory.js';
import { consumeSamlRequest, findSamlConnection, purgeExpiredSamlState, rememberAssertion } from '../store/saml.js';
import type { SamlConnection } from '../store/saml.js';
import { confirmInvitedUser, findUserByEmail, insertMembership, insertUserIfAbsent } from '../store/users.js';
import type { User } from '../store/users.js';
import { DEFAULT_PURGE_EVERY } from './deps.js';
import type { ServiceDeps } from './deps.js';
import { gatherJitContext } from './jit-facts.js';
import { startSession } from './sessions.js';
import { spIdentityFor } from './saml-connection.js';

export type LoginRefusalReason = ReasonCode | 'unknown_company';

export type LoginOutcome =
  | { ok: true; token: string; redirectTo: string; userId: string; provisioned: boolean; flow: Flow }
  | { ok: false; reason: LoginRefusalReason; detail: string; companyName: string | null; email: string | null };

export interface AcsInput {
  samlResponse: string;
  relayState: string | null;
  /** The value of the browser's binding cookie (set when it started an SP-initiated sign-in), or null. */
  browserBinding: string | null;
}

interface SignInResult {
  token: string;
  user: User;
  provisioned: boolean;
}

function mappingOf(connection: SamlConnection): Partial<AttributeMapping> {
  const m = connection.attributeMapping;
  const pick = (key: string) => (typeof m[key] === 'string' && m[key] ? [m[key]] : []);
  return { email: pick('email'), firstName: pick('firstName'), lastName: pick('lastName'), groups: pick('groups') };
}

/** A refusal nobody authenticated counts on one row per company, reason and hour (anyone can post one). */
async function recordUnauthenticatedRefusal(deps: ServiceDeps, event: AuditInput & { reason: string }, now: Date): Promise<void> {
  // e.g. saml.login_refused:signature_invalid:2026-06-01T09 (the UTC hour).
  const aggregateKey = `saml.login_refused:${event.reason}:${now.toISOString().slice(0, 13)}`;
  await recordAggregatedAudit(deps.db, { ...event, aggregateKey, at: now });
}

/**
 * The ACS route's own refusals, before any response reaches the verifier (a body over the limit, a
 * form without SAMLResponse): audited like other unauthenticated refusals, on the company posted to
 * when it exists. Returns the company's name for the page, or null.
 */
export async function recordUnreadAcsPost(deps: ServiceDeps, companyId: string, reason: 'malformed' | 'too_large', detail: string): Promise<string | null> {
  const company = await findCompany(deps.db, companyId);
  if (!company) return null;
  await recordUnauthenticatedRefusal(
    deps,
    { companyId, actor: { type: 'idp', id: null }, action: 'saml.login_refused', reason, data: { detail, flow: null, email: null, nameId: null, assertionId: null } },
    deps.now(),
  );
  return company.name;
}

export async function consumeSamlResponse(deps: ServiceDeps, companyId: string, input: AcsInput): Promise<LoginOutcome> {
  const now = deps.now();
  const company = await findCompany(deps.db, companyId);
  if (!company) return { ok: false, reason: 'unknown_company', detail: 'No such company.', companyName: null, email: null };

  const refuse = async (
    reason: LoginRefusalReason,
    detail: string,
    extra: { email?: string | null; assertion?: VerifiedAssertion; flow?: Flow; unauthenticated?: boolean } = {},
  ): Promise<LoginOutcome> => {
    const event = {
      companyId,
      actor: { type: 'idp' as const, id: extra.assertion?.issuer ?? null },
      action: 'saml.login_refused' as const,
      reason,
      targetType: 'email',
      targetId: extra.email ?? undefined,
      data: {
        detail,
        flow: extra.flow ?? null,
        email: extra.email ?? null,
        nameId: extra.assertion?.nameId ?? null,
        assertionId: extra.assertion?.assertionId ?? null,
      },
    };
    if (extra.unauthenticated) {
      await recordUnauthenticatedRefusal(deps, event, now);
    } else {
      await recordAudit(deps.db, event);
    }
    return { ok: false, reason, detail, companyName: company.name, email: extra.email ?? null };
  };

  const connection = await findSamlConnection(deps.db, companyId);
  if (!connection) return refuse('saml_not_configured', 'SAML single sign-on is not set up for this company.', { unauthenticated: true });

  const verified = await verifySamlResponse({
    samlResponse: input.samlResponse,
    idp: { entityId: connection.idpEntityId, certificatesPem: connection.certificates, allowSha1: connection.allowSha1 },
    sp: spIdentityFor(deps, connection, companyId),
    now,
  });
  if (!verified.ok) return refuse(verified.reason, verified.detail, { unauthenticated: !verified.authenticated });
  const assertion = verified.assertion;
  const profile = extractProfile(assertion, mappingOf(connection));
  const flow: Flow = assertion.inResponseTo ? 'sp_initiated' : 'idp_initiated';
  const context = { email: profile.email, assertion, flow };

  // Burn the assertion ID first, in its own statement: whatever happens next, it is never accepted twice.
  if (!(await rememberAssertion(deps.db, { companyId, assertionId: assertion.assertionId, expiresAt: assertion.notOnOrAfter }))) {
    return refuse('replayed', `Assertion ${assertion.assertionId} was already used.`, context);
  }

  let relayState = input.relayState;
  if (assertion.inResponseTo) {
    const request = await consumeSamlRequest(deps.db, companyId, assertion.inResponseTo, now);
    if (!request) {
      return refuse('unknown_request', `InResponseTo ${assertion.inResponseTo} is not a sign-in request we issued, or it was used or expired.`, context);
    }
    // Only the browser that started the sign-in may finish it (else a victim's browser could be made to
    // post a response to someone else's request). The request is used up either way, like the assertion
    // ID. A request stored before bindings existed has none, and is refused too.
    if (request.browserBinding === null || input.browserBinding === null || !secretMatchesHash(input.browserBinding, request.browserBinding)) {
      return refuse(
        'request_other_browser',
        `InResponseTo ${assertion.inResponseTo} was started in another browser: ${input.browserBinding === null ? 'no' : 'a different'} sign-in cookie came back.`,
        context,
      );
    }
    relayState ??= request.relayState;
  }

  // Decide and write in one transaction, under the lock the directory writes take for this person:
  // a deactivation either commits before the directory is read here, or finds the account made here.
  const result = await deps.db.transaction(async (tx): Promise<SignInResult | { refused: Extract<JitDecision, { kind: 'refuse' }> } | null> => {
    const identity = profile.email ? normaliseEmail(profile.email) : null;
    if (identity) await lockDirectoryIdentities(tx, companyId, [identity.normalised]);
    const { settings, facts, existingUser } = await gatherJitContext(tx, companyId, profile.email, true);
    const decision = decideJit({ settings, flow, email: profile.email, facts });
    if (decision.kind === 'refuse') return { refused: decision };

    let user: User;
    let provisioned = false;
    if (decision.kind === 'provision') {
      const created = await provisionUser(tx, companyId, decision, profile, now);
      user = created.user;
      provisioned = created.created;
    } else {
      user = existingUser!;
      if (decision.confirmInvitation) user = (await confirmInvitedUser(tx, companyId, user.id, 'saml', now)) ?? user;
    }
    if (user.status !== 'active') return null;
    const { token, session } = await startSession(tx, now, companyId, user.id);
    await recordAudit(tx, {
      companyId,
      actor: { type: 'idp', id: assertion.issuer },
      action: 'saml.login',
      targetType: 'user',
      targetId: user.id,
      data: {
        flow,
        email: user.emailNormalized,
        nameId: assertion.nameId,
        assertionId: assertion.assertionId,
        sessionId: session.id,
        provisioned,
        confirmedInvitation: decision.kind === 'sign_in' && decision.confirmInvitation,
      },
    });
    return { token, user, provisioned };
  });
  if (result && 'refused' in result) {
    const failed = result.refused.checks.find((c) => c.outcome === 'failed');
    return refuse(result.refused.reason, failed?.detail ?? result.refused.reason, context);
  }
  if (!result) return refuse('user_suspended', 'The account was locked while signing in.', context);

  const every = deps.purgeEvery ?? DEFAULT_PURGE_EVERY;
  if (every > 0 && Math.floor(Math.random() * every) === 0) await purgeExpiredSamlState(deps.db, now);
  return {
    ok: true,
    token: result.token,
    redirectTo: safeRelayPath(relayState, deps.publicUrl) ?? '/',
    userId: result.user.id,
    provisioned: result.provisioned,
    flow,
  };
}

/**
 * Creates the JIT account and its membership. Two first logins of one person race here: the unique
 * (company, email) key lets exactly one insert win; the loser waits for it and signs in as that user.
 */
async function provisionUser(
  tx: Tx,
  companyId: string,
  decision: Extract<ReturnType<typeof decideJit>, { kind: 'provision' }>,
  profile: { firstName: string | null; lastName: string | null },
  now: Date,
): Promise<{ user: User; created: boolean }> {
  const user = await insertUserIfAbsent(tx, {
      id: newId('usr'),
      companyId,
      email: decision.email.original,
      emailNormalized: decision.email.normalised,
      emailDomain: decision.email.domain,
      firstName: profile.firstName,
      lastName: profile.lastName,
      status: 'active',
      confirmedAt: now,
      confirmedVia: 'saml',
    provisionedBy: 'jit',
  });
  if (!user) {
    const existing = await findUserByEmail(tx, companyId, decision.email.normalised);
    if (!existing) throw new Error('user vanished during provisioning');
    return { user: existing, created: false };
  }
  await insertMembership(tx, { companyId, userId: user.id, workspaceId: decision.workspaceId, permissionSetId: decision.permissionSetId });
  await recordAudit(tx, {
    companyId,
    actor: { type: 'system', id: 'jit' },
    action: 'user.provisioned',
    targetType: 'user',
    targetId: user.id,
    data: { via: 'jit', email: user.emailNormalized, workspaceId: decision.workspaceId, permissionSetId: decision.permissionSetId, eligibleThrough: decision.eligibleThrough },
  });
  return { user, created: true };
}
