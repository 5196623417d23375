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
import { commonInteropCases, connectionFromMetadata, occupyCompanyUrls, signaturePlaces, startLogin } from '../support/interop.js';
import type { InteropConnection } from '../support/interop.js';
import { createPythonIdp, pythonLibraryAvailable } from '../support/python-idp.js';
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

  commonInteropCases('Lasso', () => ({ app, company, connection, idp, email, signIn, attributeElement: 'saml:AttributeValue' }));
});
