/**
 * Hostile text at the door (issue 9, point 5): an unpaired surrogate or an escaped NUL is a 400 (SCIM
 * form on SCIM routes), never a 500 from a jsonb write: on every write route of the app (walked from
 * its route table, so a new route fails here until it is listed), in a signed SAML response, inside an
 * encrypted assertion, and in pasted IdP metadata. Every ACS refusal leaves its audit row.
 */
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { OPERATOR_TOKEN, call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { parseXmlStrict, XmlRejected } from '../../src/saml/xml.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs, spOf as spOfCompany } from '../support/saml.js';
import { expectScimError, oktaUser, scim, scimToken } from '../support/scim.js';
import { createTestIdp, generateKeyPair, toBase64 } from '../support/test-idp.js';
import type { KeyPair, TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let company: TestCompany;
let token: string;
let base: string;
let idp: TestIdp;
let spKeys: KeyPair;
const now = new Date('2026-08-01T09:00:00Z');
beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  company = await setupCompany(app, 'Hostile Co');
  ({ token, base } = await scimToken(app, company));
  idp = createTestIdp({ entityId: 'https://idp.test/hostile' });
  spKeys = generateKeyPair('hostile-sp');
});
afterAll(async () => {
  await handle?.close();
});

describe('hostile text', () => {
  it('a SCIM filter string escaping NUL or a lone surrogate is a SCIM 400 invalidFilter', async () => {
    for (const escape of ['\\u0000', '\\ud800']) {
      expectScimError(await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "a${escape}b"`)}`), 400, 'invalidFilter');
    }
  });

  it('a SCIM write with a lone surrogate is a SCIM 400', async () => {
    const res = await scim(app, token, 'POST', `${base}/Users`, JSON.stringify(oktaUser('s@hostile.example', { displayName: 'a\ud800b' })));
    expectScimError(res, 400, 'invalidValue');
  });

  it('an API create with a lone surrogate is a 400 invalid_characters', async () => {
    const res = await call(app, 'POST', `/api/companies/${company.id}/workspaces`, { token: company.key, body: '{"name":"a\\ud800b"}' });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe('invalid_characters');
  });

  it('SAML XML naming a lone surrogate or NUL by character reference is refused as invalid_characters before parsing', () => {
    for (const ref of ['&#xD800;', '&#0;', '&#55296;', '&#x1;', '&#99999999999;']) {
      const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x>a${ref}b</x></samlp:Response>`;
      let error: unknown;
      try {
        parseXmlStrict(xml);
      } catch (e) {
        error = e;
      }
      expect(error, ref).toBeInstanceOf(XmlRejected);
      expect((error as XmlRejected).kind, ref).toBe('invalid_characters');
    }
    expect(parseXmlStrict('<r>&#x1F600;&#233;&#10;</r>').documentElement.textContent).toBe('\u{1F600}\u00e9\n');
  });
});


/** How a write route is probed with a lone surrogate, and what it must answer. */
interface Probe {
  auth: 'operator' | 'company' | 'scim' | 'none';
  /** The JSON value sent (JSON.stringify writes a lone surrogate as the escape `\ud800`). */
  body: unknown;
  /** `api`: 400 invalid_characters; `scim`: SCIM 400 invalidValue; `ignored`: the route reads no body (reason given). */
  expect: 'api' | 'scim' | { ignored: string };
}

const BAD = 'a\ud800b';
const scimUserBody = () => oktaUser('walk@hostile.example', { displayName: BAD });
const scimGroupBody = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: BAD };
const patchBody = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: BAD }] };

/** Every POST, PUT and PATCH route of the app. The ACS (a form post of XML) is walked below, on its own terms. */
const PROBES: Record<string, Probe> = {
  'POST /api/operator/reseal': { auth: 'operator', body: { note: BAD }, expect: 'api' },
  'POST /api/operator/companies': { auth: 'operator', body: { name: BAD }, expect: 'api' },
  'POST /api/operator/companies/:companyId/api-keys': { auth: 'operator', body: { label: BAD }, expect: 'api' },
  'POST /api/operator/companies/:companyId/domain-exceptions': { auth: 'operator', body: { domain: 'x.example', reason: BAD }, expect: 'api' },
  'POST /api/operator/companies/:companyId/impersonations': { auth: 'operator', body: { email: `${BAD}@hostile.example` }, expect: 'api' },
  'POST /api/operator/companies/:companyId/jit/disable': { auth: 'operator', body: { reason: BAD }, expect: 'api' },
  'POST /api/companies/:companyId/workspaces': { auth: 'company', body: { name: BAD }, expect: 'api' },
  'POST /api/companies/:companyId/permission-sets': { auth: 'company', body: { name: BAD, permissions: [BAD] }, expect: 'api' },
  'POST /api/companies/:companyId/users': { auth: 'company', body: { email: 'u@hostile.example', workspaceId: 'ws', permissionSetId: 'ps', firstName: BAD }, expect: 'api' },
  'PUT /api/companies/:companyId/saml': { auth: 'company', body: { idpEntityId: BAD, ssoUrl: 'https://idp.test/sso', certificates: ['x'] }, expect: 'api' },
  'POST /api/companies/:companyId/saml-connections': { auth: 'company', body: { name: BAD, idpEntityId: 'https://idp.test/x', ssoUrl: 'https://idp.test/sso', certificates: ['x'] }, expect: 'api' },
  'PATCH /api/companies/:companyId/saml-connections/:connectionId': { auth: 'company', body: { name: BAD }, expect: 'api' },
  // Reads no body, but a JSON body sent anyway is checked before any route runs.
  'POST /api/companies/:companyId/saml-connections/:connectionId/refresh': { auth: 'company', body: { x: BAD }, expect: 'api' },
  'PUT /api/companies/:companyId/security/jit': { auth: 'company', body: { enabled: true, defaultWorkspaceId: BAD }, expect: 'api' },
  'POST /api/companies/:companyId/jit/explain': { auth: 'company', body: { email: `${BAD}@hostile.example` }, expect: 'api' },
  'POST /api/companies/:companyId/scim-tokens': { auth: 'company', body: { label: BAD }, expect: 'api' },
  'PUT /api/companies/:companyId/scim/group-mappings/:groupId': { auth: 'company', body: { workspaceId: BAD, permissionSetId: 'ps' }, expect: 'api' },
  'POST /api/logout': { auth: 'none', body: { x: BAD }, expect: 'api' },
  'POST /scim/v2/:companyId/Users': { auth: 'scim', body: scimUserBody(), expect: 'scim' },
  'PUT /scim/v2/:companyId/Users/:id': { auth: 'scim', body: scimUserBody(), expect: 'scim' },
  'PATCH /scim/v2/:companyId/Users/:id': { auth: 'scim', body: patchBody, expect: 'scim' },
  'POST /scim/v2/:companyId/Groups': { auth: 'scim', body: scimGroupBody, expect: 'scim' },
  'PUT /scim/v2/:companyId/Groups/:id': { auth: 'scim', body: scimGroupBody, expect: 'scim' },
  'PATCH /scim/v2/:companyId/Groups/:id': { auth: 'scim', body: patchBody, expect: 'scim' },
  'POST /logout': { auth: 'none', body: { x: BAD }, expect: { ignored: 'sign-out reads no body; it only revokes the cookie session' } },
  'POST /invitations/:token': { auth: 'none', body: { x: BAD }, expect: { ignored: 'accepting an invitation reads no body; the token is in the path' } },
  'POST /saml/:connectionId/slo': { auth: 'none', body: { x: BAD }, expect: { ignored: 'Single Logout reads a form (SAMLRequest or SAMLResponse), never JSON: 400 malformed' } },
  'POST /api/operator/applications': { auth: 'operator', body: { name: BAD, redirectUris: ['https://app.example.com/cb'] }, expect: 'api' },
  'PATCH /api/operator/applications/:applicationId': { auth: 'operator', body: { name: BAD }, expect: 'api' },
  'POST /api/operator/applications/:applicationId/secrets': { auth: 'operator', body: { x: BAD }, expect: 'api' },
  'POST /api/operator/oidc/signing-keys/rotate': { auth: 'operator', body: { x: BAD }, expect: 'api' },
  'POST /api/operator/webhooks': { auth: 'operator', body: { url: 'http://127.0.0.1:9/hook', description: BAD }, expect: 'api' },
  'PATCH /api/operator/webhooks/:webhookId': { auth: 'operator', body: { description: BAD }, expect: 'api' },
  'POST /api/operator/webhooks/:webhookId/rotate-secret': { auth: 'operator', body: { x: BAD }, expect: 'api' },
  'POST /api/operator/webhooks/:webhookId/resend': { auth: 'operator', body: { after: BAD }, expect: 'api' },
  'POST /api/companies/:companyId/webhooks': { auth: 'company', body: { url: BAD }, expect: 'api' },
  'PATCH /api/companies/:companyId/webhooks/:webhookId': { auth: 'company', body: { description: BAD }, expect: 'api' },
  'POST /api/companies/:companyId/webhooks/:webhookId/rotate-secret': { auth: 'company', body: { x: BAD }, expect: 'api' },
  'POST /api/companies/:companyId/webhooks/:webhookId/resend': { auth: 'company', body: { after: BAD }, expect: 'api' },
  'POST /oauth/token': { auth: 'none', body: { x: BAD }, expect: { ignored: 'the token endpoint reads a form (RFC 6749), never JSON: 400 invalid_request' } },
  'POST /oauth/userinfo': { auth: 'none', body: { x: BAD }, expect: { ignored: 'userinfo reads no body; the access token is the Bearer header' } },
  'POST /oauth/logout': { auth: 'none', body: { x: BAD }, expect: { ignored: 'end-session reads a form, never JSON: a body that is not one is no parameters' } },
};
const ACS_ROUTE = 'POST /saml/:connectionId/acs';

async function audited(c: TestCompany, reason: string) {
  const res = await call(app, 'GET', `/api/companies/${c.id}/audit-events?action=saml.login_refused`, { token: c.key });
  expect(res.status, res.text).toBe(200);
  return res.json.events.filter((e: { reason: string }) => e.reason === reason);
}

describe('the JSON body check', () => {
  it('parses an API body once: the validator is handed the parse the character check made', async () => {
    const text = JSON.stringify({ name: 'Parsed once' });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const res = await app.request(`/api/companies/${company.id}/workspaces`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${company.key}`, 'Content-Type': 'application/json' },
        body: text,
      });
      expect(res.status).toBe(201);
      expect(parse.mock.calls.filter(([arg]) => arg === text)).toHaveLength(1);
    } finally {
      parse.mockRestore();
    }
    expect((await call(app, 'GET', `/api/companies/${company.id}/workspaces`, { token: company.key })).text).toContain('Parsed once');
  });
});

