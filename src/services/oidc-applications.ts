/**
 * Operator use cases for the applications (OIDC clients): register one, change it, rotate its client
 * secret, delete it. A client secret exists in clear only in the response that creates it; the
 * database keeps its SHA-256. Every write is audited as an operator-level event (no company).
 */
import { hashSecret, newId, newSecret } from '../crypto.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { Executor } from '../store/db.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Application, ApplicationChanges } from '../store/oidc-applications.js';
import {
  clearDefaultExcept,
  deleteApplication as deleteApplicationRow,
  findApplication,
  insertApplication,
  listApplications,
  lockApplication,
  updateApplication as updateApplicationRow,
} from '../store/oidc-applications.js';
import type { ServiceDeps } from './deps.js';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';

export type { Application };
export { listApplications };

/** An application keeps one secret, or two while its owner rotates from the old one to the new one. */
export const MAX_CLIENT_SECRETS = 2;
export const MAX_REDIRECT_URIS = 20;
export const MAX_URI_LENGTH = 2000;

/** Whether http://localhost and http://127.0.0.1 are acceptable: in development only, never in production. */
export interface UriPolicy {
  allowLoopbackHttp: boolean;
}

/** A new application; an absent or null optional field means none. */
export interface ApplicationInput {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[] | null | undefined;
  initiateLoginUri?: string | null | undefined;
  backchannelLogoutUri?: string | null | undefined;
  isDefault?: boolean | null | undefined;
}

/** A PATCH: any field of the create body; null clears an optional URI. */
export interface ApplicationPatch {
  name?: string | undefined;
  redirectUris?: string[] | undefined;
  postLogoutRedirectUris?: string[] | null | undefined;
  initiateLoginUri?: string | null | undefined;
  backchannelLogoutUri?: string | null | undefined;
  isDefault?: boolean | undefined;
}

// ---- URI rules

/** Each URI field's error code, so a client can tell which field it got wrong without parsing the message. */
const URI_CODES = {
  redirectUris: 'invalid_redirect_uris',
  postLogoutRedirectUris: 'invalid_post_logout_redirect_uris',
  initiateLoginUri: 'invalid_initiate_login_uri',
  backchannelLogoutUri: 'invalid_backchannel_logout_uri',
} as const;
type UriField = keyof typeof URI_CODES;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1']);
// The URL parser silently drops tabs, line breaks and surrounding spaces: the stored string would then
// differ from the one that was checked, and redirect URIs are compared exactly.
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;
// `https://user:pass@host`, and also `https://@host`, which the parser reads as an empty userinfo.
const USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

/** Why `uri` is not acceptable for an application, or null when it is. */
function uriProblem(uri: string, policy: UriPolicy): string | null {
  if (uri.length > MAX_URI_LENGTH) return `is longer than ${MAX_URI_LENGTH} characters`;
  if (WHITESPACE_OR_CONTROL.test(uri)) return 'contains whitespace or a control character';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  // `#` with an empty fragment leaves url.hash empty: the raw string is what counts.
  if (uri.includes('#')) return 'must not contain a fragment (#)';
  if (url.username !== '' || url.password !== '' || USERINFO.test(uri)) return 'must not contain a user name or password';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) {
    return policy.allowLoopbackHttp ? null : 'must use https (http://localhost and http://127.0.0.1 are allowed only in development)';
  }
  return 'must use https (http is allowed only for localhost and 127.0.0.1, in development)';
}

const quoted = (uri: string) => JSON.stringify(uri.length > 100 ? `${uri.slice(0, 100)}…` : uri);

function checkUri(field: UriField, label: string, uri: string, policy: UriPolicy): void {
  const problem = uriProblem(uri, policy);
  if (problem) throw new InvalidInputError(URI_CODES[field], `${label} ${problem}: ${quoted(uri)}.`);
}

function checkUriList(field: 'redirectUris' | 'postLogoutRedirectUris', uris: string[], policy: UriPolicy): void {
  const min = field === 'redirectUris' ? 1 : 0;
  if (uris.length < min || uris.length > MAX_REDIRECT_URIS) {
    throw new InvalidInputError(URI_CODES[field], `${field} must list ${min} to ${MAX_REDIRECT_URIS} URIs (it lists ${uris.length}).`);
  }
  uris.forEach((uri, index) => checkUri(field, `${field}[${index}]`, uri, policy));
  const duplicate = uris.find((uri, index) => uris.indexOf(uri) !== index);
  if (duplicate !== undefined) throw new InvalidInputError(URI_CODES[field], `${field} lists ${quoted(duplicate)} twice.`);
}

