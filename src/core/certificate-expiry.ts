/**
 * How close an IdP signing certificate is to its notAfter, in the steps admins are warned at: 60, 30
 * and 7 days before, and once it has expired (threshold 0). Pure: the clock is a parameter.
 */

const DAY_MS = 86_400_000;

/** The warning thresholds in days, most distant first; 0 stands for "expired". */
export const CERTIFICATE_WARNING_THRESHOLDS = [60, 30, 7, 0] as const;
export type CertificateWarningThreshold = (typeof CERTIFICATE_WARNING_THRESHOLDS)[number];

export type CertificateWarning = 'expiring_60' | 'expiring_30' | 'expiring_7' | 'expired';

export interface CertificateExpiry {
  /** Whole days from now to notAfter, rounded down: 0 on its last day, negative once expired. */
  daysLeft: number;
  /** notAfter <= now: a signature by it is refused unless the connection allows expired certificates. */
  expired: boolean;
  /** The most severe threshold reached (0 once expired), or null while more than 60 days remain. */
  threshold: CertificateWarningThreshold | null;
  warning: CertificateWarning | null;
}

const WARNING_OF: Record<CertificateWarningThreshold, CertificateWarning> = { 60: 'expiring_60', 30: 'expiring_30', 7: 'expiring_7', 0: 'expired' };

export function certificateExpiry(notAfter: Date, now: Date): CertificateExpiry {
  const remaining = notAfter.getTime() - now.getTime();
  const expired = remaining <= 0;
  let threshold: CertificateWarningThreshold | null = null;
  if (expired) threshold = 0;
  else {
    // The smallest threshold the remaining time is within (7 before 30 before 60).
    for (const days of [7, 30, 60] as const) {
      if (remaining <= days * DAY_MS) {
        threshold = days;
        break;
      }
    }
  }
  return { daysLeft: Math.floor(remaining / DAY_MS), expired, threshold, warning: threshold === null ? null : WARNING_OF[threshold] };
}

/** A warning for the admin, about one certificate of one connection. */
export interface CertificateNotice {
  code: 'certificate_expired' | 'certificate_expiring';
  message: string;
  fingerprint: string;
}

/** Plain words for a certificate that has reached a threshold; null while it has more than 60 days left. */
export function certificateNotice(
  cert: { fingerprintSha256: string; subject: string; notAfter: Date },
  expiry: CertificateExpiry,
  options: { allowExpiredCertificates: boolean },
): CertificateNotice | null {
  if (expiry.threshold === null) return null;
  const name = `The IdP signing certificate ${cert.subject.replace(/\s+/g, ' ')} (SHA-256 ${cert.fingerprintSha256})`;
  const date = cert.notAfter.toISOString();
  if (expiry.expired) {
    const consequence = options.allowExpiredCertificates
      ? 'Signatures by it are still accepted, because this connection allows expired certificates (allowExpiredCertificates).'
      : 'Sign-ins signed only with it are refused (certificate_expired).';
    return {
      code: 'certificate_expired',
      fingerprint: cert.fingerprintSha256,
      message: `${name} expired on ${date}. ${consequence} Add the identity provider's new certificate (or its new metadata) to this connection, then remove this one.`,
    };
  }
  const when = expiry.daysLeft === 0 ? 'today' : expiry.daysLeft === 1 ? 'in 1 day' : `in ${expiry.daysLeft} days`;
  return {
    code: 'certificate_expiring',
    fingerprint: cert.fingerprintSha256,
    message: `${name} expires ${when}, on ${date}. Add the identity provider's new certificate to this connection before then: both are trusted during the rollover.`,
  };
}
