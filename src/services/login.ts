/**
 * The ACS use case: a posted SAMLResponse becomes a session, a new account (JIT) or a named refusal.
 * Four steps, in this order: verify (the signature and conditions, for the connection posted to),
 * claim (burn the assertion ID against replay, match InResponseTo to our request and this browser),
 * decide (the JIT rules, per company) and apply (write the account and session). Every attempt's
 * outcome is recorded by `recordOutcome`, the one place that writes it to the audit log; nothing is
 * written for a refusal but that event and the replay-cache entry. Refusals of what anyone can post
 * (nothing signed by the connection's IdP yet) are counted on one audit row per company, reason and
 * hour, so garbage cannot bury the log; every attempt whose signature verified keeps a row of its own.
 */
import { parseEmail } from '../core/email.js';
import type { EmailParse } from '../core/email.js';
import { decideJit } from '../core/jit.js';
import type { Flow, JitDecision } from '../core/jit.js';
import { safeRelayPath } from '../core/relay-state.js';
import type { ReasonCode } from '../core/reasons.js';
import { secretMatchesHash } from '../crypto.js';
import { claimedIssuer, extractProfile, verifySamlResponse } from '../saml/index.js';
import type { AttributeMapping, SamlProfile, VerifiedAssertion } from '../saml/index.js';
import type { AuditInput } from '../store/audit.js';
import { recordAggregatedAudit, recordAudit } from '../store/audit.js';
import type { Executor } from '../store/db.js';
import { lockDirectoryIdentities } from '../store/directory.js';
import { consumeSamlRequest, listCompanyConnections, rememberAssertion } from '../store/saml.js';
import type { SamlConnection } from '../store/saml.js';
import { confirmInvitedUser } from '../store/users.js';
import type { User } from '../store/users.js';
import type { ServiceDeps } from './deps.js';
import { gatherJitContext } from './jit-facts.js';
import { provisionUser } from './jit-provision.js';
import { idpInitiatedHandOff } from './oidc-authorize.js';
import { connectionRef, connectionRefusal } from './saml-connection.js';
import { spIdentityFor, trustedCertificates } from './sp-keys.js';
import { resolveSamlRoute } from './saml-route.js';
import type { SamlRouteTarget } from './saml-route.js';
import { startSession } from './sessions.js';
import { maybeSweepExpired } from './sweep.js';

export type LoginRefusalReason = ReasonCode | 'unknown_company';

export interface LoginRefused {
  ok: false;
  reason: LoginRefusalReason;
  detail: string;
  companyName: string | null;
  /** The connection posted to, named on the refusal page. */
  connectionName: string | null;
  email: string | null;
}

export type LoginOutcome = {
  ok: true;
  token: string;
  /** A path of ours, or (IdP-initiated, handed to the default application) its initiate-login URL. */
  redirectTo: string;
  userId: string;
  companyId: string;
  provisioned: boolean;
  flow: Flow;
} | LoginRefused;

export interface AcsInput {
  samlResponse: string;
  relayState: string | null;
  /** The value of the browser's binding cookie (set when it started an SP-initiated sign-in), or null. */
  browserBinding: string | null;
}

/** A refusal before it is recorded: what the audit event and the page need. */
interface Refusal {
  reason: ReasonCode;
  detail: string;
  /** Nothing signed by the connection's IdP yet: counted on the hourly aggregate row. */
  unauthenticated: boolean;
  assertion?: VerifiedAssertion | undefined;
  email?: string | null | undefined;
  flow?: Flow | undefined;
}

/** What verification established: the assertion, the person it names, and how the sign-in started. */
interface Verified {
  assertion: VerifiedAssertion;
  profile: SamlProfile;
  /** The email, parsed and normalised once here for every later step (null when absent). */
  parsedEmail: EmailParse | null;
  flow: Flow;
}

type Step<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

const refused = (refusal: Refusal): { ok: false; refusal: Refusal } => ({ ok: false, refusal });

function mappingOf(connection: SamlConnection): Partial<AttributeMapping> {
  const m = connection.attributeMapping;
  const pick = (key: string) => (typeof m[key] === 'string' && m[key] ? [m[key]] : []);
  return { email: pick('email'), firstName: pick('firstName'), lastName: pick('lastName'), groups: pick('groups') };
}

