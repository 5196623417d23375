/**
 * SP-initiated sign-in in the IdP's binding: an IdP whose metadata offers only an HTTP-POST
 * SingleSignOnService (pysaml2, Lasso setups) gets an auto-submitting form carrying the plain-base64
 * AuthnRequest, and the sign-in it answers completes; an IdP that offers HTTP-Redirect keeps the 302.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { samlRequests } from '../../src/store/schema.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { AUTHN_COOKIE, authnRequestIdFrom, configureSaml, confirmedUser, idpInitiated, me, postAcs } from '../support/saml.js';
import { createTestIdp, escapeXml } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

let handle: DatabaseHandle;
let app: TestApp;
const now = new Date('2026-06-01T09:00:00Z');
let idp: TestIdp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/pysaml2' });
});
afterAll(async () => {
  await handle?.close();
});

/** IdP metadata with the given SingleSignOnService endpoints, in this order. */
function idpMetadata(services: { binding: string; location: string }[]): string {
  const certificate = idp.certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${idp.entityId}">` +
    '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">' +
    `<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    '</md:KeyDescriptor>' +
    services.map((s) => `<md:SingleSignOnService Binding="${s.binding}" Location="${escapeXml(s.location)}"/>`).join('') +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}

async function companyFromMetadata(name: string, metadataXml: string): Promise<TestCompany> {
  const company = await setupCompany(app, name);
  const res = await call(app, 'PUT', `/api/companies/${company.id}/saml`, { token: company.key, body: { metadataXml } });
  expect(res.status, res.text).toBe(200);
  return company;
}

/** What hono's JSX renderer escapes in attribute values, undone. */
function unescapeAttribute(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function attribute(tag: string, name: string): string | null {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? unescapeAttribute(match[1]!) : null;
}

interface PostStart {
  status: number;
  html: string;
  csp: string;
  cacheControl: string | null;
  cookie: string;
  form: { method: string | null; action: string | null };
  fields: Record<string, string>;
  /** The decoded SAMLRequest: plain base64, no deflate. */
  authnRequest: string;
  requestId: string;
}

/** GET /saml/:id/login when the answer is the HTTP-POST page: the form, its fields and the headers. */
async function startPostLogin(companyId: string, query = ''): Promise<PostStart> {
  const res = await app.request(`/saml/${companyId}/login${query}`);
  const html = await res.text();
  expect(res.status, html).toBe(200);
  expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
  const formTags = html.match(/<form\b[^>]*>/g) ?? [];
  expect(formTags).toHaveLength(1);
  const fields: Record<string, string> = {};
  for (const input of html.match(/<input\b[^>]*>/g) ?? []) {
    expect(attribute(input, 'type')).toBe('hidden');
    fields[attribute(input, 'name')!] = attribute(input, 'value')!;
  }
  const authnRequest = Buffer.from(fields.SAMLRequest!, 'base64').toString('utf8');
  const cookie = res.headers.get('Set-Cookie')?.split(';')[0] ?? '';
  expect(cookie.startsWith(`${AUTHN_COOKIE}=`)).toBe(true);
  return {
    status: res.status,
    html,
    csp: res.headers.get('Content-Security-Policy') ?? '',
    cacheControl: res.headers.get('Cache-Control'),
    cookie,
    form: { method: attribute(formTags[0]!, 'method'), action: attribute(formTags[0]!, 'action') },
    fields,
    authnRequest,
    requestId: /\sID="([^"]+)"/.exec(authnRequest)?.[1] ?? '',
  };
}

describe('an IdP whose metadata offers only HTTP-POST', () => {
  it('gets a form posting the AuthnRequest (base64, not deflated) and RelayState, auto-submitted under the CSP nonce; its answer signs the user in', async () => {
    const ssoUrl = 'https://idp.test/sso/post?tenant=a&x=1';
    const company = await companyFromMetadata('Post Only', idpMetadata([{ binding: POST, location: ssoUrl }]));
    const connection = await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key });
    expect(connection.json.idp).toMatchObject({ ssoUrl, ssoBinding: 'post' });
    await confirmedUser(app, company, 'jon@decorumsoft.com');

    const start = await startPostLogin(company.id, `?RelayState=${encodeURIComponent('/reports?id=7')}`);
    expect(start.cacheControl).toBe('no-store');
    expect(start.form).toEqual({ method: 'post', action: ssoUrl });
    expect(Object.keys(start.fields).sort()).toEqual(['RelayState', 'SAMLRequest']);
    expect(start.fields.RelayState).toBe('/reports?id=7');
    expect(start.fields.SAMLRequest).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(start.authnRequest.startsWith('<samlp:AuthnRequest ')).toBe(true);
    expect(start.authnRequest).toContain(`Destination="${escapeXml(ssoUrl)}"`);
    expect(start.authnRequest).toContain(`ProtocolBinding="${POST}"`);
    expect(start.authnRequest).toContain(`AssertionConsumerServiceURL="https://bridge.test/saml/${company.id}/acs"`);
    const [stored] = await handle.db
      .select({ id: samlRequests.id, relayState: samlRequests.relayState })
      .from(samlRequests)
      .where(and(eq(samlRequests.companyId, company.id), eq(samlRequests.id, start.requestId)));
    expect(stored).toEqual({ id: start.requestId, relayState: '/reports?id=7' });

    // The inline script runs under the nonce the CSP names, and only it: no 'unsafe-inline'.
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(start.csp)?.[1];
    expect(nonce, start.csp).toBeTruthy();
    expect(start.csp).toContain("default-src 'none'");
    expect(start.csp).not.toContain('unsafe-inline');
    const scripts = start.html.match(/<script\b[^>]*>[^<]*<\/script>/g) ?? [];
    expect(scripts).toHaveLength(1);
    expect(attribute(scripts[0]!, 'nonce')).toBe(nonce);
    expect(scripts[0]).toContain('.submit()');
    expect(attribute(start.html.match(/<style\b[^>]*>/)![0], 'nonce')).toBe(nonce);
    // Without JavaScript the person submits it.
    expect(start.html).toMatch(/<noscript><button type="submit">Continue<\/button><\/noscript>/);
    // A fresh nonce for every page.
    expect((await startPostLogin(company.id)).csp).not.toContain(nonce);

    const answer = idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, { inResponseTo: start.requestId });
    const signedIn = await postAcs(app, company.id, answer, start.fields.RelayState, start.cookie);
    expect(signedIn.status, signedIn.html).toBe(303);
    expect(signedIn.location).toBe('/reports?id=7');
    expect((await me(app, signedIn.cookie)).json.user).toMatchObject({ email: 'jon@decorumsoft.com' });

    // The request is bound to the browser that started it, as with HTTP-Redirect.
    const other = await startPostLogin(company.id);
    const elsewhere = await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now, { inResponseTo: other.requestId }));
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.html).toContain('request_other_browser');
  });

  it('omits RelayState when none was asked for', async () => {
    const company = await companyFromMetadata('Post Plain', idpMetadata([{ binding: POST, location: 'https://idp.test/sso/post' }]));
    const start = await startPostLogin(company.id);
    expect(Object.keys(start.fields)).toEqual(['SAMLRequest']);
  });
});

describe('an IdP whose metadata offers HTTP-Redirect', () => {
  it('keeps the 302 with the deflated AuthnRequest to the Redirect endpoint, even when POST is listed first', async () => {
    const company = await companyFromMetadata(
      'Both Bindings',
      idpMetadata([
        { binding: POST, location: 'https://idp.test/sso/post' },
        { binding: REDIRECT, location: 'https://idp.test/sso/redirect' },
      ]),
    );
    expect((await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key })).json.idp.ssoBinding).toBe('redirect');
    const res = await app.request(`/saml/${company.id}/login`);
    expect(res.status).toBe(302);
    const location = res.headers.get('Location')!;
    expect(location.startsWith('https://idp.test/sso/redirect?SAMLRequest=')).toBe(true);
    expect(authnRequestIdFrom(location)).toMatch(/^_[0-9a-f]{40}$/);
  });
});

describe('manual configuration', () => {
  it("takes ssoBinding 'post' (the form) and defaults to 'redirect' (the 302)", async () => {
    const company = await setupCompany(app, 'Manual Post');
    const configured = await configureSaml(app, company, idp, { ssoBinding: 'post' });
    expect(configured.idp.ssoBinding).toBe('post');
    const start = await startPostLogin(company.id);
    expect(start.form).toEqual({ method: 'post', action: 'https://idp.test/sso' });
    expect(start.authnRequest).toContain('Destination="https://idp.test/sso"');

    await confirmedUser(app, company, 'ann@decorumsoft.com');
    const answer = idpInitiated(idp, company.id, 'ann@decorumsoft.com', now, { inResponseTo: start.requestId });
    expect((await postAcs(app, company.id, answer, undefined, start.cookie)).status).toBe(303);

    const plain = await setupCompany(app, 'Manual Default');
    expect((await configureSaml(app, plain, idp)).idp.ssoBinding).toBe('redirect');
    expect((await app.request(`/saml/${plain.id}/login`)).status).toBe(302);
    // Switching back with the field.
    expect((await configureSaml(app, company, idp, { ssoBinding: 'redirect' })).idp.ssoBinding).toBe('redirect');
    expect((await app.request(`/saml/${company.id}/login`)).status).toBe(302);
  });

  it('refuses an unknown ssoBinding, and ssoBinding next to metadataXml (the metadata decides), with a 400', async () => {
    const company = await setupCompany(app, 'Manual Bad');
    const put = (body: Record<string, unknown>) => call(app, 'PUT', `/api/companies/${company.id}/saml`, { token: company.key, body });
    const manual = { idpEntityId: idp.entityId, ssoUrl: 'https://idp.test/sso', certificates: [idp.certificatePem] };
    for (const ssoBinding of ['artifact', 'POST', '', 1, null]) {
      const res = await put({ ...manual, ssoBinding });
      expect(res.status, `${JSON.stringify(ssoBinding)}: ${res.text}`).toBe(400);
      expect(res.json.error.message).toContain('ssoBinding "redirect" or "post"');
    }
    const withMetadata = await put({ metadataXml: idpMetadata([{ binding: POST, location: 'https://idp.test/sso/post' }]), ssoBinding: 'redirect' });
    expect(withMetadata.status).toBe(400);
    expect((await call(app, 'GET', `/api/companies/${company.id}/saml`, { token: company.key })).status).toBe(404);
  });

  it('escapes the IdP URL in the form', async () => {
    const company = await setupCompany(app, 'Manual Hostile');
    const ssoUrl = 'https://idp.test/sso?q="><b id=injected>x</b>&r=1';
    await configureSaml(app, company, idp, { ssoBinding: 'post', ssoUrl });
    const start = await startPostLogin(company.id);
    expect(start.form.action).toBe(ssoUrl);
    expect(start.html).not.toContain('<b id=injected>');
    expect(start.authnRequest).toContain(`Destination="${escapeXml(ssoUrl)}"`);
  });
});
