/** Helpers for SAML HTTP tests: configure a company's connection, post to the ACS, carry the session cookie. */
import { inflateRawSync } from 'node:zlib';
import { expect } from 'vitest';
import { call } from './app.js';
import type { TestApp, TestCompany } from './app.js';
import type { SignResponseOptions, TestIdp } from './test-idp.js';

export const PUBLIC_URL = 'https://bridge.test';

export function spOf(companyId: string) {
  return { entityId: `${PUBLIC_URL}/saml/${companyId}`, acsUrl: `${PUBLIC_URL}/saml/${companyId}/acs` };
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

/** POSTs a SAMLResponse as the browser would (form-encoded). */
export async function postAcs(app: TestApp, companyId: string, samlResponse: string, relayState?: string): Promise<AcsResult> {
  const form = new URLSearchParams({ SAMLResponse: samlResponse, ...(relayState !== undefined ? { RelayState: relayState } : {}) });
  const res = await app.request(`/saml/${companyId}/acs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
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

/** Signs a response for `email` as the IdP would for an IdP-initiated login to this company. */
export function idpInitiated(idp: TestIdp, companyId: string, email: string, now: Date, extra: Partial<SignResponseOptions> = {}) {
  return idp.signResponse({ sp: spOf(companyId), now, nameId: email, nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', ...extra });
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
