/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the application sends the browser to
 * the end-session endpoint; the bridge session ends and the browser goes back only to a
 * post_logout_redirect_uri the application registered. The id_token_hint is checked by its signature
 * with jose (an expired one is still a fine hint); without one the person confirms on a page first,
 * so a link on another site cannot sign anyone out by itself.
 */
import { compactVerify, createLocalJWKSet } from 'jose';
import { recordAudit } from '../store/audit.js';
import { findApplication } from '../store/oidc-applications.js';
import type { Application } from '../store/oidc-applications.js';
import { findLiveSessionById, revokeSession } from '../store/sessions.js';
import type { ServiceDeps } from './deps.js';
import { withParams } from './oidc-authorize.js';
import { publishedJwks } from './oidc-keys.js';
import type { SignedInUser } from './sessions.js';

export interface EndSessionParams {
  idTokenHint: string | null;
  clientId: string | null;
  postLogoutRedirectUri: string | null;
  state: string | null;
}

export type EndSessionOutcome =
  | { kind: 'page'; status: 400; error: string; description: string }
  /** No hint: ask the person (a same-origin form posts the same parameters back with confirm=yes). */
  | { kind: 'confirm'; params: EndSessionParams; applicationName: string | null }
  | { kind: 'done'; location: string | null; endedBrowserSession: boolean };

interface Hint {
  sid: string | null;
  aud: string;
}

/** The hint's `sid` and `aud` when we signed it (whatever its age), else null. */
async function readHint(deps: ServiceDeps, idToken: string): Promise<Hint | null> {
  if (idToken.length > 16_000) return null;
  try {
    const { payload } = await compactVerify(idToken, createLocalJWKSet(await publishedJwks(deps)), { algorithms: ['RS256'] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    if (claims.iss !== deps.publicUrl) return null;
    const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
    if (typeof aud !== 'string') return null;
    return { sid: typeof claims.sid === 'string' ? claims.sid : null, aud };
  } catch {
    return null;
  }
}

async function endOne(deps: ServiceDeps, sessionId: string, companyId: string, userId: string, application: Application | null): Promise<boolean> {
  return deps.db.transaction(async (tx) => {
    if (!(await revokeSession(tx, sessionId, deps.now()))) return false;
    await recordAudit(tx, {
      companyId,
      actor: { type: 'user', id: userId },
      action: 'oidc.logout',
      targetType: 'user',
      targetId: userId,
      data: { sessionId, applicationId: application?.id ?? null },
    });
    return true;
  });
}

/**
 * GET or POST /oauth/logout. `signedIn` is the browser's live session; `confirmed` is set when the
 * person pressed the button of the confirmation page.
 */
export async function endSession(deps: ServiceDeps, params: EndSessionParams, signedIn: SignedInUser | null, confirmed: boolean): Promise<EndSessionOutcome> {
  const page = (description: string): EndSessionOutcome => ({ kind: 'page', status: 400, error: 'invalid_request', description });
  const hint = params.idTokenHint === null ? null : await readHint(deps, params.idTokenHint);
  if (params.idTokenHint !== null && hint === null) return page('The id_token_hint was not issued by this provider.');
  if (hint && params.clientId !== null && params.clientId !== hint.aud) return page('client_id differs from the audience of the id_token_hint.');
  const clientId = hint?.aud ?? params.clientId;
  const application = clientId === null ? null : await findApplication(deps.db, clientId);
  if (clientId !== null && !application) return page('No application has this client_id.');
  if (params.postLogoutRedirectUri !== null) {
    if (!application) return page('post_logout_redirect_uri needs client_id or id_token_hint, to know whose registered URIs to check.');
    if (!application.postLogoutRedirectUris.includes(params.postLogoutRedirectUri)) {
      return page(`post_logout_redirect_uri is not one registered for the application "${application.name}" (they are compared exactly).`);
    }
  }
  const location = params.postLogoutRedirectUri === null ? null : withParams(params.postLogoutRedirectUri, { state: params.state });
  if (!hint && !confirmed) {
    if (!signedIn) return { kind: 'done', location, endedBrowserSession: false };
    return { kind: 'confirm', params, applicationName: application?.name ?? null };
  }
  let endedBrowserSession = false;
  if (signedIn && (!hint || hint.sid === null || hint.sid === signedIn.session.id)) {
    endedBrowserSession = await endOne(deps, signedIn.session.id, signedIn.company.id, signedIn.user.id, application);
  } else if (hint?.sid) {
    // The session the token names, even when this browser holds another one (or none).
    const live = await findLiveSessionById(deps.db, hint.sid, deps.now());
    if (live) await endOne(deps, live.session.id, live.session.companyId, live.session.userId, application);
  }
  return { kind: 'done', location, endedBrowserSession };
}
