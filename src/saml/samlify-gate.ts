import { Buffer } from 'node:buffer';
import { IdentityProvider, ServiceProvider, setSchemaValidator } from 'samlify';
import { refuse } from './types.js';
import type { IdpTrust, SamlFailure, SamlFailureReason, SpIdentity } from './types.js';
import type { TrustedCertificate } from './signature.js';
import { checkRoot, inspectResponse } from './structure.js';
import { parseRoot } from './xml.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
/** samlify never needs these endpoints to parse a response; giving one keeps it from warning on every call. */
const UNUSED_ENDPOINT = 'urn:invalid:unused-endpoint';
/**
 * samlify reads `new Date()` for its own NotBefore/NotOnOrAfter check. Time is decided by our checks
 * with the caller's `now`, so its window is opened to the whole Date range and its clock read has no effect.
 */
const NEUTRAL_DRIFT = 8.64e15;

/**
 * The schema validator samlify demands (module-global; re-registered before each use so nobody else's
 * registration can replace it). Choice: the strict xmldom structural check, not XSD via xmllint-wasm.
 * - Cost, measured on this 2-vCPU VM (a throwaway probe, 2026-11): decode + strict
 *   parse + these rules 0.12 ms p50; in-process xmllint-wasm costs 3.3 ms per call just to
 *   instantiate and run on a one-element schema, ~16 ms with the SAML XSDs (NOTES-runtime.md §4),
 *   i.e. more than all the rest of verification (~4 ms) and a large share of a Worker's CPU budget.
 * - Security: XSD validity does not stop signature wrapping (the SAML schemas put xs:any, lax, in
 *   Extensions, Advice, StatusDetail and ds:Object, where XSW hides elements). What stops it is
 *   structure.ts (one assertion directly under the root, no nested Response, unique IDs, signatures
 *   only where SAML puts them) and reading identity only from what the signature covers (signature.ts).
 * - Footprint: no 800 KiB wasm, no vendored emscripten glue or XSD copies; same code on both runtimes.
 */
async function structuralValidator(xml: string): Promise<string> {
  let root: Element;
  try {
    root = parseRoot(xml);
  } catch (error) {
    throw new Error(`ERR_SCHEMA_STRUCTURE: ${error instanceof Error ? error.message : String(error)}`);
  }
  const failure = checkRoot(root);
  if (failure) throw new Error(`ERR_SCHEMA_STRUCTURE: ${failure.detail}`);
  const shape = inspectResponse(root);
  if (!shape.ok) throw new Error(`ERR_SCHEMA_STRUCTURE: ${shape.detail}`);
  return 'structurally valid';
}

/** Registers our validator with samlify. Called by every function here that makes samlify parse. */
export function registerSchemaValidator(): void {
  setSchemaValidator({ validate: structuralValidator });
}

const SAMLIFY_ERRORS: Array<[string, SamlFailureReason]> = [
  ['ERR_SCHEMA_STRUCTURE', 'malformed'],
  ['ERR_UNMATCH_ISSUER', 'issuer_mismatch'],
  ['ERR_FAILED_STATUS', 'status_not_success'],
  ['ERR_UNDEFINED_STATUS', 'status_not_success'],
  ['ERR_MULTIPLE_ASSERTION', 'assertion_count'],
];

function mapSamlifyError(error: unknown): SamlFailure {
  const message = error instanceof Error ? error.message : String(error);
  const match = SAMLIFY_ERRORS.find(([prefix]) => message.startsWith(prefix));
  return refuse(match ? match[1] : 'signature_invalid', `samlify refused the response: ${message.slice(0, 200)}`);
}

/**
 * Runs samlify's own `parseLoginResponse` over a (non-encrypted) response: its signature verification
 * with a configured certificate, its wrapping and issuer checks. A second, independent verdict, never
 * the source of the identity: verify.ts verifies each signature itself, because samlify accepts a
 * response when any one signature verifies (okta-2024-response-signature-broken) and, without
 * KeyInfo, only tries the first certificate. `preferred` (the one our check found) is tried first.
 */
export async function samlifyGate(args: {
  xml: string;
  idp: IdpTrust;
  sp: SpIdentity;
  certificates: readonly TrustedCertificate[];
  preferred: number | null;
}): Promise<{ ok: true } | SamlFailure> {
  registerSchemaValidator();
  const serviceProvider = ServiceProvider({
    entityID: args.sp.entityId,
    assertionConsumerService: [{ Binding: POST, Location: args.sp.acsUrl }],
    clockDrifts: [-NEUTRAL_DRIFT, NEUTRAL_DRIFT],
  });
  const ordered = [...args.certificates].sort(
    (a, b) => Number(b.index === args.preferred) - Number(a.index === args.preferred),
  );
  // Same bytes we verified: samlify decodes base64 itself.
  const body = { SAMLResponse: Buffer.from(args.xml, 'utf8').toString('base64') };
  let failure: SamlFailure = refuse('config_invalid', 'no IdP certificate configured');
  for (const cert of ordered) {
    const identityProvider = IdentityProvider({
      entityID: args.idp.entityId,
      signingCert: cert.pem,
      singleSignOnService: [{ Binding: REDIRECT, Location: UNUSED_ENDPOINT }],
      singleLogoutService: [{ Binding: REDIRECT, Location: UNUSED_ENDPOINT }],
    });
    try {
      await serviceProvider.parseLoginResponse(identityProvider, 'post', { body });
      return { ok: true };
    } catch (error) {
      failure = mapSamlifyError(error);
      if (failure.reason !== 'signature_invalid') return failure;
    }
  }
  return failure;
}
