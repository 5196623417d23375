/**
 * SAML Single Logout (profiles §4.4), both ways. IdP-initiated: a signed LogoutRequest at
 * /saml/<connection>/slo ends that connection's sessions of the NameID (and SessionIndexes) and is
 * answered with a signed LogoutResponse in the IdP's binding. SP-initiated: ending a session that a
 * connection with an IdP SLO URL and an SP signing key signed in sends the browser to the IdP with a
 * signed LogoutRequest, stored (kind 'logout') so the IdP's answer is accepted once.
 * Every outcome is audited on the connection's company; refusals nobody authenticated go to the hourly
 * aggregate row, as at the ACS.
 */
import { randomBytes } from 'node:crypto';
import type { SamlFailureReason } from '../core/reasons.js';
import { buildLogoutRequestXml, buildLogoutResponseXml, encodeLogoutMessage, readLogoutMessage, STATUS_REQUESTER, STATUS_SUCCESS, STATUS_UNKNOWN_PRINCIPAL } from '../saml/index.js';
import type { IncomingLogout, LogoutMessage, OutgoingLogout } from '../saml/index.js';
import { recordAggregatedAudit, recordAudit } from '../store/audit.js';
import type { Actor, AuditInput } from '../store/audit.js';
import type { SamlConnection } from '../store/saml.js';
import { consumeSamlRequest, findConnectionById, insertSamlRequest } from '../store/saml.js';
import type { Session } from '../store/sessions.js';
import { revokeSamlSessions, revokeSession } from '../store/sessions.js';
import type { ServiceDeps } from './deps.js';
import { SealedKeyUnreadableError, spIdentityFor } from './sp-keys.js';
import { connectionRef } from './saml-connection.js';
import { resolveSamlRoute } from './saml-route.js';
import type { SamlRouteTarget } from './saml-route.js';
import { resolveSession } from './sessions.js';

/** How long the IdP has to answer our LogoutRequest. */
export const LOGOUT_REQUEST_LIFETIME_MS = 10 * 60 * 1000;

export type SloRefusalReason =
  | SamlFailureReason
  | 'unknown_company'
  | 'saml_not_configured'
  | 'unknown_session'
  | 'unknown_request'
  | 'sp_signing_key_missing'
  | 'idp_slo_url_missing';

export type SloOutcome =
  /** Send the browser to the IdP with our signed LogoutResponse. */
  | { kind: 'send'; message: OutgoingLogout }
  /** Our own LogoutRequest was answered: the browser goes home, signed out. */
  | { kind: 'signed_out' }
  | { kind: 'refused'; reason: SloRefusalReason; status: 400 | 403 | 404 | 409 | 413 | 503; companyName: string | null; connectionName: string | null };

type Target = SamlRouteTarget & { connection: SamlConnection };

const newMessageId = (): string => `_${randomBytes(20).toString('hex')}`;

/** A Single Logout step that went through, audited on the connection. */
async function recordLogout(deps: ServiceDeps, connection: SamlConnection, actor: Actor, data: Record<string, unknown>): Promise<void> {
  await recordAudit(deps.db, {
    companyId: connection.companyId,
    actor,
    action: 'saml.logout',
    targetType: 'saml_connection',
    targetId: connection.id,
    data: { ...data, connection: connectionRef(connection) },
  });
}

function statusOf(reason: SloRefusalReason): 400 | 403 | 404 | 409 | 413 | 503 {
  if (reason === 'unknown_company' || reason === 'saml_not_configured') return 404;
  if (reason === 'too_large') return 413;
  if (reason === 'malformed' || reason === 'dtd_forbidden' || reason === 'invalid_characters') return 400;
  if (reason === 'sp_signing_key_missing' || reason === 'idp_slo_url_missing') return 409;
  if (reason === 'config_invalid') return 503;
  return 403;
}

async function refuse(
  deps: ServiceDeps,
  target: Target,
  refusal: { reason: SloRefusalReason; detail: string; authenticated: boolean; data?: Record<string, unknown> },
): Promise<SloOutcome> {
  const now = deps.now();
  const event: AuditInput = {
    companyId: target.company.id,
    actor: { type: 'idp', id: refusal.authenticated ? target.connection.idpEntityId : null },
    action: 'saml.logout_refused',
    reason: refusal.reason,
    targetType: 'saml_connection',
    targetId: target.connection.id,
    data: { detail: refusal.detail, connection: connectionRef(target.connection), ...refusal.data },
  };
  if (refusal.authenticated) await recordAudit(deps.db, event);
  else await recordAggregatedAudit(deps.db, { ...event, aggregateKey: `saml.logout_refused:${refusal.reason}:${now.toISOString().slice(0, 13)}`, at: now });
  return { kind: 'refused', reason: refusal.reason, status: statusOf(refusal.reason), companyName: target.company.name, connectionName: target.connection.name };
}

