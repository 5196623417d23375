/**
 * IdP signing certificate expiry: the per-certificate status the admin API shows, and the scheduled
 * check that records an audit event when a certificate comes within 60, 30 or 7 days of its notAfter,
 * or expires. Each certificate and threshold is recorded once, whatever the number of instances
 * running the check (saml_connections.certificate_warnings keeps the last threshold recorded).
 */
import { certificateExpiry, certificateNotice } from '../core/certificate-expiry.js';
import type { CertificateExpiry, CertificateNotice } from '../core/certificate-expiry.js';
import { CertificateError, certificateInfo } from '../saml/index.js';
import type { CertificateInfo } from '../saml/index.js';
import { recordAudit } from '../store/audit.js';
import type { ConnectionCertificates, SamlConnection } from '../store/saml.js';
import { claimCertificateWarning, listConnectionCertificates } from '../store/saml.js';
import type { ServiceDeps } from './deps.js';

export type CertificateStatus = CertificateInfo & CertificateExpiry;

/** A stored certificate with its expiry status at `now`. */
export function certificateStatus(pem: string, now: Date): CertificateStatus {
  const info = certificateInfo(pem);
  return { ...info, ...certificateExpiry(info.notAfter, now) };
}

/** The connection's certificates that need the admin's attention at `now`, in their configured order. */
export function connectionWarnings(connection: Pick<SamlConnection, 'certificates' | 'allowExpiredCertificates'>, now: Date): CertificateNotice[] {
  return connection.certificates.flatMap((pem) => {
    const status = certificateStatus(pem, now);
    const notice = certificateNotice(status, status, { allowExpiredCertificates: connection.allowExpiredCertificates });
    return notice ? [notice] : [];
  });
}

export const DEFAULT_WARNING_BATCH_SIZE = 100;

export interface WarningReport {
  /** Connections read. */
  connections: number;
  /** Audit events this call recorded (a concurrent run records the rest). */
  recorded: number;
}

const ACTOR = { type: 'system', id: 'certificate-expiry' } as const;

/**
 * For every connection (or one company's, with `companyId`), in batches of `batchSize` read one
 * after the other: each IdP signing certificate that has reached a threshold it was not yet warned
 * about gets one audit event, `saml_connection.certificate_expiring` (60, 30 or 7 days left) or
 * `saml_connection.certificate_expired`. A certificate first seen past several thresholds gets the
 * most severe one only. Safe to run on several instances at once and as often as wanted.
 */
export async function warnExpiringCertificates(
  deps: ServiceDeps,
  now: Date,
  options: { batchSize?: number | undefined; companyId?: string | undefined } = {},
): Promise<WarningReport> {
  const limit = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_WARNING_BATCH_SIZE));
  const report: WarningReport = { connections: 0, recorded: 0 };
  let afterId: string | null = null;
  for (;;) {
    const batch = await listConnectionCertificates(deps.db, { afterId, limit, companyId: options.companyId });
    for (const connection of batch) report.recorded += await warnConnection(deps, connection, now);
    report.connections += batch.length;
    const last = batch[batch.length - 1];
    if (batch.length < limit || !last) return report;
    afterId = last.id;
  }
}

async function warnConnection(deps: ServiceDeps, connection: ConnectionCertificates, now: Date): Promise<number> {
  let recorded = 0;
  for (const pem of connection.certificates) {
    let status: CertificateStatus;
    try {
      status = certificateStatus(pem, now);
    } catch (error) {
      // Stored certificates were validated on save; one that no longer parses is not this check's to report.
      if (error instanceof CertificateError) continue;
      throw error;
    }
    const { threshold } = status;
    if (threshold === null) continue;
    const fingerprint = status.fingerprintSha256;
    const previous = connection.certificateWarnings[fingerprint];
    // Cheap filter on what the batch read; the conditional update below decides.
    if (typeof previous === 'number' && previous <= threshold) continue;
    const claimed = await deps.db.transaction(async (tx) => {
      if (!(await claimCertificateWarning(tx, connection.id, fingerprint, threshold))) return false;
      await recordAudit(tx, {
        companyId: connection.companyId,
        actor: ACTOR,
        action: status.expired ? 'saml_connection.certificate_expired' : 'saml_connection.certificate_expiring',
        targetType: 'saml_connection',
        targetId: connection.id,
        data: {
          fingerprint,
          subject: status.subject,
          notAfter: status.notAfter.toISOString(),
          daysLeft: status.daysLeft,
          threshold,
          connection: { id: connection.id, name: connection.name },
        },
      });
      return true;
    });
    if (claimed) recorded += 1;
  }
  return recorded;
}
