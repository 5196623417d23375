import { Buffer } from 'node:buffer';
import { X509Certificate } from 'node:crypto';

export interface CertificateInfo {
  notBefore: Date;
  notAfter: Date;
  /** Colon-separated upper-case hex, as IdP admin consoles show it. */
  fingerprintSha256: string;
  subject: string;
  issuer: string;
}

/** The text given is not an X.509 certificate (PEM or bare base64). */
export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

/** The base64 body of a certificate given as PEM (with or without headers, any line breaks). */
export function certificateBody(pemOrBase64: string): string {
  const body = pemOrBase64
    .replace(/-----BEGIN CERTIFICATE-----/g, '')
    .replace(/-----END CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new CertificateError('not a PEM or base64 certificate');
  }
  return body;
}

/** Canonical PEM (headers, 64-column lines); throws CertificateError when it is not an X.509 certificate. */
export function normalizeCertificatePem(pemOrBase64: string): string {
  const body = certificateBody(pemOrBase64);
  parseCertificate(body);
  return pemOfBody(body);
}

/** PEM (headers, 64-column lines) of a certificate's base64 body, as certificateBody returns it. */
export function pemOfBody(body: string): string {
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function parseCertificate(body: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(body, 'base64'));
  } catch (error) {
    throw new CertificateError(`not an X.509 certificate (${String(error)})`);
  }
}

/** Expiry date and fingerprint of a certificate, for the admin UI. Throws CertificateError. */
export function certificateInfo(pemOrBase64: string): CertificateInfo {
  const cert = parseCertificate(certificateBody(pemOrBase64));
  return {
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprintSha256: cert.fingerprint256,
    subject: cert.subject,
    issuer: cert.issuer,
  };
}