/**
 * The one place a sign-in's outcome reaches the audit log: a refusal (on its own row once the
 * signature verified, else on the hourly aggregate) or, inside the sign-in's transaction, the success.
 */
async function recordOutcome(
  db: Executor,
  target: { companyId: string; connection: SamlConnection | null },
  outcome: { refusal: Refusal; now: Date } | { success: SignedIn },
): Promise<void> {
  if ('success' in outcome) {
    const { assertion, flow, user, sessionId, provisioned, confirmedInvitation } = outcome.success;
    await recordAudit(db, {
      companyId: target.companyId,
      actor: { type: 'idp', id: assertion.issuer },
      action: 'saml.login',
      targetType: 'user',
      targetId: user.id,
      data: {
        flow,
        email: user.emailNormalized,
        nameId: assertion.nameId,
        assertionId: assertion.assertionId,
        sessionId,
        provisioned,
        confirmedInvitation,
        connection: target.connection ? connectionRef(target.connection) : null,
      },
    });
    return;
  }
  const { refusal, now } = outcome;
  const event: AuditInput & { reason: string } = {
    companyId: target.companyId,
    actor: { type: 'idp', id: refusal.assertion?.issuer ?? null },
    action: 'saml.login_refused',
    reason: refusal.reason,
    targetType: 'email',
    targetId: refusal.email ?? undefined,
    data: {
      detail: refusal.detail,
      flow: refusal.flow ?? null,
      email: refusal.email ?? null,
      nameId: refusal.assertion?.nameId ?? null,
      assertionId: refusal.assertion?.assertionId ?? null,
      connection: target.connection ? connectionRef(target.connection) : null,
    },
  };
  if (!refusal.unauthenticated) {
    await recordAudit(db, event);
    return;
  }
  // e.g. saml.login_refused:signature_invalid:2026-06-01T09 (the UTC hour); the data names the connection of the first.
  const aggregateKey = `saml.login_refused:${refusal.reason}:${now.toISOString().slice(0, 13)}`;
  await recordAggregatedAudit(db, { ...event, aggregateKey, at: now });
}

async function refuse(deps: ServiceDeps, target: SamlRouteTarget, refusal: Refusal, now: Date): Promise<LoginRefused> {
  await recordOutcome(deps.db, { companyId: target.company.id, connection: target.connection }, { refusal, now });
  return {
    ok: false,
    reason: refusal.reason,
    detail: refusal.detail,
    companyName: target.company.name,
    connectionName: target.connection?.name ?? null,
    email: refusal.email ?? null,
  };
}

const unknownCompany = (): LoginRefused => ({
  ok: false,
  reason: 'unknown_company',
  detail: 'No such company or SAML connection.',
  companyName: null,
  connectionName: null,
  email: null,
});

/**
 * The ACS route's own refusals, before any response reaches the verifier (a body over the limit, a
 * form without SAMLResponse): recorded like every other unauthenticated refusal.
 */
export async function refuseUnreadAcsPost(deps: ServiceDeps, routeKey: string, reason: 'malformed' | 'too_large', detail: string): Promise<LoginRefused> {
  const target = await resolveSamlRoute(deps.db, routeKey);
  if (!target) return unknownCompany();
  return refuse(deps, target, { reason, detail, unauthenticated: true }, deps.now());
}

function verifyAt(deps: ServiceDeps, connection: SamlConnection, samlResponse: string, now: Date) {
  return verifySamlResponse({
    samlResponse,
    idp: {
      entityId: connection.idpEntityId,
      // A certificate the IdP's metadata just dropped stays trusted until the next refresh confirms it (rollover).
      certificatesPem: trustedCertificates(connection),
      allowSha1: connection.allowSha1,
      allowExpiredCertificates: connection.allowExpiredCertificates,
      strictSecondVerdict: connection.strictSecondVerdict,
    },
    sp: spIdentityFor(deps, connection),
    now,
    clockSkewMs: connection.clockSkewSeconds * 1000,
  });
}

