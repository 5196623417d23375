import { checkAssertion } from './assertion.js';
import type { ResponseEnvelope } from './assertion.js';
import { certificateInfo } from './certificate.js';
import { checkEncryptedAssertion, decryptAssertion, isPrivateKeyPem } from './decrypt.js';
import { samlifyGate } from './samlify-gate.js';
import { trustedCertificates, verifyEnvelopedSignature } from './signature.js';
import type { TrustedCertificate, VerifiedSignature } from './signature.js';
import { checkRoot, checkStatus, inspectDecryptedAssertion, inspectResponse } from './structure.js';
import { refuse } from './types.js';
import type { SamlFailure, SpIdentity, VerifyInput, VerifyResult } from './types.js';
import { NS, XmlRejected, attrValue, childrenNamed, decodeBase64Xml, optionalChild, parseRoot, textContent } from './xml.js';

/** Tolerance on every NotBefore/NotOnOrAfter when the caller gives none. */
export const DEFAULT_CLOCK_SKEW_MS = 120_000;
/** The largest tolerance accepted; larger values are clamped to it. */
export const MAX_CLOCK_SKEW_MS = 300_000;

function clampSkew(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return DEFAULT_CLOCK_SKEW_MS;
  return Math.min(Math.max(0, value), MAX_CLOCK_SKEW_MS);
}

function envelopeOf(response: Element): ResponseEnvelope {
  const issuer = optionalChild(response, NS.assertion, 'Issuer');
  return {
    id: attrValue(response, 'ID') ?? '',
    issuer: issuer ? textContent(issuer) : null,
    destination: attrValue(response, 'Destination'),
    inResponseTo: attrValue(response, 'InResponseTo'),
  };
}

/** The (Encrypted)Assertion inside the signed Response copy, which has the shape checked on the original. */
function childIn(signedResponse: Element, localName: 'Assertion' | 'EncryptedAssertion'): Element | SamlFailure {
  const found = childrenNamed(signedResponse, NS.assertion, localName);
  return found.length === 1 && found[0] ? found[0] : refuse('assertion_count', `signed Response does not hold exactly one ${localName}`);
}

const isFailure = (value: object): value is SamlFailure => 'ok' in value && value.ok === false;

const UNAUTHENTICATED_CIPHERTEXT =
  'cannot decrypt and verify the encrypted assertion (the Response is unsigned, so key, cipher, XML and signature errors are reported alike)';

type VerifyOn = (doc: string, signature: Element, signedElement: Element) => VerifiedSignature | SamlFailure;

/**
 * A verified signature that only an expired certificate verifies (verifyEnvelopedSignature tries the
 * unexpired ones first, so a valid certificate with the same key would have been chosen).
 */
function expiredSigner(certificates: readonly TrustedCertificate[], signatures: Array<[string, VerifiedSignature | null]>): SamlFailure | null {
  for (const [where, signature] of signatures) {
    const cert = signature ? certificates.find((c) => c.index === signature.certificateIndex) : undefined;
    if (!cert?.expired) continue;
    const info = certificateInfo(cert.pem);
    return refuse(
      'certificate_expired',
      `the ${where} signature verifies only with IdP certificate #${cert.index + 1} (SHA-256 ${info.fingerprintSha256}), ` +
        `which expired on ${info.notAfter.toISOString()}; no unexpired configured certificate verifies it`,
    );
  }
  return null;
}

/** Decrypts, re-checks the structure of the plaintext assertion and verifies its own signature if it has one. */
function openEncrypted(
  encrypted: Element,
  privateKeyPem: string,
  verifyOn: VerifyOn,
): { assertion: Element; signature: VerifiedSignature | null } | SamlFailure {
  const plaintext = decryptAssertion(encrypted, privateKeyPem);
  if (typeof plaintext !== 'string') return plaintext;
  let plainRoot: Element;
  try {
    plainRoot = parseRoot(plaintext);
  } catch (error) {
    if (error instanceof XmlRejected) {
      return error.kind === 'invalid_characters'
        ? refuse('invalid_characters', `the decrypted assertion: ${error.message}`)
        : refuse('decryption_failed', `the decrypted assertion is not valid XML: ${error.message}`);
    }
    throw error;
  }
  const inner = inspectDecryptedAssertion(plainRoot);
  if (isFailure(inner)) return inner;
  if (!inner.signature) return { assertion: plainRoot, signature: null };
  const signature = verifyOn(plaintext, inner.signature, plainRoot);
  if (isFailure(signature)) return signature;
  return { assertion: signature.signedElement, signature };
}

/** What an SP key loader threw, carried past the catch-all below so the caller sees its own error. */
class KeyLoaderFailed extends Error {
  constructor(readonly original: unknown) {
    super('the SP private key loader failed');
  }
}

function privateKeyOf(encryption: NonNullable<SpIdentity['encryption']>): string {
  if (typeof encryption.privateKeyPem === 'string') return encryption.privateKeyPem;
  try {
    return encryption.privateKeyPem();
  } catch (error) {
    throw new KeyLoaderFailed(error);
  }
}

/**
 * SAMLResponse (base64 form value) -> the verified assertion, or the named reason it is refused.
 * Pure: no I/O, no clock but `input.now`, never throws but what an SP key loader throws. Replay is not checked here: store
 * `assertion.assertionId` until `assertion.notOnOrAfter` and refuse a second use.
 */
