/**
 * samlify as an independent second opinion on a SAML Response: the verdict of a plain samlify service
 * provider, configured the way its documentation suggests and nothing more, so that what it checks is
 * samlify's own logic (signature selection, wrapping XPaths, issuer, status, decryption), not ours.
 *
 * Independence, deliberately:
 * - Its schema validator is a bare well-formedness check with @xmldom/xmldom, NOT src/saml/samlify-gate.ts
 *   (whose structural rules would make samlify refuse exactly what our verifier refuses).
 * - It is given every configured certificate at once (`signingCert: [...]`), as a samlify user would.
 * - Its clockDrifts are opened to the whole Date range: samlify reads the real clock, while the corpus
 *   pins `now` in the past (fixtures from 2016...). So samlify never refuses on time: a gap category.
 */
import { DOMParser } from '@xmldom/xmldom';
import { IdentityProvider, ServiceProvider, setSchemaValidator } from 'samlify';
import type { VerifyInput } from '../../src/saml/index.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
/** samlify wants SSO/SLO endpoints to build an IdP (else it warns); none is contacted while parsing a response. */
const UNUSED_ENDPOINT = 'https://127.0.0.1/unused';
/** ±100 million days in ms: every instant is inside samlify's window (it adds these to NotBefore/NotOnOrAfter). */
const OPEN_DRIFT = 8.64e15;

export type SamlifyVerdict =
  | { ok: true; nameId: string | null }
  | { ok: false; error: string };

/** Counts calls, so the oracle can prove its own validator (not src/saml's) ran for this parse. */
let validatorCalls = 0;

/** Well-formedness only: xmldom must parse the document without error; no SAML rules. */
async function wellFormed(xml: string): Promise<string> {
  validatorCalls += 1;
  const fail = (message: string): never => {
    throw new Error(`ORACLE_NOT_WELL_FORMED: ${message}`);
  };
  const doc = new DOMParser({ errorHandler: { error: fail, fatalError: fail } }).parseFromString(xml, 'text/xml');
  if (!doc.documentElement) fail('no document element');
  return 'well-formed';
}

/** The base64 body of a PEM: samlify puts signingCert into its metadata's X509Certificate element. */
const certificateBody = (pem: string): string => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

/**
 * samlify's verdict on `input` (its `now` and `clockSkewMs` are ignored: see the file comment).
 * Never throws: a samlify exception is its refusal.
 */
export async function samlifyVerdict(input: VerifyInput): Promise<SamlifyVerdict> {
  const encryption = input.sp.encryption;
  const privateKeyPem = encryption ? (typeof encryption.privateKeyPem === 'function' ? encryption.privateKeyPem() : encryption.privateKeyPem) : undefined;
  let sp: ReturnType<typeof ServiceProvider>;
  let idp: ReturnType<typeof IdentityProvider>;
  try {
    sp = ServiceProvider({
      entityID: input.sp.entityId,
      assertionConsumerService: [{ Binding: POST, Location: input.sp.acsUrl }],
      clockDrifts: [-OPEN_DRIFT, OPEN_DRIFT],
      ...(privateKeyPem ? { encPrivateKey: privateKeyPem } : {}),
    });
    idp = IdentityProvider({
      entityID: input.idp.entityId,
      // All configured certificates; samlify may receive none (then it falls back on KeyInfo alone).
      ...(input.idp.certificatesPem.length > 0 ? { signingCert: input.idp.certificatesPem.map(certificateBody) } : {}),
      // A company that configured an SP encryption key expects encrypted assertions.
      isAssertionEncrypted: Boolean(encryption),
      singleSignOnService: [{ Binding: REDIRECT, Location: UNUSED_ENDPOINT }],
      singleLogoutService: [{ Binding: REDIRECT, Location: UNUSED_ENDPOINT }],
    });
  } catch (error) {
    return { ok: false, error: `samlify could not be configured: ${message(error)}` };
  }
  // Module-global in samlify, and src/saml registers its own before each of its parses: set ours
  // right before this parse (samlify reads it synchronously, before its first await).
  setSchemaValidator({ validate: wellFormed });
  const before = validatorCalls;
  // samlify and xml-encryption print their own refusals (stack traces, algorithm deprecations); the verdict says enough.
  const { warn, error: printError } = console;
  console.warn = console.error = () => undefined;
  let parsed: Awaited<ReturnType<typeof sp.parseLoginResponse>>;
  try {
    parsed = await sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: input.samlResponse } });
  } catch (error) {
    // A refusal before any validation (samlify could not even decode it) is still samlify's refusal.
    return { ok: false, error: `${validatorCalls === before ? 'before validation: ' : ''}${message(error)}` };
  } finally {
    console.warn = warn;
    console.error = printError;
  }
  // An acceptance is only samlify's own if it went through the oracle's validator, not src/saml's.
  if (validatorCalls === before) throw new Error('samlify accepted without calling the oracle validator: another one was registered');
  const nameId: unknown = (parsed.extract as { nameID?: unknown }).nameID;
  return { ok: true, nameId: typeof nameId === 'string' ? nameId : nameId == null ? null : JSON.stringify(nameId) };
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 300);
