/**
 * Independent SAML identity providers for interoperability tests: pysaml2 and Lasso (Debian's
 * python3-pysaml2 and python3-lasso), driven through the scripts in ./python/. Each call runs one
 * script with one JSON request on stdin and reads one JSON answer from stdout; no network, no state
 * kept between calls (the IdP's keys and the SP metadata travel with every request).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from './test-idp.js';
import type { KeyPair } from './test-idp.js';

/** Debian's interpreter, where the distribution's python3-pysaml2 and python3-lasso are installed. */
export const PYTHON = '/usr/bin/python3';

export type PythonIdpLibrary = 'pysaml2' | 'lasso';

const MODULE: Record<PythonIdpLibrary, string> = { pysaml2: 'saml2', lasso: 'lasso' };
const SCRIPT: Record<PythonIdpLibrary, string> = {
  pysaml2: fileURLToPath(new URL('./python/pysaml2_idp.py', import.meta.url)),
  lasso: fileURLToPath(new URL('./python/lasso_idp.py', import.meta.url)),
};

/** Whether the library imports: the only reason an interoperability test may skip. */
export function pythonLibraryAvailable(library: PythonIdpLibrary): boolean {
  const result = spawnSync(PYTHON, ['-c', `import ${MODULE[library]}`], { stdio: 'ignore' });
  return result.status === 0;
}

/** What the IdP library read from our AuthnRequest. */
export interface ParsedAuthnRequest {
  id: string;
  issuer: string | null;
  destination: string | null;
  acsUrl: string | null;
  protocolBinding: string | null;
  nameIdFormat: string | null;
}

export interface PythonResponseOptions {
  /** Our SP metadata, as GET /saml/<id>/metadata serves it. */
  spMetadata: string;
  /** The NameID (emailAddress format). */
  nameId: string;
  attributes?: Record<string, string[]>;
  /** Which element the IdP signs (default the assertion). */
  sign?: 'assertion' | 'response';
  /** Default sha256; pysaml2's own default is sha1. */
  algorithm?: 'sha256' | 'sha1';
  /**
   * Encrypt the signed assertion to the encryption certificate of our SP metadata, with this cipher
   * (key transport RSA-OAEP). pysaml2 by itself knows only 3DES: AES is supplied by its script.
   */
  encrypt?: 'aes256-cbc' | 'tripledes-cbc';
}

export type IncomingAuthnRequest =
  | { binding: 'post'; samlRequest: string }
  /** The URL our 302 sent the browser to (HTTP-Redirect binding). */
  | { binding: 'redirect'; location: string };

export interface PythonIdp extends KeyPair {
  library: PythonIdpLibrary;
  entityId: string;
  ssoUrl: string;
  /** The IdP's metadata as the library (pysaml2) or its usual set-up (Lasso) writes it. */
  metadata(): string;
  /** The library reads our AuthnRequest (against our SP metadata) and answers it: a base64 SAMLResponse. */
  respond(request: IncomingAuthnRequest, options: PythonResponseOptions): { request: ParsedAuthnRequest; samlResponse: string };
  /** An unsolicited (IdP-initiated) response to the SP of `spEntityId`. */
  unsolicited(spEntityId: string, options: PythonResponseOptions): { samlResponse: string };
}

/** Runs the library's script on one request; its own error message when it refuses. */
function run(library: PythonIdpLibrary, request: Record<string, unknown>): Record<string, any> {
  let stdout: string;
  try {
    stdout = execFileSync(PYTHON, [SCRIPT[library]], { input: JSON.stringify(request), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    let message = failed.stderr || String(error);
    try {
      message = JSON.parse(failed.stdout ?? '').error ?? message;
    } catch {
      // not JSON: the interpreter's own output
    }
    throw new Error(`${library} ${String(request.action)}: ${message}`);
  }
  return JSON.parse(stdout);
}

export function createPythonIdp(library: PythonIdpLibrary, options: { entityId?: string; ssoUrl?: string; keys?: KeyPair } = {}): PythonIdp {
  const entityId = options.entityId ?? `https://idp.test/${library}/${randomUUID()}`;
  const ssoUrl = options.ssoUrl ?? `https://idp.test/${library}/sso`;
  const keys = options.keys ?? generateKeyPair(`${library}-idp`);
  const identity = { entityId, ssoUrl, certificatePem: keys.certificatePem, privateKeyPem: keys.privateKeyPem };
  const responseFields = (o: PythonResponseOptions) => ({
    spMetadata: o.spMetadata,
    nameId: o.nameId,
    attributes: o.attributes ?? {},
    sign: o.sign ?? 'assertion',
    algorithm: o.algorithm ?? 'sha256',
    encrypt: o.encrypt ?? null,
  });
  return {
    library,
    entityId,
    ssoUrl,
    ...keys,
    metadata: () => run(library, { action: 'metadata', ...identity }).metadata,
    respond(incoming, o) {
      const message =
        incoming.binding === 'post'
          ? { binding: 'post', samlRequest: incoming.samlRequest }
          : // pysaml2 takes the SAMLRequest value; Lasso the whole query string.
            { binding: 'redirect', samlRequest: new URL(incoming.location).searchParams.get('SAMLRequest'), query: new URL(incoming.location).search.slice(1) };
      const answer = run(library, { action: 'respond', ...identity, ...message, ...responseFields(o) });
      return { request: answer.request, samlResponse: answer.samlResponse };
    },
    unsolicited: (spEntityId, o) => ({ samlResponse: run(library, { action: 'unsolicited', ...identity, spEntityId, ...responseFields(o) }).samlResponse }),
  };
}