/** Step 1: the response is signed by this connection's IdP and meant for this connection. */
async function verify(deps: ServiceDeps, target: SamlRouteTarget & { connection: SamlConnection }, input: AcsInput, now: Date): Promise<Step<Verified>> {
  const { connection } = target;
  const verified = await verifyAt(deps, connection, input.samlResponse, now);
  if (!verified.ok) {
    const other = await otherConnectionItVerifiesAt(deps, connection, input.samlResponse, now);
    if (other) {
      return refused({
        reason: 'wrong_connection',
        detail: `This response is for the company's connection "${other.name}" (${other.id}), not "${connection.name}" (${connection.id}): ${verified.detail}`,
        unauthenticated: false,
        assertion: other.assertion,
        email: extractProfile(other.assertion, mappingOf(other)).email,
      });
    }
    return refused({ reason: verified.reason, detail: verified.detail, unauthenticated: !verified.authenticated });
  }
  const assertion = verified.assertion;
  const profile = extractProfile(assertion, mappingOf(connection));
  const flow: Flow = assertion.inResponseTo ? 'sp_initiated' : 'idp_initiated';
  const parsedEmail = profile.email ? parseEmail(profile.email) : null;
  const context = { assertion, email: profile.email, flow, unauthenticated: false };
  const off = connectionRefusal(connection, flow);
  if (off) return refused({ ...context, ...off });
  return { ok: true, value: { assertion, profile, parsedEmail, flow } };
}

/**
 * A response refused here that another connection of the same company would accept: it was posted to
 * the wrong connection's ACS (e.g. two IdPs' apps set up with each other's URLs). Only the connection
 * whose IdP entity ID the response claims as Issuer is tried, so a post costs at most one more
 * verification; only the name of the refusal changes, it is refused either way (and nothing is burned).
 */
async function otherConnectionItVerifiesAt(
  deps: ServiceDeps,
  connection: SamlConnection,
  samlResponse: string,
  now: Date,
): Promise<(SamlConnection & { assertion: VerifiedAssertion }) | null> {
  const issuer = claimedIssuer(samlResponse);
  if (issuer === null || issuer === connection.idpEntityId) return null;
  const other = (await listCompanyConnections(deps.db, connection.companyId)).find((c) => c.id !== connection.id && c.idpEntityId === issuer);
  if (!other) return null;
  try {
    const there = await verifyAt(deps, other, samlResponse, now);
    return there.ok ? { ...other, assertion: there.assertion } : null;
  } catch {
    // Its SP key cannot be opened (sealed_key_unreadable): the response keeps the refusal it had here.
    return null;
  }
}

/** Step 2: burn the assertion ID (replay, across every connection of the company) and match InResponseTo to our request and this browser. */
async function claim(
  deps: ServiceDeps,
  target: SamlRouteTarget & { connection: SamlConnection },
  verified: Verified,
  input: AcsInput,
  now: Date,
): Promise<Step<{ relayState: string | null }>> {
  const { assertion } = verified;
  const context = { assertion, email: verified.profile.email, flow: verified.flow, unauthenticated: false };
  const companyId = target.company.id;
  // In its own statement: whatever happens next, it is never accepted twice.
  if (!(await rememberAssertion(deps.db, { companyId, connectionId: target.connection.id, assertionId: assertion.assertionId, expiresAt: assertion.notOnOrAfter }))) {
    return refused({ ...context, reason: 'replayed', detail: `Assertion ${assertion.assertionId} was already used.` });
  }
  if (!assertion.inResponseTo) return { ok: true, value: { relayState: input.relayState } };
  const request = await consumeSamlRequest(deps.db, { companyId, connectionId: target.connection.id, kind: 'authn' }, assertion.inResponseTo, now);
  if (!request) {
    return refused({
      ...context,
      reason: 'unknown_request',
      detail: `InResponseTo ${assertion.inResponseTo} is not a sign-in request we issued for this connection, or it was used or expired.`,
    });
  }
  // Only the browser that started the sign-in may finish it (else a victim's browser could be made to
  // post a response to someone else's request). The request is used up either way, like the assertion
  // ID. A request stored before bindings existed has none, and is refused too.
  if (request.browserBinding === null || input.browserBinding === null || !secretMatchesHash(input.browserBinding, request.browserBinding)) {
    return refused({
      ...context,
      reason: 'request_other_browser',
      detail: `InResponseTo ${assertion.inResponseTo} was started in another browser: ${input.browserBinding === null ? 'no' : 'a different'} sign-in cookie came back.`,
    });
  }
  return { ok: true, value: { relayState: input.relayState ?? request.relayState } };
}