export async function verifySamlResponse(input: VerifyInput): Promise<VerifyResult> {
  const progress = { signed: false };
  let result: VerifyResult;
  try {
    result = await verify(input, progress);
  } catch (error) {
    if (error instanceof KeyLoaderFailed) throw error.original;
    result =
      error instanceof XmlRejected
        ? refuse(error.kind, error.message)
        : refuse('malformed', `unexpected error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300));
  }
  return result.ok ? result : { ...result, authenticated: progress.signed };
}

/** `progress.signed` turns true once a signature by a trusted certificate has verified. */
async function verify(input: VerifyInput, progress: { signed: boolean }): Promise<VerifyResult> {
  const { idp, sp } = input;
  const ctx = { idp, sp, now: input.now, skewMs: clampSkew(input.clockSkewMs) };
  if (Number.isNaN(input.now.getTime())) return refuse('config_invalid', 'now is not a valid date');
  const certificates = trustedCertificates(idp.certificatesPem, input.now);
  if (isFailure(certificates)) return certificates;

  const xml = decodeBase64Xml(input.samlResponse);
  const root = parseRoot(xml);
  const shaped = checkRoot(root) ?? checkStatus(root) ?? inspectResponse(root);
  if (isFailure(shaped)) return shaped;
  const { shape } = shaped;

  const encrypted = shape.encryptedAssertion !== null;
  let privateKeyPem = '';
  if (shape.encryptedAssertion) {
    if (!sp.encryption) return refuse('encryption_not_configured', 'the assertion is encrypted but no SP encryption key is configured');
    privateKeyPem = privateKeyOf(sp.encryption);
    if (!isPrivateKeyPem(privateKeyPem)) return refuse('config_invalid', 'the SP encryption key is not a PEM private key');
    const policy = checkEncryptedAssertion(shape.encryptedAssertion);
    if (policy) return policy;
  }

  const verifyOn = (doc: string, signature: Element, signedElement: Element) => {
    const result = verifyEnvelopedSignature({ xml: doc, signature, signedElement, certificates, allowSha1: idp.allowSha1 });
    if (!isFailure(result)) progress.signed = true;
    return result;
  };

  // A signature that is present must verify, even when another one does (okta-2024-response-signature-broken).
  let responseSig: VerifiedSignature | null = null;
  if (shape.responseSignature) {
    const result = verifyOn(xml, shape.responseSignature, root);
    if (isFailure(result)) return result;
    responseSig = result;
  }
  // From here on, read only what a verified signature covers.
  const signedResponse = responseSig ? responseSig.signedElement : null;

  let assertionSig: VerifiedSignature | null = null;
  let assertion: Element | SamlFailure;
  if (shape.assertion) {
    if (shape.assertionSignature) {
      const result = verifyOn(xml, shape.assertionSignature, shape.assertion);
      if (isFailure(result)) return result;
      assertionSig = result;
    }
    if (!responseSig && !assertionSig) return refuse('signature_missing', 'neither the Response nor the Assertion is signed');
    assertion = assertionSig
      ? assertionSig.signedElement
      : childIn(signedResponse as Element, 'Assertion');
  } else {
    // Decrypt the ciphertext the Response signature covers (else the only one there is).
    const source = signedResponse ? childIn(signedResponse, 'EncryptedAssertion') : (shape.encryptedAssertion as Element);
    if (isFailure(source)) return source;
    const opened = openEncrypted(source, privateKeyPem, verifyOn);
    if (isFailure(opened)) {
      // Unauthenticated CBC ciphertext: distinct errors would be a decryption oracle (XML Encryption
      // CBC attack), so without a verified Response signature every failure reads the same.
      return responseSig ? opened : refuse('decryption_failed', UNAUTHENTICATED_CIPHERTEXT);
    }
    assertionSig = opened.signature;
    if (!responseSig && !assertionSig) return refuse('decryption_failed', UNAUTHENTICATED_CIPHERTEXT);
    // Unsigned inside: covered by the Response signature over its ciphertext.
    assertion = opened.assertion;
  }
  if (isFailure(assertion)) return assertion;
  // Only once every signature present has verified: the refusal is authenticated (the IdP's key
  // signed it), and the uniform refusals of unauthenticated ciphertext above are untouched.
  const expired = expiredSigner(certificates, [
    ['Response', responseSig],
    ['Assertion', assertionSig],
  ]);
  if (expired && !idp.allowExpiredCertificates) return expired;

  const checked = checkAssertion(assertion, envelopeOf(signedResponse ?? root), ctx);
  if (!checked.ok) return checked;

  const used = [assertionSig, responseSig].filter((s): s is VerifiedSignature => s !== null);
  const first = used[0] as VerifiedSignature;
  if (!encrypted && idp.strictSecondVerdict) {
    // Opted in per connection: samlify's own verification must agree too (it runs last so refusals
    // carry our precise reasons). Not for encrypted assertions: samlify decrypts through
    // xml-encryption, which fails on workerd (see decrypt.ts), so there our checks stand alone.
    const gate = await samlifyGate({ xml, idp, sp, certificates, preferred: first.certificateIndex });
    if (!gate.ok) return gate;
  }

  return {
    ok: true,
    assertion: {
      ...checked.fields,
      signature: {
        responseSigned: responseSig !== null,
        assertionSigned: assertionSig !== null,
        certificateIndex: first.certificateIndex,
        usedSha1: used.some((s) => s.usedSha1),
      },
      encrypted,
    },
  };
}