/** Checks every URI the input carries (absent and null fields are left alone). */
function checkUris(input: Pick<ApplicationPatch, UriField>, policy: UriPolicy): void {
  if (input.redirectUris !== undefined) checkUriList('redirectUris', input.redirectUris, policy);
  if (input.postLogoutRedirectUris != null) checkUriList('postLogoutRedirectUris', input.postLogoutRedirectUris, policy);
  if (input.initiateLoginUri != null) checkUri('initiateLoginUri', 'initiateLoginUri', input.initiateLoginUri, policy);
  if (input.backchannelLogoutUri != null) checkUri('backchannelLogoutUri', 'backchannelLogoutUri', input.backchannelLogoutUri, policy);
}

// ---- the default application

/**
 * Runs a write that may mark an application default. Two operators marking two applications default
 * at once both find no other default to clear; the partial unique index then refuses the second
 * commit, and running it again clears the first one's mark. Anything else is rethrown.
 */
async function withDefaultRetry<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isUniqueViolation(error, 'oidc_applications_one_default')) throw error;
      if (attempt === 3) throw new ConflictError('default_application_conflict', 'Another application was made the default at the same time; try again.');
    }
  }
}

/** Takes the default mark off the others (audited on each), so `id` can carry it. */
async function takeDefaultFromOthers(tx: Executor, actor: Actor, id: string, at: Date): Promise<void> {
  for (const previous of await clearDefaultExcept(tx, id, at)) {
    await recordAudit(tx, {
      companyId: null,
      actor,
      action: 'oidc_application.updated',
      targetType: 'oidc_application',
      targetId: previous,
      data: { fields: ['isDefault'], defaultMovedTo: id },
    });
  }
}

// ---- use cases

function notFound(id: string): NotFoundError {
  return new NotFoundError('application_not_found', `No application ${id}.`);
}

/** The application, or NotFoundError. */
export async function requireApplication(deps: ServiceDeps, id: string): Promise<Application> {
  const app = await findApplication(deps.db, id);
  if (!app) throw notFound(id);
  return app;
}

function newSecretEntry(at: Date) {
  const clientSecret = newSecret();
  return { clientSecret, entry: { id: newId('sec'), hash: hashSecret(clientSecret), createdAt: at.toISOString() } };
}

/** Registers an application; `clientSecret` is the only time its secret exists outside the caller. */
export async function createApplication(
  deps: ServiceDeps,
  actor: Actor,
  input: ApplicationInput,
  policy: UriPolicy,
): Promise<{ application: Application; clientSecret: string }> {
  checkUris(input, policy);
  const at = deps.now();
  const id = newId('app');
  const { clientSecret, entry } = newSecretEntry(at);
  const application = await withDefaultRetry(() =>
    deps.db.transaction(async (tx) => {
      if (input.isDefault) await takeDefaultFromOthers(tx, actor, id, at);
      const row = await insertApplication(tx, {
        id,
        name: input.name,
        secrets: [entry],
        redirectUris: input.redirectUris,
        postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
        initiateLoginUri: input.initiateLoginUri ?? null,
        backchannelLogoutUri: input.backchannelLogoutUri ?? null,
        isDefault: input.isDefault ?? false,
        createdAt: at,
        updatedAt: at,
      });
      const fields = Object.keys(input).filter((key) => input[key as keyof ApplicationInput] != null);
      await recordAudit(tx, { companyId: null, actor, action: 'oidc_application.created', targetType: 'oidc_application', targetId: id, data: { name: input.name, fields } });
      return row;
    }),
  );
  return { application, clientSecret };
}

