/**
 * Interoperability with pysaml2 as the IdP (an implementation independent of ours): its metadata,
 * which offers only an HTTP-POST SingleSignOnService, configures a connection; pysaml2 reads our SP
 * metadata and the AuthnRequest our login page posts, and its signed responses sign the person in.
 * Skipped only where the library cannot be imported (CI installs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { commonInteropCases, connectionFromMetadata, occupyCompanyUrls, signaturePlaces, startLogin } from '../support/interop.js';
import type { InteropConnection } from '../support/interop.js';
import { createPythonIdp, pythonLibraryAvailable } from '../support/python-idp.js';
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

  commonInteropCases('pysaml2', () => ({ app, company, connection, idp, email, signIn, attributeElement: 'ns1:AttributeValue' }));

  it("refuses pysaml2's default RSA-SHA1 signature while the connection does not allow SHA-1 (sha1_not_allowed)", async () => {
    const { samlResponse } = idp.unsolicited(connection.spEntityId, { spMetadata: connection.spMetadata, nameId: email, algorithm: 'sha1' });
    const result = await postAcs(app, connection.acsKey, samlResponse);
    expect(result.status).toBe(403);
    expect(result.html).toContain('sha1_not_allowed');
  });
});
