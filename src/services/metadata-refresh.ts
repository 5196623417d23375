/**
 * Refreshing IdP metadata configured by URL: on a schedule (the due connections, claimed so that one
 * instance fetches each) and on demand. A failed fetch keeps the last good copy. Certificates follow
 * an IdP's rollover without a failed sign-in: a new one is trusted at once; one the metadata no longer
 * lists is retired, still trusted, and dropped only when the next refresh confirms its absence.
 */
import { certificateInfo, normalizeCertificatePem } from '../saml/index.js';
import type { IdpMetadata } from '../saml/index.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { SamlConnection, SamlConnectionPatch } from '../store/saml.js';
import { claimDueMetadataRefreshes, recordMetadataRefresh } from '../store/saml-metadata.js';
import type { ServiceDeps } from './deps.js';
import { BadGatewayError, InvalidInputError } from './errors.js';
import { loadIdpMetadata, nextMetadataRefresh } from './idp-metadata-url.js';
import { requireConnection } from './saml-connection.js';

const SCHEDULE_ACTOR: Actor = { type: 'system', id: 'metadata_refresh' };
/** Connections claimed per statement, and fetched side by side. */
const CLAIM_BATCH = 10;
/** At most this many batches per run: a backlog is worked off over the next runs. */
const MAX_BATCHES = 20;

export type MetadataRefreshOutcome =
  | { ok: true; connection: SamlConnection; changed: boolean }
  | { ok: false; connection: SamlConnection; code: string; message: string; ours: boolean };

const fingerprint = (pem: string) => certificateInfo(pem).fingerprintSha256;

/** What the new metadata changes, for the update and its audit (null when nothing does). */
function changesOf(row: SamlConnection, metadata: IdpMetadata) {
  const listed = [...new Set(metadata.certificatesPem.map(normalizeCertificatePem))];
  const current = new Set(row.certificates);
  const retired = row.certificates.filter((pem) => !listed.includes(pem));
  const added = listed.filter((pem) => !current.has(pem) && !row.retiredCertificates.includes(pem));
  const restored = listed.filter((pem) => row.retiredCertificates.includes(pem));
  const dropped = row.retiredCertificates.filter((pem) => !listed.includes(pem));
  const slo = metadata.slo ?? null;
  const patch: SamlConnectionPatch = {
    certificates: listed,
    retiredCertificates: retired,
    ssoUrl: metadata.ssoUrl,
    ssoBinding: metadata.ssoBinding,
    sloUrl: slo?.url ?? null,
    sloBinding: slo?.binding ?? null,
  };
  const endpointsChanged =
    row.ssoUrl !== metadata.ssoUrl || row.ssoBinding !== metadata.ssoBinding || row.sloUrl !== (slo?.url ?? null) || row.sloBinding !== (slo?.binding ?? null);
  const changed = endpointsChanged || added.length + restored.length + retired.length + dropped.length > 0;
  const audit = {
    metadataUrl: row.metadataUrl,
    certificatesAdded: [...added, ...restored].map(fingerprint),
    certificatesRetired: retired.map(fingerprint),
    certificatesRemoved: dropped.map(fingerprint),
    ...(row.ssoUrl !== metadata.ssoUrl ? { ssoUrl: { from: row.ssoUrl, to: metadata.ssoUrl } } : {}),
    ...(row.ssoBinding !== metadata.ssoBinding ? { ssoBinding: { from: row.ssoBinding, to: metadata.ssoBinding } } : {}),
    ...(row.sloUrl !== (slo?.url ?? null) ? { sloUrl: { from: row.sloUrl, to: slo?.url ?? null } } : {}),
  };
  return { patch, changed, audit };
}

/**
 * Fetches one connection's metadata and records the outcome. A failure keeps what the connection
 * trusts and records the error, audited once per distinct error (not on every scheduled retry).
 * `next` is when the connection is fetched again (the scheduler's claim has set it already).
 */