describe('the route walk: a lone surrogate in a JSON body of every write route', () => {
  it('is a 400 (SCIM form on SCIM routes) or ignored by a route that reads no body, never a 5xx', async () => {
    expect(JSON.stringify({ x: BAD })).toBe('{"x":"a\\ud800b"}');
    const userId = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('walked@hostile.example'))).json.id as string;
    const groupId = (await scim(app, token, 'POST', `${base}/Groups`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Walked' })).json.id as string;
    expect(userId && groupId).toBeTruthy();

    const routes = new Set(app.routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method)).map((r) => `${r.method} ${r.path}`));
    const unlisted = [...routes].filter((route) => route !== ACS_ROUTE && !(route in PROBES));
    expect(unlisted, 'write routes the walk does not know: add them to PROBES').toEqual([]);
    expect(Object.keys(PROBES).filter((route) => !routes.has(route)), 'PROBES naming no route').toEqual([]);
    expect(routes.has(ACS_ROUTE)).toBe(true);

    for (const [route, probe] of Object.entries(PROBES)) {
      const [method, pattern] = route.split(' ') as [string, string];
      const path = pattern
        .replace(':companyId', company.id)
        .replace(':groupId', groupId)
        .replace(':id', pattern.includes('/Users/') ? userId : groupId)
        .replace(':token', 'inv_0000000000000000.not-a-token')
        .replace(':webhookId', 'whk_0000000000000000');
      const auth = { operator: OPERATOR_TOKEN, company: company.key, scim: token, none: null }[probe.auth];
      const type = probe.expect === 'scim' ? 'application/scim+json' : 'application/json';
      const res = await call(app, method, path, { token: auth, body: JSON.stringify(probe.body), headers: { 'Content-Type': type } });
      expect(res.status, `${route}: ${res.text}`).toBeLessThan(500);
      expect(res.text, route).not.toMatch(/\bat .+\.(ts|js):\d+/);
      if (probe.expect === 'api') {
        expect(res.status, `${route}: ${res.text}`).toBe(400);
        expect(res.json.error.code, route).toBe('invalid_characters');
      } else if (probe.expect === 'scim') {
        expectScimError(res, 400, 'invalidValue');
        expect(res.json.detail, route).toContain('invalid_characters');
      }
    }

    // The ACS takes a form, not JSON: its XML names the lone surrogate by character reference.
    await configureSaml(app, company, idp);
    const xml = '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x>a&#xD800;b</x></samlp:Response>';
    const acs = await postAcs(app, company.id, toBase64(xml));
    expect(acs.status).toBe(403);
    expect(acs.html).toContain('invalid_characters');
  });
});

