/** Helpers for SCIM tests: a token for a company, and calls as an IdP's SCIM client would make them. */
import { expect } from 'vitest';
import { call } from './app.js';
import type { TestApp, TestCompany } from './app.js';

export async function scimToken(app: TestApp, company: TestCompany): Promise<{ token: string; base: string }> {
  const res = await call(app, 'POST', `/api/companies/${company.id}/scim-tokens`, { token: company.key, body: { label: 'idp' } });
  expect(res.status, res.text).toBe(201);
  return { token: res.json.token, base: new URL(res.json.scimBaseUrl).pathname };
}

export type ScimCall = Awaited<ReturnType<typeof call>>;

/** A SCIM request; `type` defaults to Okta's `application/scim+json; charset=utf-8`. */
export async function scim(
  app: TestApp,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  type = 'application/scim+json; charset=utf-8',
): Promise<ScimCall> {
  return call(app, method, path, {
    token,
    ...(body !== undefined ? { body: body as Record<string, unknown> | string } : {}),
    headers: { Accept: 'application/scim+json', ...(body !== undefined ? { 'Content-Type': type } : {}) },
  });
}

/** Asserts an RFC 7644 §3.12 error body. */
export function expectScimError(res: ScimCall, status: number, scimType?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('Content-Type')).toContain('application/scim+json');
  expect(res.json.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  expect(res.json.status).toBe(String(status));
  if (scimType) expect(res.json.scimType).toBe(scimType);
  expect(typeof res.json.detail).toBe('string');
}

/** Okta's create-user body (NOTES-scim-clients §2.1). */
export function oktaUser(userName: string, extra: Record<string, unknown> = {}) {
  const [local] = userName.split('@');
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: local, familyName: 'Tester' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${local} Tester`,
    locale: 'en-US',
    externalId: `00u${Math.random().toString(36).slice(2, 12)}`,
    groups: [],
    password: 'never-stored-1!',
    active: true,
    ...extra,
  };
}

/** Entra's create-user body (NOTES-scim-clients §1.1). */
export function entraUser(userName: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    externalId: crypto.randomUUID(),
    userName,
    active: true,
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Test User', familyName: 'User', givenName: 'Test' },
    roles: [],
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Retail', employeeNumber: 'E1' },
  };
}
