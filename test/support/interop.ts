/**
 * The bridge's side of the interoperability tests: a connection configured from an IdP's metadata, our
 * SP metadata, and an SP-initiated start read as the browser would (the POST form or the 302).
 */
import { inflateRawSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { call } from './app.js';
import type { TestApp, TestCompany } from './app.js';
import type { IncomingAuthnRequest, PythonIdp } from './python-idp.js';
import { generateKeyPair } from './test-idp.js';
import { AUTHN_COOKIE, postAcs } from './saml.js';

export interface InteropConnection {
  id: string;
  spEntityId: string;
  acsUrl: string;
  /** The key of the ACS path (/saml/<key>/acs): what postAcs takes. */
  acsKey: string;
  idp: { entityId: string; ssoUrl: string; ssoBinding: 'redirect' | 'post' };
  /** Our SP metadata, fetched from GET /saml/<connectionId>/metadata. */
  spMetadata: string;
}

/**
 * A first connection (manual, another IdP entity) so that the next one is not the company-level alias:
 * its SP URLs are /saml/<connectionId>/..., what the tests exercise.
 */
export async function occupyCompanyUrls(app: TestApp, company: TestCompany, certificatePem: string): Promise<void> {
  const res = await call(app, 'PUT', `/api/companies/${company.id}/saml`, {
    token: company.key,
    body: { idpEntityId: 'https://idp.test/first-connection', ssoUrl: 'https://idp.test/first-connection/sso', certificates: [certificatePem] },
  });
  expect(res.status, res.text).toBe(200);
}

/** Our SP metadata of a connection, as the IdP fetches it. */
export async function spMetadataOf(app: TestApp, connectionId: string): Promise<string> {
  const metadata = await app.request(`/saml/${connectionId}/metadata`);
  expect(metadata.status).toBe(200);
  return metadata.text();
}

/** POST …/saml-connections with the IdP's metadata, then our SP metadata for the IdP. */
export async function connectionFromMetadata(app: TestApp, company: TestCompany, name: string, metadataXml: string): Promise<InteropConnection> {
  const created = await call(app, 'POST', `/api/companies/${company.id}/saml-connections`, { token: company.key, body: { name, metadataXml } });
  expect(created.status, created.text).toBe(201);
  const connection = created.json;
  const acsKey = /\/saml\/([^/]+)\/acs$/.exec(new URL(connection.acsUrl).pathname)?.[1];
  if (!acsKey) throw new Error(`unexpected ACS URL ${connection.acsUrl}`);
  return { id: connection.id, spEntityId: connection.spEntityId, acsUrl: connection.acsUrl, acsKey, idp: connection.idp, spMetadata: await spMetadataOf(app, connection.id) };
}

export interface LoginStart {
  status: number;
  /** The binding cookie (`name=value`) the browser sends back to the ACS. */
  cookie: string;
  /** The AuthnRequest as the IdP receives it. */
  incoming: IncomingAuthnRequest;
  /** Where the browser goes: the form's action, or the 302's URL without its query. */
  target: string;
  /** Our AuthnRequest's ID, as we sent it. */
  requestId: string;
}

const unescapeAttribute = (value: string): string =>
  value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function attribute(tag: string, name: string): string | null {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? unescapeAttribute(match[1]!) : null;
}

/** GET /saml/<key>/login as a browser: the POST page (200) or the redirect (302), read either way. */
export async function startLogin(app: TestApp, key: string): Promise<LoginStart> {
  const res = await app.request(`/saml/${key}/login`);
  const cookie = res.headers.get('Set-Cookie')?.split(';')[0] ?? '';
  expect(cookie.startsWith(`${AUTHN_COOKIE}=`), cookie).toBe(true);
  if (res.status === 302) {
    const location = res.headers.get('Location')!;
    const url = new URL(location);
    const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
    return { status: 302, cookie, incoming: { binding: 'redirect', location }, target: `${url.origin}${url.pathname}`, requestId: idOf(xml) };
  }
  const html = await res.text();
  expect(res.status, html).toBe(200);
  const form = html.match(/<form\b[^>]*>/)?.[0] ?? '';
  const input = (html.match(/<input\b[^>]*>/g) ?? []).find((tag) => attribute(tag, 'name') === 'SAMLRequest');
  const samlRequest = input ? attribute(input, 'value') : null;
  if (!samlRequest) throw new Error(`no SAMLRequest field in ${html}`);
  return {
    status: 200,
    cookie,
    incoming: { binding: 'post', samlRequest },
    target: attribute(form, 'action') ?? '',
    requestId: idOf(Buffer.from(samlRequest, 'base64').toString('utf8')),
  };
}

function idOf(xml: string): string {
  const id = /\sID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error(`no ID in ${xml}`);
  return id;
}

export const decodeResponse = (samlResponse: string): string => Buffer.from(samlResponse, 'base64').toString('utf8');
export const encodeResponse = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');

/** The response with one text replaced after signing (it must occur exactly once, so the test cannot miss). */
export function alterAfterSigning(samlResponse: string, from: string, to: string): string {
  const xml = decodeResponse(samlResponse);
  expect(xml.split(from).length - 1, `${from} in ${xml}`).toBe(1);
  return encodeResponse(xml.replace(from, to));
}

/** Where the XML signatures of a response sit: under the Response, under the Assertion. */
export function signaturePlaces(samlResponse: string): { response: boolean; assertion: boolean } {
  const xml = decodeResponse(samlResponse);
  const assertionStart = xml.search(/<(\w+:)?Assertion[\s>]/);
  const signatures = [...xml.matchAll(/<(\w+:)?Signature[\s>]/g)].map((m) => m.index!);
  return { response: signatures.some((i) => i < assertionStart), assertion: signatures.some((i) => i > assertionStart) };
}

export interface InteropContext {
  app: TestApp;
  company: TestCompany;
  connection: InteropConnection;
  idp: PythonIdp;
  /** The confirmed user the IdP signs in. */
  email: string;
  /** Posts a response to the connection's ACS and checks that it signed `email` in. */
  signIn: (samlResponse: string, cookie?: string) => Promise<void>;
  /** The element, with the prefix the library writes, that holds an attribute value. */
  attributeElement: string;
}

/** The cases every library must pass the same way: encrypted assertions (AES accepted, 3DES refused), IdP-initiated, tampering. */
export function commonInteropCases(library: string, context: () => InteropContext): void {
  /** With our SP encryption key pair configured on the connection for the duration of `run`. */
  async function withSpEncryption(run: (spMetadata: string) => Promise<void>) {
    const { app, company, connection } = context();
    const path = `/api/companies/${company.id}/saml-connections/${connection.id}`;
    const changed = await call(app, 'PATCH', path, { token: company.key, body: { spEncryption: generateKeyPair('bridge-sp-encryption') } });
    expect(changed.status, changed.text).toBe(200);
    try {
      const spMetadata = await spMetadataOf(app, connection.id);
      expect(spMetadata).toContain('use="encryption"');
      await run(spMetadata);
    } finally {
      await call(app, 'PATCH', path, { token: company.key, body: { spEncryption: null } });
    }
  }

  it(`IdP-initiated: a ${library} response whose signed assertion is encrypted (AES-256-CBC, RSA-OAEP) to our SP certificate is accepted`, async () => {
    const { connection, idp, email, signIn } = context();
    await withSpEncryption(async (spMetadata) => {
      const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata, nameId: email, attributes: { mail: [email] }, encrypt: 'aes256-cbc' });
      const xml = decodeResponse(samlResponse);
      expect(xml).toMatch(/<(\w+:)?EncryptedAssertion[\s>]/);
      expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"');
      expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"');
      expect(xml).not.toContain(email);
      await signIn(samlResponse);
    });
  });

  it(`refuses a ${library} assertion encrypted with 3DES-CBC as decryption_failed, naming the cipher to the admin`, async () => {
    const { app, company, connection, idp, email } = context();
    await withSpEncryption(async (spMetadata) => {
      const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata, nameId: email, encrypt: 'tripledes-cbc' });
      expect(decodeResponse(samlResponse)).toContain('Algorithm="http://www.w3.org/2001/04/xmlenc#tripledes-cbc"');
      const result = await postAcs(app, connection.acsKey, samlResponse);
      expect(result.status).toBe(403);
      expect(result.html).toContain('decryption_failed');
      const audit = await call(app, 'GET', `/api/companies/${company.id}/audit-events?action=saml.login_refused&limit=1`, { token: company.key });
      expect(audit.json.events[0].reason).toBe('decryption_failed');
      expect(JSON.stringify(audit.json.events[0])).toContain('unsupported or insecure cipher: http://www.w3.org/2001/04/xmlenc#tripledes-cbc');
    });
  });

  it(`IdP-initiated: an unsolicited ${library} response is accepted`, async () => {
    const { connection, idp, email, signIn } = context();
    const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata: connection.spMetadata, nameId: email, attributes: { mail: [email] } });
    expect(decodeResponse(samlResponse)).not.toContain('InResponseTo');
    await signIn(samlResponse);
  });

  it(`refuses a ${library}-signed response whose email attribute was altered after signing (signature_invalid)`, async () => {
    const { app, connection, idp, email, attributeElement } = context();
    const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata: connection.spMetadata, nameId: email, attributes: { mail: [email] } });
    const domain = email.slice(email.indexOf('@'));
    const tampered = alterAfterSigning(samlResponse, `>${email}</${attributeElement}>`, `>mallory${domain}</${attributeElement}>`);
    const result = await postAcs(app, connection.acsKey, tampered);
    expect(result.status).toBe(403);
    expect(result.html).toContain('signature_invalid');
    expect(result.cookie).toBeNull();
  });
}