/** The patch as column values, keeping only what differs from `current`. */
function changesFrom(current: Application, patch: ApplicationPatch): ApplicationChanges {
  const wanted: ApplicationChanges = {};
  if (patch.name !== undefined) wanted.name = patch.name;
  if (patch.redirectUris !== undefined) wanted.redirectUris = patch.redirectUris;
  if (patch.postLogoutRedirectUris !== undefined) wanted.postLogoutRedirectUris = patch.postLogoutRedirectUris ?? [];
  if (patch.initiateLoginUri !== undefined) wanted.initiateLoginUri = patch.initiateLoginUri;
  if (patch.backchannelLogoutUri !== undefined) wanted.backchannelLogoutUri = patch.backchannelLogoutUri;
  if (patch.isDefault !== undefined) wanted.isDefault = patch.isDefault;
  const changed = Object.entries(wanted).filter(([key, value]) => JSON.stringify(current[key as keyof ApplicationChanges]) !== JSON.stringify(value));
  return Object.fromEntries(changed) as ApplicationChanges;
}

/** Changes any of the create fields; an unchanged value is neither written nor audited. */
export async function updateApplication(deps: ServiceDeps, actor: Actor, id: string, patch: ApplicationPatch, policy: UriPolicy): Promise<Application> {
  if (Object.values(patch).every((value) => value === undefined)) {
    throw new InvalidInputError('nothing_to_change', 'The body names no field to change.');
  }
  checkUris(patch, policy);
  const at = deps.now();
  return withDefaultRetry(() =>
    deps.db.transaction(async (tx) => {
      const current = await lockApplication(tx, id);
      if (!current) throw notFound(id);
      const changes = changesFrom(current, patch);
      const fields = Object.keys(changes);
      if (fields.length === 0) return current;
      if (changes.isDefault) await takeDefaultFromOthers(tx, actor, id, at);
      const row = await updateApplicationRow(tx, id, changes, at);
      await recordAudit(tx, { companyId: null, actor, action: 'oidc_application.updated', targetType: 'oidc_application', targetId: id, data: { fields } });
      return row!;
    }),
  );
}

/** Deletes the application: its pending authorizations, codes, tokens and deliveries go with it. */
export async function deleteApplication(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const deleted = await deleteApplicationRow(tx, id);
    if (!deleted) throw notFound(id);
    await recordAudit(tx, { companyId: null, actor, action: 'oidc_application.deleted', targetType: 'oidc_application', targetId: id, data: { name: deleted.name } });
  });
}

/**
 * Adds a second client secret for a rotation: both authenticate until the old one is removed. The row
 * is locked, so two concurrent calls cannot both see room for one more.
 */
export async function addClientSecret(deps: ServiceDeps, actor: Actor, id: string): Promise<{ secretId: string; clientSecret: string }> {
  const at = deps.now();
  const { clientSecret, entry } = newSecretEntry(at);
  await deps.db.transaction(async (tx) => {
    const current = await lockApplication(tx, id);
    if (!current) throw notFound(id);
    if (current.secrets.length >= MAX_CLIENT_SECRETS) {
      throw new ConflictError(
        'too_many_client_secrets',
        `Application ${id} already has ${MAX_CLIENT_SECRETS} client secrets; remove the old one (DELETE .../secrets/{secretId}) before adding another.`,
      );
    }
    await updateApplicationRow(tx, id, { secrets: [...current.secrets, entry] }, at);
    await recordAudit(tx, { companyId: null, actor, action: 'oidc_application.secret_added', targetType: 'oidc_application', targetId: id, data: { secretId: entry.id } });
  });
  return { secretId: entry.id, clientSecret };
}

/** Removes one client secret; the last one stays (an application without a secret could never authenticate). */
export async function removeClientSecret(deps: ServiceDeps, actor: Actor, id: string, secretId: string): Promise<void> {
  const at = deps.now();
  await deps.db.transaction(async (tx) => {
    const current = await lockApplication(tx, id);
    if (!current) throw notFound(id);
    if (!current.secrets.some((s) => s.id === secretId)) {
      throw new NotFoundError('client_secret_not_found', `Application ${id} has no client secret ${secretId}.`);
    }
    if (current.secrets.length === 1) {
      throw new ConflictError('last_client_secret', `${secretId} is the only client secret of application ${id}; add a new one first.`);
    }
    await updateApplicationRow(tx, id, { secrets: current.secrets.filter((s) => s.id !== secretId) }, at);
    await recordAudit(tx, { companyId: null, actor, action: 'oidc_application.secret_removed', targetType: 'oidc_application', targetId: id, data: { secretId } });
  });
}
