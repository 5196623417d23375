/** Helpers for SAML HTTP tests: configure a company's connection, post to the ACS, carry the session cookie. */
import { inflateRawSync } from 'node:zlib';
import { expect } from 'vitest';
import { call } from './app.js';
import type { TestApp, TestCompany } from './app.js';
import type { SignResponseOptions, TestIdp } from './test-idp.js';

export const PUBLIC_URL = 'https://bridge.test';

/** The SP entity ID and ACS URL at `/saml/<key>`: a company id (its first connection) or a connection id. */
export function spOf(key: string) {
  return { entityId: `${PUBLIC_URL}/saml/${key}`, acsUrl: `${PUBLIC_URL}/saml/${key}/acs` };
}

/**
 * POST …/saml-connections: a new connection of the company trusting `idp`, with `extra` fields (name,
 * options...); returns the created connection (its id, spEntityId, acsUrl...).
 */
export async function configureConnection(
  app: TestApp,
  company: TestCompany,
  idp: { entityId: string; certificatePem: string },
  extra: Record<string, unknown> = {},
) {
  const res = await call(app, 'POST', `/api/companies/${company.id}/saml-connections`, {
    token: company.key,
    body: { idpEntityId: idp.entityId, ssoUrl: 'https://idp.test/sso', certificates: [idp.certificatePem], ...extra },
  });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

export async function configureSaml(
  app: TestApp,
  company: TestCompany,
  idp: { entityId: string; certificatePem: string },
  extra: Record<string, unknown> = {},
) {
  const res = await call(app, 'PUT', `/api/companies/${company.id}/saml`, {
    token: company.key,
    body: { idpEntityId: idp.entityId, ssoUrl: 'https://idp.test/sso', certificates: [idp.certificatePem], ...extra },
  });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

export interface AcsResult {
  status: number;
  location: string | null;
  setCookie: string | null;
  cookie: string | null;
  html: string;
}

/** The name of the binding cookie over https (PUBLIC_URL of the test config). */
export const AUTHN_COOKIE = '__Host-bridge_authn';

/**
 * POSTs a SAMLResponse as the browser would (form-encoded) to `/saml/<key>/acs`, where the key is a
 * company id (its first connection) or a connection id; `cookie` is what the browser sends back, e.g.
 * the binding cookie of an SP-initiated start.
 */
export async function postAcs(app: TestApp, key: string, samlResponse: string, relayState?: string, cookie?: string | null): Promise<AcsResult> {
  const form = new URLSearchParams({ SAMLResponse: samlResponse, ...(relayState !== undefined ? { RelayState: relayState } : {}) });
  const res = await app.request(`/saml/${key}/acs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
    body: form.toString(),
  });
  const setCookie = res.headers.get('Set-Cookie');
  return {
    status: res.status,
    location: res.headers.get('Location'),
    setCookie,
    cookie: setCookie ? setCookie.split(';')[0]! : null,
    html: await res.text(),
  };
}

export async function me(app: TestApp, cookie: string | null) {
  return call(app, 'GET', '/api/me', { headers: cookie ? { Cookie: cookie } : {} });
}

/** Signs a response for `email` as the IdP would for an IdP-initiated login at `/saml/<key>` (a company or a connection). */
export function idpInitiated(idp: TestIdp, key: string, email: string, now: Date, extra: Partial<SignResponseOptions> = {}) {
  return idp.signResponse({ sp: spOf(key), now, nameId: email, nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', ...extra });
}

/**
 * GET /saml/:id/login as a browser that holds `cookie` (or none): the AuthnRequest ID and the binding
 * cookie (`name=value`) the browser would send back to the ACS.
 */
export async function startSpLogin(
  app: TestApp,
  key: string,
  options: { query?: string; cookie?: string } = {},
): Promise<{ requestId: string; cookie: string; location: string }> {
  const res = await app.request(`/saml/${key}/login${options.query ?? ''}`, { headers: options.cookie ? { Cookie: options.cookie } : {} });
  expect(res.status).toBe(302);
  const location = res.headers.get('Location')!;
  const cookie = res.headers.get('Set-Cookie')?.split(';')[0];
  if (!cookie?.startsWith(`${AUTHN_COOKIE}=`)) throw new Error(`no binding cookie: ${cookie}`);
  return { requestId: authnRequestIdFrom(location), cookie, location };
}

/** The AuthnRequest ID inside an HTTP-Redirect binding URL. */
export function authnRequestIdFrom(location: string): string {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  const id = /\sID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error(`no ID in ${xml}`);
  return id;
}

/** Invites `email` and accepts the invitation: a confirmed, active user. */
export async function confirmedUser(app: TestApp, company: TestCompany, email: string): Promise<string> {
  const invited = await call(app, 'POST', `/api/companies/${company.id}/users`, {
    token: company.key,
    body: { email, workspaceId: company.workspaceId, permissionSetId: company.permissionSetId },
  });
  expect(invited.status, invited.text).toBe(201);
  const accepted = await call(app, 'POST', new URL(invited.json.invitationUrl).pathname);
  expect(accepted.status).toBe(200);
  return invited.json.id;
}
