/**
 * Interoperability with Lasso as the IdP (an implementation independent of ours): its usual metadata
 * (HTTP-Redirect and HTTP-POST SingleSignOnService) configures a connection; Lasso loads our SP
 * metadata, reads our AuthnRequest in either binding, and its signed responses sign the person in.
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

describe.skipIf(!pythonLibraryAvailable('lasso'))('Lasso as the IdP', () => {
  let handle: DatabaseHandle;
  // Lasso stamps its messages with the real clock: so does the app here.
  let app: TestApp;
  let company: TestCompany;
  let idp: PythonIdp;
  let connection: InteropConnection;
  const email = 'lee@interop-lasso.example';

  beforeAll(async () => {
    handle = await openTestDatabase();
    app = makeApp(handle);
    company = await setupCompany(app, 'Interop Lasso');
    idp = createPythonIdp('lasso');
    await occupyCompanyUrls(app, company, idp.certificatePem);
    connection = await connectionFromMetadata(app, company, 'Lasso', idp.metadata());
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

  const expectRequestRead = (request: object, requestId: string) =>
    expect(request).toMatchObject({
      id: requestId,
      issuer: connection.spEntityId,
      destination: idp.ssoUrl,
      acsUrl: connection.acsUrl,
      protocolBinding: POST,
      nameIdFormat: EMAIL_FORMAT,
    });

  it("reads Lasso's metadata (HTTP-Redirect is preferred when offered)", () => {
    expect(connection.idp).toMatchObject({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, ssoBinding: 'redirect' });
    // The company's second connection: its own SP URLs.
    expect(connection.spEntityId).toBe(`${PUBLIC_URL}/saml/${connection.id}`);
    expect(connection.acsUrl).toBe(`${PUBLIC_URL}/saml/${connection.id}/acs`);
    expect(connection.spMetadata).toContain(`entityID="${connection.spEntityId}"`);
  });

  it('SP-initiated, HTTP-Redirect: Lasso accepts the deflated AuthnRequest, and its assertion-signed answer signs the person in', async () => {
    const start = await startLogin(app, connection.id);
    expect(start.status).toBe(302);
    expect(start.target).toBe(idp.ssoUrl);
    const answer = idp.respond(start.incoming, { spMetadata: connection.spMetadata, nameId: email, attributes: { mail: [email] } });
    expectRequestRead(answer.request, start.requestId);
    expect(signaturePlaces(answer.samlResponse)).toEqual({ response: false, assertion: true });
    await signIn(answer.samlResponse, start.cookie);
  });

  it('SP-initiated: a response Lasso signs as a whole (besides its assertion, as our metadata asks) is accepted', async () => {
    const start = await startLogin(app, connection.id);
    const answer = idp.respond(start.incoming, { spMetadata: connection.spMetadata, nameId: email, sign: 'response' });
    expect(signaturePlaces(answer.samlResponse)).toEqual({ response: true, assertion: true });
    await signIn(answer.samlResponse, start.cookie);
  });

  it("SP-initiated, HTTP-POST (the connection's ssoBinding changed to post): Lasso accepts the posted AuthnRequest", async () => {
    const changed = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${connection.id}`, { token: company.key, body: { ssoBinding: 'post' } });
    expect(changed.status, changed.text).toBe(200);
    try {
      const start = await startLogin(app, connection.id);
      expect(start.status).toBe(200);
      expect(start.target).toBe(idp.ssoUrl);
      const answer = idp.respond(start.incoming, { spMetadata: connection.spMetadata, nameId: email });
      expectRequestRead(answer.request, start.requestId);
      await signIn(answer.samlResponse, start.cookie);
    } finally {
      await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${connection.id}`, { token: company.key, body: { ssoBinding: 'redirect' } });
    }
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

  it('IdP-initiated: a Lasso response whose signed assertion is encrypted (AES-256-CBC, RSA-OAEP) to our SP certificate is accepted', async () => {
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

  it('refuses a Lasso assertion encrypted with 3DES-CBC as decryption_failed, naming the cipher to the admin', async () => {
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

  it('IdP-initiated: an unsolicited Lasso response is accepted', async () => {
    const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata: connection.spMetadata, nameId: email, attributes: { mail: [email] } });
    expect(Buffer.from(samlResponse, 'base64').toString('utf8')).not.toContain('InResponseTo');
    await signIn(samlResponse);
  });

  it('refuses a Lasso-signed response whose email attribute was altered after signing (signature_invalid)', async () => {
    const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata: connection.spMetadata, nameId: email, attributes: { mail: [email] } });
    const tampered = alterAfterSigning(samlResponse, `>${email}</saml:AttributeValue>`, '>mallory@interop-lasso.example</saml:AttributeValue>');
    const result = await postAcs(app, connection.acsKey, tampered);
    expect(result.status).toBe(403);
    expect(result.html).toContain('signature_invalid');
    expect(result.cookie).toBeNull();
  });
});