/** The connection's SP signing key and IdP SLO endpoint, or why a logout message cannot be sent. */
function sender(deps: ServiceDeps, connection: SamlConnection) {
  const sp = spIdentityFor(deps, connection);
  if (!connection.sloUrl || !connection.sloBinding) return { ok: false as const, missing: 'idp_slo_url_missing' as const };
  if (!sp.signing) return { ok: false as const, missing: 'sp_signing_key_missing' as const };
  const { signing } = sp;
  return {
    ok: true as const,
    sp,
    endpoint: connection.sloUrl,
    binding: connection.sloBinding,
    // Unsealed only now; SealedKeyUnreadableError when no configured secret opens it.
    signing: () => ({
      certificatePem: signing.certificatePem,
      privateKeyPem: typeof signing.privateKeyPem === 'string' ? signing.privateKeyPem : signing.privateKeyPem(),
    }),
  };
}

/** GET|POST /saml/<routeKey>/slo: an IdP's LogoutRequest, or its LogoutResponse to ours. */
export async function handleSloMessage(deps: ServiceDeps, routeKey: string, incoming: IncomingLogout): Promise<SloOutcome> {
  const resolved = await resolveSamlRoute(deps.db, routeKey);
  if (!resolved) return { kind: 'refused', reason: 'unknown_company', status: 404, companyName: null, connectionName: null };
  if (!resolved.connection) return { kind: 'refused', reason: 'saml_not_configured', status: 404, companyName: resolved.company.name, connectionName: null };
  const target: Target = { company: resolved.company, connection: resolved.connection };
  const { connection } = target;
  const read = readLogoutMessage({
    incoming,
    idp: { entityId: connection.idpEntityId, certificatesPem: connection.certificates, allowSha1: connection.allowSha1 },
    sloUrl: spIdentityFor(deps, connection).sloUrl!,
    now: deps.now(),
    clockSkewMs: connection.clockSkewSeconds * 1000,
  });
  if (!read.ok) {
    // Refused before anything was trusted: no signed answer (that would sign whatever anyone sent).
    return refuse(deps, target, { reason: read.reason, detail: read.detail, authenticated: false, data: { binding: incoming.binding } });
  }
  const message = read.message;
  if (message.kind === 'LogoutResponse') return completeSpInitiatedLogout(deps, target, message);
  return answerLogoutRequest(deps, target, message);
}

async function answerLogoutRequest(deps: ServiceDeps, target: Target, request: Extract<LogoutMessage, { kind: 'LogoutRequest' }>): Promise<SloOutcome> {
  const { company, connection } = target;
  const now = deps.now();
  const ended = await revokeSamlSessions(
    deps.db,
    { companyId: company.id, connectionId: connection.id, nameId: request.nameId, sessionIndexes: request.sessionIndexes },
    now,
  );
  const facts = { requestId: request.id, nameId: request.nameId, sessionIndexes: request.sessionIndexes, binding: request.binding, sessionsEnded: ended.map((s) => s.id) };
  const send = sender(deps, connection);
  if (!send.ok) {
    const detail =
      send.missing === 'idp_slo_url_missing'
        ? `The SAML connection "${connection.name}" has no IdP SLO URL to answer the LogoutRequest at (the sessions were ended).`
        : `The SAML connection "${connection.name}" has no SP signing key, so the LogoutResponse cannot be signed (the sessions were ended).`;
    return refuse(deps, target, { reason: send.missing, detail, authenticated: true, data: facts });
  }
  let signing: { privateKeyPem: string; certificatePem: string };
  try {
    signing = send.signing();
  } catch (error) {
    if (!(error instanceof SealedKeyUnreadableError)) throw error;
    return refuse(deps, target, { reason: 'config_invalid', detail: error.message, authenticated: true, data: facts });
  }
  const known = ended.length > 0;
  const xml = buildLogoutResponseXml({
    id: newMessageId(),
    now,
    issuer: send.sp.entityId,
    destination: send.endpoint,
    inResponseTo: request.id,
    // Core §3.2.2.2: UnknownPrincipal when no session of the principal is known here.
    status: known ? { code: STATUS_SUCCESS } : { code: STATUS_REQUESTER, subCode: STATUS_UNKNOWN_PRINCIPAL },
  });
  const message = encodeLogoutMessage({ xml, field: 'SAMLResponse', binding: send.binding, endpoint: send.endpoint, relayState: request.relayState, signing });
  if (!known) {
    await refuse(deps, target, { reason: 'unknown_session', detail: `No live session of ${request.nameId} from this connection.`, authenticated: true, data: facts });
  } else {
    await recordLogout(deps, connection, { type: 'idp', id: connection.idpEntityId }, { flow: 'idp_initiated', ...facts, userIds: [...new Set(ended.map((s) => s.userId))] });
  }
  return { kind: 'send', message };
}

