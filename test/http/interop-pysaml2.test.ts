/**
 * Interoperability with pysaml2 as the IdP (an implementation independent of ours): its metadata,
 * which offers only an HTTP-POST SingleSignOnService, configures a connection; pysaml2 reads our SP
 * metadata and the AuthnRequest our login page posts, and its signed responses sign the person in.
 * Skipped only where the library cannot be imported (CI installs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { alterAfterSigning, connectionFromMetadata, decodeResponse, occupyCompanyUrls, signaturePlaces, spMetadataOf, startLogin } from '../support/interop.js';
import type { InteropConnection } from '../support/interop.js';
import { createPythonIdp, pythonLibraryAvailable } from '../support/python-idp.js';
import { generateKeyPair } from '../support/test-idp.js';
import type { PythonIdp } from '../support/python-idp.js';
import { PUBLIC_URL, confirmedUser, me, postAcs } from '../support/saml.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

describe.skipIf(!pythonLibraryAvailable('pysaml2'))('pysaml2 as the IdP', () => {
  let handle: DatabaseHandle;
  // pysaml2 stamps its messages with the real clock: so does the app here.
  let app: TestApp;
  let company: TestCompany;
  let idp: PythonIdp;
  let connection: InteropConnection;
  const email = 'pat@interop-pysaml2.example';

  beforeAll(async () => {
    handle = await openTestDatabase();
    app = makeApp(handle);
    company = await setupCompany(app, 'Interop pysaml2');
    idp = createPythonIdp('pysaml2');
    await occupyCompanyUrls(app, company, idp.certificatePem);
    connection = await connectionFromMetadata(app, company, 'pysaml2', idp.metadata());
    await confirmedUser(app, company, email);
  });
  afterAll(async () => {
    await handle?.close();
  });

  const signIn = async (samlResponse: string, cookie?: string) => {
    const result = await postAcs(app, connection.acsKey, samlResponse, undefined, cookie);
    expect(result.status, result.html).toBe(303);
    const who = await me(app, result.cookie);
    expect(who.status).toBe(200);
    expect(who.json.user).toMatchObject({ email });
  };

  it("reads pysaml2's metadata: its entity ID, its only (HTTP-POST) SSO endpoint, and it publishes ours for pysaml2 to load", () => {
    const metadata = idp.metadata();
    expect(metadata).toContain(`Binding="${POST}"`);
    expect(metadata).not.toContain('HTTP-Redirect');
    expect(connection.idp).toMatchObject({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, ssoBinding: 'post' });
    // The company's second connection: its own SP URLs.
    expect(connection.spEntityId).toBe(`${PUBLIC_URL}/saml/${connection.id}`);
    expect(connection.acsUrl).toBe(`${PUBLIC_URL}/saml/${connection.id}/acs`);
    expect(connection.spMetadata).toContain(`entityID="${connection.spEntityId}"`);
  });

  it('SP-initiated: the login page posts an AuthnRequest pysaml2 accepts (and the SAML XSDs it ships accept it and our metadata), and its assertion-signed answer signs the person in', async () => {
    const start = await startLogin(app, connection.id);
    expect(start.status).toBe(200);
    expect(start.target).toBe(idp.ssoUrl);
    const answer = idp.respond(start.incoming, { spMetadata: connection.spMetadata, nameId: email, attributes: { mail: [email] } });
    // What pysaml2 read, after checking Destination against its endpoint, the ACS URL against our metadata, and both
    // against the protocol and metadata schemas (the script's own step: pysaml2 checks only signed messages).
    expect(answer.request).toMatchObject({
      id: start.requestId,
      issuer: connection.spEntityId,
      destination: idp.ssoUrl,
      acsUrl: connection.acsUrl,
      protocolBinding: POST,
      nameIdFormat: EMAIL_FORMAT,
    });
    expect(signaturePlaces(answer.samlResponse)).toEqual({ response: false, assertion: true });
    await signIn(answer.samlResponse, start.cookie);
  });

  it('SP-initiated: a response pysaml2 signs as a whole (the assertion unsigned) is accepted too', async () => {
    const start = await startLogin(app, connection.id);
    const answer = idp.respond(start.incoming, { spMetadata: connection.spMetadata, nameId: email, sign: 'response' });
    expect(signaturePlaces(answer.samlResponse)).toEqual({ response: true, assertion: false });
    await signIn(answer.samlResponse, start.cookie);
  });

  /** With our SP encryption key pair configured on the connection for the duration of `run`. */
  async function withSpEncryption(run: (spMetadata: string) => Promise<void>) {
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

  it('IdP-initiated: a pysaml2 response whose signed assertion is encrypted (AES-256-CBC, RSA-OAEP) to our SP certificate is accepted', async () => {
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

  it('refuses a pysaml2 assertion encrypted with 3DES-CBC (pysaml2\'s only cipher) as decryption_failed, naming the cipher to the admin', async () => {
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

  it('IdP-initiated: an unsolicited pysaml2 response is accepted', async () => {
    const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata: connection.spMetadata, nameId: email, attributes: { mail: [email] } });
    expect(Buffer.from(samlResponse, 'base64').toString('utf8')).not.toContain('InResponseTo');
    await signIn(samlResponse);
  });

  it('refuses a pysaml2-signed response whose email attribute was altered after signing (signature_invalid)', async () => {
    const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata: connection.spMetadata, nameId: email, attributes: { mail: [email] } });
    const tampered = alterAfterSigning(samlResponse, `>${email}</ns1:AttributeValue>`, '>mallory@interop-pysaml2.example</ns1:AttributeValue>');
    const result = await postAcs(app, connection.acsKey, tampered);
    expect(result.status).toBe(403);
    expect(result.html).toContain('signature_invalid');
    expect(result.cookie).toBeNull();
  });

  it("refuses pysaml2's default RSA-SHA1 signature while the connection does not allow SHA-1 (sha1_not_allowed)", async () => {
    const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata: connection.spMetadata, nameId: email, algorithm: 'sha1' });
    const result = await postAcs(app, connection.acsKey, samlResponse);
    expect(result.status).toBe(403);
    expect(result.html).toContain('sha1_not_allowed');
  });
});
