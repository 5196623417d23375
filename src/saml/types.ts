import type { SamlFailureReason as SamlRefusalReason } from '../core/reasons.js';
import { SAML_FAILURE_REASONS as SAML_REFUSAL_REASONS } from '../core/reasons.js';

/** The IdP a company trusts: its entity ID and the signing certificates configured by the admin. */
export interface IdpTrust {
  entityId: string;
  /** PEM, with or without headers. Several for rollover: a signature by any one of them is accepted. */
  certificatesPem: readonly string[];
  /** Accept rsa-sha1 signatures and sha1 digests (legacy IdPs). Off unless the company asks for it. */
  allowSha1: boolean;
  /**
   * Accept a signature that only a certificate past its notAfter (at `now`) verifies. Off by default:
   * such a response is refused `certificate_expired`. notBefore is not checked: trust is in the
   * configured key, and an admin may add a rollover certificate before it starts.
   */
  allowExpiredCertificates?: boolean | undefined;
  /**
   * Also run samlify's own parseLoginResponse over a response our checks accepted, and refuse it
   * unless samlify agrees too (samlify-gate.ts). Off by default: it costs more than the rest of
   * verification (README, Benchmarks), and the samlify oracle test holds the two verdicts together.
   */
  strictSecondVerdict?: boolean | undefined;
}

/** Our service provider, as one company's IdP knows it. */
export interface SpIdentity {
  entityId: string;
  acsUrl: string;
  /**
   * Present when the company wants encrypted assertions: the key the IdP encrypts to. The private key
   * may be a loader, called only for an encrypted assertion (metadata and unencrypted responses never
   * need it); whatever a loader throws, verifySamlResponse lets through (our fault, not the response's).
   */
  encryption?: { privateKeyPem: string | (() => string); certificatePem: string } | undefined;
  /**
   * Present when the connection has an SP signing key (signed AuthnRequests, Single Logout messages).
   * `previousCertificatePem` stays published in the metadata during a rollover, so the IdP trusts both.
   */
  signing?: { privateKeyPem: string | (() => string); certificatePem: string; previousCertificatePem?: string | null | undefined } | undefined;
  /** Our Single Logout endpoint (both bindings), listed in the SP metadata when set. */
  sloUrl?: string | undefined;
}

export interface VerifyInput {
  /** The `SAMLResponse` form field as posted (base64). */
  samlResponse: string;
  idp: IdpTrust;
  sp: SpIdentity;
  /** The only clock the verifier knows. */
  now: Date;
  /** Tolerance on every time bound. Default 120 000 ms, clamped to [0, 300 000]. */
  clockSkewMs?: number | undefined;
}

/** SAML refusals the login service raises after verification (connection, replay, InResponseTo, browser). */
const RAISED_AFTER_VERIFICATION = [
  'saml_not_configured',
  'replayed',
  'unknown_request',
  'request_other_browser',
  'wrong_connection',
  'connection_disabled',
  'idp_initiated_disabled',
] as const;

/**
 * Every way verification can refuse a SAML Response: core/reasons.ts keeps the one list of codes
 * (and their explanations); this layer takes its subset from it, so the two cannot drift apart.
 */
export type SamlFailureReason = Exclude<SamlRefusalReason, (typeof RAISED_AFTER_VERIFICATION)[number]>;
export const SAML_FAILURE_REASONS: readonly SamlFailureReason[] = SAML_REFUSAL_REASONS.filter(
  (reason): reason is SamlFailureReason => !(RAISED_AFTER_VERIFICATION as readonly string[]).includes(reason),
);

export interface SamlFailure {
  ok: false;
  reason: SamlFailureReason;
  /** One line for logs and admins; may quote values from the response, never secrets. */
  detail: string;
  /**
   * Set by verifySamlResponse: a signature by a trusted certificate had verified before the refusal,
   * so the IdP really sent it. False for garbage anyone can post (no or a wrong signature, not XML...).
   */
  authenticated?: boolean;
}

/** What the verified signature vouches for, read only from the signed element. */
export interface VerifiedAssertion {
  /** Response ID (signed only when `signature.responseSigned`; use `assertionId` as the replay key). */
  responseId: string;
  assertionId: string;
  issuer: string;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /**
   * Present for SP-initiated logins: the AuthnRequest ID this answers; null for IdP-initiated. Read from
   * the signed SubjectConfirmationData, else from the Response (signed or not; they must agree).
   */
  inResponseTo: string | null;
  attributes: Record<string, string[]>;
  /** Earliest instant (skew included) from which this assertion is refused on time: keep its ID in the replay cache until then. */
  notOnOrAfter: Date;
  authnInstant: Date | null;
  /** The AuthnStatement's SessionNotOnOrAfter as sent (no skew added): no session may outlive it. */
  sessionNotOnOrAfter: Date | null;
  signature: {
    responseSigned: boolean;
    assertionSigned: boolean;
    /** Index in `idp.certificatesPem` of the certificate that verified (useful during rollover). */
    certificateIndex: number;
    usedSha1: boolean;
  };
  encrypted: boolean;
}

export type VerifyResult = { ok: true; assertion: VerifiedAssertion } | SamlFailure;

/** Builds a refusal. */
export function refuse(reason: SamlFailureReason, detail: string): SamlFailure {
  return { ok: false, reason, detail };
}