async function completeSpInitiatedLogout(deps: ServiceDeps, target: Target, response: Extract<LogoutMessage, { kind: 'LogoutResponse' }>): Promise<SloOutcome> {
  const { company, connection } = target;
  const facts = { responseId: response.id, inResponseTo: response.inResponseTo, binding: response.binding, idpStatus: response.statusCode, idpSubStatus: response.subStatusCode };
  const matched = response.inResponseTo
    ? await consumeSamlRequest(deps.db, { companyId: company.id, connectionId: connection.id, kind: 'logout' }, response.inResponseTo, deps.now())
    : null;
  if (!matched) {
    return refuse(deps, target, {
      reason: 'unknown_request',
      detail: `The LogoutResponse answers ${response.inResponseTo ?? 'nothing'}: no unused LogoutRequest of this connection has that ID.`,
      authenticated: true,
      data: facts,
    });
  }
  // The bridge session ended when the request was sent; a non-success status is only recorded.
  await recordLogout(deps, connection, { type: 'idp', id: connection.idpEntityId }, { flow: 'sp_initiated', step: 'completed', ...facts });
  return { kind: 'signed_out' };
}

/**
 * After a session ended here: when a SAML connection signed it in and can do Single Logout (an IdP
 * SLO URL and an SP signing key), the signed LogoutRequest the browser takes to the IdP; else null.
 * The OIDC end-session work can call it the same way.
 */
export async function startSpInitiatedLogout(deps: ServiceDeps, session: Session): Promise<OutgoingLogout | null> {
  if (!session.connectionId || !session.nameId) return null;
  const connection = await findConnectionById(deps.db, session.connectionId);
  if (!connection || connection.companyId !== session.companyId) return null;
  const send = sender(deps, connection);
  if (!send.ok) return null;
  let signing: { privateKeyPem: string; certificatePem: string };
  try {
    signing = send.signing();
  } catch (error) {
    // The local sign-out stands; only the IdP is not told.
    if (error instanceof SealedKeyUnreadableError) return null;
    throw error;
  }
  const now = deps.now();
  const requestId = newMessageId();
  await insertSamlRequest(deps.db, {
    id: requestId,
    companyId: connection.companyId,
    connectionId: connection.id,
    kind: 'logout',
    relayState: null,
    browserBinding: null,
    expiresAt: new Date(now.getTime() + LOGOUT_REQUEST_LIFETIME_MS),
  });
  const xml = buildLogoutRequestXml({
    id: requestId,
    now,
    issuer: send.sp.entityId,
    destination: send.endpoint,
    nameId: session.nameId,
    nameIdFormat: session.nameIdFormat,
    sessionIndex: session.sessionIndex,
    notOnOrAfter: new Date(now.getTime() + LOGOUT_REQUEST_LIFETIME_MS),
  });
  await recordLogout(deps, connection, { type: 'user', id: session.userId }, { flow: 'sp_initiated', step: 'request_sent', requestId, sessionId: session.id, binding: send.binding });
  return encodeLogoutMessage({ xml, field: 'SAMLRequest', binding: send.binding, endpoint: send.endpoint, signing });
}

/** Ends the session of `token` (if live) and returns the IdP logout to send the browser on, if any. */
export async function endSessionWithSingleLogout(deps: ServiceDeps, token: string): Promise<OutgoingLogout | null> {
  const found = await resolveSession(deps, token);
  if (!found) return null;
  if (!(await revokeSession(deps.db, found.session.id, deps.now()))) return null;
  return startSpInitiatedLogout(deps, found.session);
}
