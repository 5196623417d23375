/**
 * Admin use cases for a company's SAML connections (zero or more, each with its own id, IdP and SP
 * URLs), and the SP identity the ACS verifies against. `PUT|GET …/saml` and `/saml/<companyId>/...`
 * are aliases of the company's first connection.
 */
import type { Flow } from '../core/jit.js';
import { safeRelayPath } from '../core/relay-state.js';
import { newId } from '../crypto.js';
import { CertificateError, certificateInfo, normalizeCertificatePem, parseIdpMetadata } from '../saml/index.js';
import type { IdpMetadata } from '../saml/index.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { SamlConnection, SamlConnectionPatch } from '../store/saml.js';
import {
  deleteSamlConnection,
  findCompanyConnection,
  findCompanyConnectionById,
  idpEntityIdTaken,
  insertSamlConnection,
  listCompanyConnections,
  updateSamlConnection,
} from '../store/saml.js';
import { revokeConnectionSessions } from '../store/sessions.js';
import type { ServiceDeps } from './deps.js';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';
import { checkKeyPair, checkSigningPair, sealEncryptionKey, sealSigningKey } from './sp-keys.js';
import { metadataColumns, readyIdp } from './idp-metadata-url.js';
import type { ReadyIdpInput } from './idp-metadata-url.js';

/** The routes present it; they never import the store. */
export type { SamlConnection };

/** The clock skew a connection may allow on assertion times: at most 5 minutes. */
export const MAX_CLOCK_SKEW_SECONDS = 300;
export const DEFAULT_CONNECTION_NAME = 'SAML';

export type SsoBinding = 'redirect' | 'post';

export type AttributeField = 'email' | 'firstName' | 'lastName' | 'groups';

export type IdpInput =
  | { metadataXml: string }
  /** An https URL serving the IdP's metadata: fetched on save, then refreshed on a schedule. */
  | { metadataUrl: string }
  /** Manual `ssoBinding` (default 'redirect'): whether ssoUrl takes the AuthnRequest by HTTP-Redirect or HTTP-POST. */
  | { idpEntityId: string; ssoUrl: string; ssoBinding?: SsoBinding | undefined; certificates: string[] };

export interface ConnectionOptions {
  /** Tolerance on assertion times, 0..300 seconds (default 120). */
  clockSkewSeconds?: number | undefined;
  /** Accept IdP-initiated sign-in (an unsolicited response) at all (default true). */
  idpInitiatedAllowed?: boolean | undefined;
  /** Where an IdP-initiated sign-in without RelayState lands: a path on our own origin; null clears. */
  defaultLandingPath?: string | null | undefined;
  /** Accept a signature by an expired IdP certificate (default false). */
  allowExpiredCertificates?: boolean | undefined;
  /** Also require samlify's own verdict on every sign-in (default false). */
  strictSecondVerdict?: boolean | undefined;
}

export interface SamlConnectionInput extends ConnectionOptions {
  idp: IdpInput;
  /** The IdP's Single Logout endpoint (manual set-up; metadata brings its own); null clears. */
  slo?: { url: string; binding: SsoBinding } | null | undefined;
  allowSha1?: boolean | undefined;
  attributeMapping?: Partial<Record<AttributeField, string>> | undefined;
  spEntityId?: string | null | undefined;
  acsUrl?: string | null | undefined;
  spEncryption?: { privateKeyPem: string; certificatePem: string } | null | undefined;
  /**
   * The SP signing key pair (signed AuthnRequests, Single Logout). A new pair replaces the current one,
   * whose certificate stays published as the previous one until `dropPreviousSpSigningCertificate`
   * (a rollover: the IdP trusts both while its admin loads the new one); null removes signing.
   */
  spSigning?: { privateKeyPem: string; certificatePem: string } | null | undefined;
  dropPreviousSpSigningCertificate?: boolean | undefined;
  /** Sign AuthnRequests with the SP signing key (needs one). */
  signAuthnRequests?: boolean | undefined;
}

/** How audit events name a connection. */
export function connectionRef(connection: Pick<SamlConnection, 'id' | 'name'>): { id: string; name: string } {
  return { id: connection.id, name: connection.name };
}

/** What the ACS refuses of a connection before the JIT rules are asked (login.ts and the JIT explanation), or null. */
export function connectionRefusal(connection: SamlConnection, flow: Flow): { reason: 'connection_disabled' | 'idp_initiated_disabled'; detail: string } | null {
  if (!connection.enabled) return { reason: 'connection_disabled', detail: `The SAML connection "${connection.name}" (${connection.id}) is disabled.` };
  if (flow === 'idp_initiated' && !connection.idpInitiatedAllowed) {
    return { reason: 'idp_initiated_disabled', detail: `The SAML connection "${connection.name}" accepts only responses to sign-ins this application started.` };
  }
  return null;
}

function requireHttpUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInputError('invalid_url', `${field} must be an absolute URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidInputError('invalid_url', `${field} must use https.`);
  // Kept as typed: the IdP compares Destination/ACS URLs as strings, and URL#toString may add a slash.
  return value.trim();
}

function requireCertificates(list: string[]): string[] {
  if (list.length === 0) throw new InvalidInputError('certificate_required', 'At least one IdP signing certificate is needed.');
  const pems = list.map((pem, index) => {
    try {
      return normalizeCertificatePem(pem);
    } catch (error) {
      if (error instanceof CertificateError) {
        throw new InvalidInputError('invalid_certificate', `certificates[${index}] is not an X.509 certificate in PEM or base64 form.`);
      }
      throw error;
    }
  });
  return [...new Set(pems)];
}

function fromMetadata(metadata: IdpMetadata) {
  return {
    entityId: metadata.entityId,
    ssoUrl: metadata.ssoUrl,
    ssoBinding: metadata.ssoBinding,
    certificates: requireCertificates(metadata.certificatesPem),
    slo: metadata.slo ?? null,
  };
}

function resolveIdp(input: ReadyIdpInput): {
  entityId: string;
  ssoUrl: string;
  ssoBinding: SsoBinding;
  certificates: string[];
  slo?: { url: string; binding: SsoBinding } | null;
} {
  if ('metadataUrl' in input) return fromMetadata(input.metadata);
  if ('metadataXml' in input) {
    const parsed = parseIdpMetadata(input.metadataXml);
    if (!parsed.ok) throw new InvalidInputError(`metadata_${parsed.reason}`, `The IdP metadata could not be used: ${parsed.detail}.`);
    return fromMetadata(parsed.metadata);
  }
  return {
    entityId: input.idpEntityId,
    ssoUrl: requireHttpUrl(input.ssoUrl, 'ssoUrl'),
    ssoBinding: input.ssoBinding ?? 'redirect',
    certificates: requireCertificates(input.certificates),
  };
}

/** The SP signing columns an input sets: a new pair moves the current certificate to "previous" (a rollover). */
function signingColumns(deps: ServiceDeps, input: Partial<SamlConnectionInput>, previous: SamlConnection | null): SamlConnectionPatch {
  const patch: SamlConnectionPatch = {};
  if (input.spSigning === null) {
    Object.assign(patch, { spSigningCertificate: null, spSigningKeySealed: null, spSigningPreviousCertificate: null });
  } else if (input.spSigning !== undefined) {
    const pair = checkSigningPair(input.spSigning);
    const current = previous?.spSigningCertificate ?? null;
    patch.spSigningCertificate = pair.certificatePem;
    patch.spSigningKeySealed = sealSigningKey(deps, pair.privateKeyPem);
    patch.spSigningPreviousCertificate = current !== null && current !== pair.certificatePem ? current : (previous?.spSigningPreviousCertificate ?? null);
  }
  if (input.dropPreviousSpSigningCertificate) patch.spSigningPreviousCertificate = null;
  if (input.signAuthnRequests !== undefined) patch.signAuthnRequests = input.signAuthnRequests;
  const willSign = patch.signAuthnRequests ?? previous?.signAuthnRequests ?? false;
  const willHaveKey = patch.spSigningCertificate !== undefined ? patch.spSigningCertificate !== null : Boolean(previous?.spSigningCertificate);
  if (willSign && !willHaveKey) {
    throw new InvalidInputError('signing_key_required', 'signAuthnRequests needs an SP signing key: send spSigning {privateKeyPem, certificatePem} too.');
  }
  return patch;
}

function requireName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100) throw new InvalidInputError('invalid_name', 'name must be 1 to 100 characters.');
  return trimmed;
}

/** The option columns the input sets (omitted options are left out, so they keep their value). */
function optionColumns(input: ConnectionOptions, publicUrl: string): SamlConnectionPatch {
  const patch: SamlConnectionPatch = {};
  if (input.clockSkewSeconds !== undefined) {
    if (!Number.isInteger(input.clockSkewSeconds) || input.clockSkewSeconds < 0 || input.clockSkewSeconds > MAX_CLOCK_SKEW_SECONDS) {
      throw new InvalidInputError('invalid_clock_skew', `clockSkewSeconds must be a whole number of seconds from 0 to ${MAX_CLOCK_SKEW_SECONDS}.`);
    }
    patch.clockSkewSeconds = input.clockSkewSeconds;
  }
  if (input.idpInitiatedAllowed !== undefined) patch.idpInitiatedAllowed = input.idpInitiatedAllowed;
  if (input.allowExpiredCertificates !== undefined) patch.allowExpiredCertificates = input.allowExpiredCertificates;
  if (input.strictSecondVerdict !== undefined) patch.strictSecondVerdict = input.strictSecondVerdict;
  if (input.defaultLandingPath !== undefined) {
    if (input.defaultLandingPath === null || input.defaultLandingPath === '') {
      patch.defaultLandingPath = null;
    } else {
      const path = safeRelayPath(input.defaultLandingPath, publicUrl);
      if (path === null) throw new InvalidInputError('invalid_landing_path', 'defaultLandingPath must be a path on this origin, such as /dashboard.');
      patch.defaultLandingPath = path;
    }
  }
  return patch;
}

function sloColumns(slo: { url: string; binding: SsoBinding } | null): SamlConnectionPatch {
  return slo ? { sloUrl: requireHttpUrl(slo.url, 'sloUrl'), sloBinding: slo.binding } : { sloUrl: null, sloBinding: null };
}

/** The columns an input sets, over the connection's current values (`previous`, null for a new one). */
function connectionColumns(
  deps: ServiceDeps,
  input: Partial<Omit<SamlConnectionInput, 'idp'>> & { idp?: ReadyIdpInput | undefined },
  previous: SamlConnection | null,
): SamlConnectionPatch {
  const patch: SamlConnectionPatch = { ...optionColumns(input, deps.publicUrl), ...signingColumns(deps, input, previous) };
  if (input.idp) {
    const idp = resolveIdp(input.idp);
    Object.assign(patch, { idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, ssoBinding: idp.ssoBinding, certificates: idp.certificates });
    Object.assign(patch, metadataColumns(deps, input.idp));
    // Metadata brings its own SLO endpoint (or none); a manual set-up keeps its sloUrl unless told.
    if (idp.slo !== undefined) Object.assign(patch, sloColumns(idp.slo));
  }
  if (input.slo !== undefined) Object.assign(patch, sloColumns(input.slo));
  if (input.allowSha1 !== undefined) patch.allowSha1 = input.allowSha1;
  if (input.attributeMapping !== undefined) patch.attributeMapping = input.attributeMapping;
  if (input.spEntityId !== undefined) patch.spEntityIdOverride = input.spEntityId;
  if (input.acsUrl !== undefined) patch.acsUrlOverride = input.acsUrl ? requireHttpUrl(input.acsUrl, 'acsUrl') : null;
  if (input.spEncryption !== undefined) {
    const encryption = input.spEncryption ? checkKeyPair(input.spEncryption, 'spEncryption') : null;
    patch.spEncryptionCertificate = encryption?.certificatePem ?? null;
    patch.spEncryptionKeySealed = encryption ? sealEncryptionKey(deps, encryption.privateKeyPem) : null;
  }
  return patch;
}

function auditData(row: SamlConnection) {
  return {
    name: row.name,
    enabled: row.enabled,
    idpEntityId: row.idpEntityId,
    ssoUrl: row.ssoUrl,
    ssoBinding: row.ssoBinding,
    sloUrl: row.sloUrl,
    metadataUrl: row.metadataUrl,
    certificateFingerprints: row.certificates.map((pem) => certificateInfo(pem).fingerprintSha256),
    allowSha1: row.allowSha1,
    encryption: row.spEncryptionCertificate !== null,
    signingCertificateFingerprints: [row.spSigningCertificate, row.spSigningPreviousCertificate]
      .filter((pem): pem is string => pem !== null)
      .map((pem) => certificateInfo(pem).fingerprintSha256),
    signAuthnRequests: row.signAuthnRequests,
    clockSkewSeconds: row.clockSkewSeconds,
    idpInitiatedAllowed: row.idpInitiatedAllowed,
    defaultLandingPath: row.defaultLandingPath,
    allowExpiredCertificates: row.allowExpiredCertificates,
    strictSecondVerdict: row.strictSecondVerdict,
  };
}

function entityIdTaken(idpEntityId: string): ConflictError {
  return new ConflictError('idp_entity_id_taken', `Another SAML connection of this company already trusts the IdP ${idpEntityId}.`);
}

export interface NewConnectionInput extends SamlConnectionInput {
  name?: string | undefined;
  enabled?: boolean | undefined;
}

/** A PATCH: any field; the manual IdP fields change one by one, over the connection's current ones. */
export interface ConnectionPatchInput extends Partial<Omit<NewConnectionInput, 'idp'>> {
  idp?: { metadataXml: string } | { metadataUrl: string } | { idpEntityId?: string | undefined; ssoUrl?: string | undefined; ssoBinding?: SsoBinding | undefined; certificates?: string[] | undefined } | undefined;
}

/** A new connection of the company (201), at its own URLs, or at the company-level ones when it is the company's first. */
export async function createSamlConnection(deps: ServiceDeps, actor: Actor, companyId: string, input: NewConnectionInput): Promise<SamlConnection> {
  const columns = connectionColumns(deps, { ...input, idp: await readyIdp(deps, input.idp) }, null);
  const name = requireName(input.name) ?? DEFAULT_CONNECTION_NAME;
  return deps.db.transaction(async (tx) => {
    const first = (await findCompanyConnection(tx, companyId)) === null;
    const row = await insertSamlConnection(
      tx,
      {
        ...columns,
        id: newId('saml'),
        companyId,
        name,
        enabled: input.enabled ?? true,
        companyUrls: first,
        idpEntityId: columns.idpEntityId!,
        ssoUrl: columns.ssoUrl!,
        certificates: columns.certificates!,
      },
      deps.now(),
    );
    if (!row) throw entityIdTaken(columns.idpEntityId!);
    await recordAudit(tx, { companyId, actor, action: 'saml_connection.created', targetType: 'saml_connection', targetId: row.id, data: auditData(row) });
    return row;
  });
}

/** Changes a connection: what the input names, the rest as it was (pasting new metadata must not reset options; null clears). */
export async function updateConnection(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  connectionId: string,
  input: ConnectionPatchInput,
): Promise<SamlConnection> {
  // A metadata URL is fetched before the transaction: no row stays locked while a remote host answers.
  const fetched = input.idp && 'metadataUrl' in input.idp ? await readyIdp(deps, input.idp) : null;
  return deps.db.transaction(async (tx) => {
    const previous = await findCompanyConnectionById(tx, companyId, connectionId);
    if (!previous) throw connectionNotFound();
    const { idp, ...rest } = input;
    const merged: Parameters<typeof connectionColumns>[1] = { ...rest };
    if (fetched) merged.idp = fetched;
    else if (idp && 'metadataXml' in idp) merged.idp = idp;
    else if (idp && !('metadataUrl' in idp) && Object.values(idp).some((value) => value !== undefined)) {
      merged.idp = {
        idpEntityId: idp.idpEntityId ?? previous.idpEntityId,
        ssoUrl: idp.ssoUrl ?? previous.ssoUrl,
        ssoBinding: idp.ssoBinding ?? previous.ssoBinding,
        certificates: idp.certificates ?? previous.certificates,
      };
    }
    const patch = connectionColumns(deps, merged, previous);
    const name = requireName(input.name);
    if (name !== undefined) patch.name = name;
    if (input.enabled !== undefined) patch.enabled = input.enabled;
    if (patch.idpEntityId !== undefined && (await idpEntityIdTaken(tx, companyId, patch.idpEntityId, connectionId))) throw entityIdTaken(patch.idpEntityId);
    const row = (await updateSamlConnection(tx, companyId, connectionId, patch, deps.now()))!;
    await recordAudit(tx, { companyId, actor, action: 'saml_connection.updated', targetType: 'saml_connection', targetId: row.id, data: auditData(row) });
    return row;
  });
}

/**
 * `PUT /api/companies/:id/saml`: configures the company's first connection (creating it, at the
 * company-level URLs, when there is none). Omitted settings keep their current value.
 */
export async function configureSamlConnection(deps: ServiceDeps, actor: Actor, companyId: string, input: SamlConnectionInput): Promise<SamlConnection> {
  const first = await findCompanyConnection(deps.db, companyId);
  if (!first) return createSamlConnection(deps, actor, companyId, input);
  return updateConnection(deps, actor, companyId, first.id, input);
}

/** Removes a connection; the sessions it signed in end with it (its IdP is no longer trusted). */
export async function removeConnection(deps: ServiceDeps, actor: Actor, companyId: string, connectionId: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const now = deps.now();
    const ended = await revokeConnectionSessions(tx, companyId, connectionId, now);
    const row = await deleteSamlConnection(tx, companyId, connectionId);
    if (!row) throw connectionNotFound();
    await recordAudit(tx, {
      companyId,
      actor,
      action: 'saml_connection.deleted',
      targetType: 'saml_connection',
      targetId: row.id,
      data: { name: row.name, idpEntityId: row.idpEntityId, sessionsEnded: ended },
    });
  });
}

function connectionNotFound(): NotFoundError {
  return new NotFoundError('not_found', 'No such SAML connection in this company.');
}

export async function requireSamlConnection(deps: ServiceDeps, companyId: string): Promise<SamlConnection> {
  const row = await findCompanyConnection(deps.db, companyId);
  if (!row) throw new NotFoundError('saml_not_configured', 'SAML single sign-on is not set up for this company.');
  return row;
}

export async function requireConnection(deps: ServiceDeps, companyId: string, connectionId: string): Promise<SamlConnection> {
  const row = await findCompanyConnectionById(deps.db, companyId, connectionId);
  if (!row) throw connectionNotFound();
  return row;
}

export async function companyConnections(deps: ServiceDeps, companyId: string): Promise<SamlConnection[]> {
  return listCompanyConnections(deps.db, companyId);
}