describe('hostile characters in SAML', () => {
  it('a signed response with &#xD800; in the NameID and an attribute (its signature still verifies) is refused and audited', async () => {
    const signed = await setupCompany(app, 'Hostile Signed');
    await configureSaml(app, signed, idp);
    // Node hashes a lone surrogate as U+FFFD's UTF-8 bytes, so a signature over U+FFFD also covers &#xD800;.
    const xml = idp.signResponseXml({
      sp: spOfCompany(signed.id),
      now,
      nameId: 'ja\ufffdne@hostile.example',
      attributes: { firstName: 'Ja\ufffdne' },
      tamper: (x) => x.replaceAll('\ufffd', '&#xD800;'),
    });
    expect(xml).toContain('ja&#xD800;ne@hostile.example');
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const verifier = new SignedXml({ publicCert: idp.certificatePem });
    verifier.loadSignature(doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0]!);
    expect(verifier.checkSignature(xml)).toBe(true);

    const res = await postAcs(app, signed.id, toBase64(xml));
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeNull();
    expect(res.html).toContain('invalid_characters');
    expect(await audited(signed, 'invalid_characters')).toHaveLength(1);
  });

  it('an encrypted assertion whose plaintext names a lone surrogate or NUL is refused after decryption, never a 500', async () => {
    const encrypted = await setupCompany(app, 'Hostile Encrypted');
    await configureSaml(app, encrypted, idp, { spEncryption: { privateKeyPem: spKeys.privateKeyPem, certificatePem: spKeys.certificatePem } });
    await confirmedUser(app, encrypted, 'enc@hostile.example');
    const response = (ref: string, sign: 'response' | 'assertion') =>
      idpInitiated(idp, encrypted.id, 'enc@hostile.example', now, {
        sign,
        encryptFor: { certificatePem: spKeys.certificatePem },
        tamperAssertion: (x) => x.replace('enc@hostile.example</saml:NameID>', `enc${ref}@hostile.example</saml:NameID>`),
      });
    expect((await postAcs(app, encrypted.id, response('', 'response'))).status).toBe(303);

    // The Response signature covers the ciphertext: the refusal can name the characters.
    for (const ref of ['&#xD800;', '&#x0;']) {
      const res = await postAcs(app, encrypted.id, response(ref, 'response'));
      expect(res.status, ref).toBe(403);
      expect(res.html, ref).toContain('invalid_characters');
    }
    expect(await audited(encrypted, 'invalid_characters')).toHaveLength(2);
    // Unauthenticated ciphertext (only the assertion inside is signed): every failure reads alike.
    const inner = await postAcs(app, encrypted.id, response('&#xD800;', 'assertion'));
    expect(inner.status).toBe(403);
    expect(inner.html).toContain('decryption_failed');
  });

  it('pasted IdP metadata naming a lone surrogate or NUL is a 400 metadata_invalid_characters; the connection is unchanged', async () => {
    const pasted = await setupCompany(app, 'Hostile Metadata');
    const certificate = idp.certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const metadata = (entityId: string) =>
      `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">` +
      '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">' +
      `<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
      '</md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.test/sso"/>' +
      '</md:IDPSSODescriptor></md:EntityDescriptor>';
    const put = (metadataXml: string) => call(app, 'PUT', `/api/companies/${pasted.id}/saml`, { token: pasted.key, body: { metadataXml } });
    expect((await put(metadata('https://idp.test/clean'))).status).toBe(200);
    for (const ref of ['&#xD800;', '&#x0;', '&#0;']) {
      const res = await put(metadata(`https://idp.test/a${ref}b`));
      expect(res.status, `${ref}: ${res.text}`).toBe(400);
      expect(res.json.error.code, ref).toBe('metadata_invalid_characters');
      expect(res.json.error.message, ref).toContain('character reference');
    }
    const got = await call(app, 'GET', `/api/companies/${pasted.id}/saml`, { token: pasted.key });
    expect(got.json.idp.entityId).toBe('https://idp.test/clean');
  });
});
