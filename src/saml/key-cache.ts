import { Buffer } from 'node:buffer';
import { createPublicKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CertificateError, certificateBody, pemOfBody } from './certificate.js';

/**
 * What a sign-in needs from a configured IdP certificate, computed once per process and per
 * certificate: parsing the X.509 and building the public key cost several RSA verifications each
 * (measured: building a key from PEM ≈ 8× one verification). Keyed by the certificate's own bytes,
 * so a connection whose certificates change simply asks for other entries: nothing to invalidate,
 * and nothing here can be stale on another instance.
 */
export interface CertificateFacts {
  body: string;
  pem: string;
  notAfterMs: number;
  key: KeyObject;
}

/** A few hundred companies' certificates; beyond that the oldest entries are dropped (a Map iterates in insertion order). */
const MAX_ENTRIES = 1024;
const cache = new Map<string, CertificateFacts>();

/** Throws CertificateError when the text is not an X.509 certificate. */
export function certificateFacts(pemOrBase64: string): CertificateFacts {
  // The configured text as given is the usual key (no regex per sign-in); its body is the fallback.
  const given = cache.get(pemOrBase64);
  if (given) return given;
  const body = certificateBody(pemOrBase64);
  const hit = cache.get(body);
  if (hit) {
    remember(pemOrBase64, hit);
    return hit;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(body, 'base64'));
  } catch (error) {
    throw new CertificateError(`not an X.509 certificate (${String(error)})`);
  }
  const pem = pemOfBody(body);
  const facts: CertificateFacts = { body, pem, notAfterMs: new Date(cert.validTo).getTime(), key: createPublicKey(pem) };
  remember(body, facts);
  remember(pemOrBase64, facts);
  return facts;
}

function remember(key: string, facts: CertificateFacts): void {
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, facts);
}