interface SignedIn {
  token: string;
  sessionId: string;
  user: User;
  provisioned: boolean;
  confirmedInvitation: boolean;
  assertion: VerifiedAssertion;
  flow: Flow;
}

/**
 * Steps 3 and 4: decide under the JIT rules and write, in one transaction, under the lock the directory
 * writes take for this person: a deactivation either commits before the directory is read here, or
 * finds the account made here.
 */
async function decideAndApply(
  deps: ServiceDeps,
  target: SamlRouteTarget & { connection: SamlConnection },
  verified: Verified,
  now: Date,
): Promise<Step<SignedIn>> {
  const companyId = target.company.id;
  const { assertion, profile, parsedEmail, flow } = verified;
  const identity = parsedEmail?.ok ? parsedEmail.email : null;
  const context = { assertion, email: profile.email, flow, unauthenticated: false };
  const result = await deps.db.transaction(async (tx): Promise<SignedIn | { refused: Extract<JitDecision, { kind: 'refuse' }> } | null> => {
    if (identity) await lockDirectoryIdentities(tx, companyId, [identity.normalised]);
    const { settings, facts, existingUser } = await gatherJitContext(tx, companyId, profile.email, true, identity);
    const decision = decideJit({ settings, flow, email: profile.email, parsedEmail: parsedEmail ?? undefined, facts });
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
    const { token, session } = await startSession(tx, now, companyId, user.id, {
      connectionId: target.connection.id,
      nameId: assertion.nameId,
      nameIdFormat: assertion.nameIdFormat,
      sessionIndex: assertion.sessionIndex,
      notOnOrAfter: assertion.sessionNotOnOrAfter,
    });
    const signedIn: SignedIn = {
      token,
      sessionId: session.id,
      user,
      provisioned,
      confirmedInvitation: decision.kind === 'sign_in' && decision.confirmInvitation,
      assertion,
      flow,
    };
    await recordOutcome(tx, { companyId, connection: target.connection }, { success: signedIn });
    return signedIn;
  });
  if (result && 'refused' in result) {
    const failed = result.refused.checks.find((c) => c.outcome === 'failed');
    return refused({ ...context, reason: result.refused.reason, detail: failed?.detail ?? result.refused.reason });
  }
  if (!result) return refused({ ...context, reason: 'user_suspended', detail: 'The account was locked while signing in.' });
  return { ok: true, value: result };
}

/** The ACS: `routeKey` is the connection id (or the company id, for the company's first connection) the response was posted to. */
export async function consumeSamlResponse(deps: ServiceDeps, routeKey: string, input: AcsInput): Promise<LoginOutcome> {
  const now = deps.now();
  const target = await resolveSamlRoute(deps.db, routeKey);
  if (!target) return unknownCompany();
  const { connection } = target;
  if (!connection) {
    return refuse(deps, target, { reason: 'saml_not_configured', detail: 'SAML single sign-on is not set up for this company.', unauthenticated: true }, now);
  }
  const at = { ...target, connection };

  const verified = await verify(deps, at, input, now);
  if (!verified.ok) return refuse(deps, target, verified.refusal, now);
  const claimed = await claim(deps, at, verified.value, input, now);
  if (!claimed.ok) return refuse(deps, target, claimed.refusal, now);
  const applied = await decideAndApply(deps, at, verified.value, now);
  if (!applied.ok) return refuse(deps, target, applied.refusal, now);

  await maybeSweepExpired(deps, now);
  const landing =
    safeRelayPath(claimed.value.relayState, deps.publicUrl) ??
    (verified.value.flow === 'idp_initiated'
      ? ((await idpInitiatedHandOff(deps, {
          companyId: target.company.id,
          email: applied.value.user.email,
          relayState: claimed.value.relayState,
          browserBinding: input.browserBinding,
        })) ?? connection.defaultLandingPath)
      : null);
  return {
    ok: true,
    token: applied.value.token,
    redirectTo: landing ?? '/',
    userId: applied.value.user.id,
    companyId: target.company.id,
    provisioned: applied.value.provisioned,
    flow: verified.value.flow,
  };
}