export async function refreshConnectionMetadata(deps: ServiceDeps, row: SamlConnection, actor: Actor, next: Date | null): Promise<MetadataRefreshOutcome> {
  const url = row.metadataUrl;
  if (url === null) return { ok: false, connection: row, code: 'metadata_url_missing', message: 'This connection is not configured from a metadata URL.', ours: true };
  const loaded = await loadIdpMetadata(deps, url);
  // The URL may change what the connection trusts, never which IdP it is: that takes an admin's save.
  const checked: Awaited<ReturnType<typeof loadIdpMetadata>> =
    loaded.ok && loaded.metadata.entityId !== row.idpEntityId
      ? {
          ok: false,
          code: 'metadata_entity_changed',
          message: `The metadata now describes the IdP ${loaded.metadata.entityId}, not ${row.idpEntityId}: save the connection again to trust it.`,
          ours: false,
        }
      : loaded;
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const audited = { companyId: row.companyId, actor, targetType: 'saml_connection', targetId: row.id };
    if (!checked.ok) {
      const f = checked;
      const error = `${f.code}: ${f.message}`;
      const patch: SamlConnectionPatch = { metadataLastError: error, ...(next ? { metadataNextRefreshAt: next } : {}) };
      const updated = (await recordMetadataRefresh(tx, row.id, url, patch, null)) ?? row;
      if (row.metadataLastError !== error) {
        await recordAudit(tx, { ...audited, action: 'saml_connection.metadata_refresh_failed', reason: f.code, data: { metadataUrl: url, error: f.message } });
      }
      return { ok: false, connection: updated, code: f.code, message: f.message, ours: f.ours };
    }
    const { patch, changed, audit } = changesOf(row, checked.metadata);
    const state: SamlConnectionPatch = { ...patch, metadataFetchedAt: now, metadataLastError: null, ...(next ? { metadataNextRefreshAt: next } : {}) };
    const updated = await recordMetadataRefresh(tx, row.id, url, state, changed ? now : null);
    if (!updated) return { ok: true, connection: row, changed: false };
    if (changed) await recordAudit(tx, { ...audited, action: 'saml_connection.metadata_refreshed', data: audit });
    return { ok: true, connection: updated, changed };
  });
}

export interface MetadataRefreshReport {
  refreshed: number;
  changed: number;
  failed: number;
}

/** The scheduled task: claims due connections batch by batch and refreshes each once. */
export async function refreshDueMetadata(deps: ServiceDeps, now: Date): Promise<MetadataRefreshReport> {
  const report: MetadataRefreshReport = { refreshed: 0, changed: 0, failed: 0 };
  const next = nextMetadataRefresh(deps, now);
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const claimed = await claimDueMetadataRefreshes(deps.db, now, next, CLAIM_BATCH);
    if (claimed.length === 0) break;
    // The claim already moved each row's next refresh; the outcome need not set it again.
    const outcomes = await Promise.all(claimed.map((row) => refreshConnectionMetadata(deps, row, SCHEDULE_ACTOR, null)));
    for (const outcome of outcomes) {
      if (!outcome.ok) report.failed += 1;
      else {
        report.refreshed += 1;
        if (outcome.changed) report.changed += 1;
      }
    }
    if (claimed.length < CLAIM_BATCH) break;
  }
  return report;
}

/**
 * `POST …/saml-connections/:connectionId/refresh`: fetches now. A refused URL is a 400, a failure of
 * the IdP's side a 502; either way the connection keeps its last good copy.
 */
export async function refreshConnectionNow(deps: ServiceDeps, actor: Actor, companyId: string, connectionId: string): Promise<SamlConnection> {
  const row = await requireConnection(deps, companyId, connectionId);
  const outcome = await refreshConnectionMetadata(deps, row, actor, nextMetadataRefresh(deps, deps.now()));
  if (outcome.ok) return outcome.connection;
  const message = `${outcome.message} The connection keeps its last good copy of the metadata.`;
  throw outcome.ours ? new InvalidInputError(outcome.code, message) : new BadGatewayError(outcome.code, message);
}
