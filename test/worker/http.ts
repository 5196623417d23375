/**
 * HTTP helpers over any fetch function: the Worker inside workerd, or a Node createApp() in the global
 * setup. They throw on an unexpected status instead of using vitest's expect, so Node's global setup
 * can use them too.
 */
import { WORKER_TEST_OPERATOR_TOKEN, WORKER_TEST_PUBLIC_URL } from './constants.js';

export type Fetch = (request: Request) => Promise<Response>;

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  json: any;
  text: string;
  headers: Headers;
}

/** Calls `path` on the public origin with an optional Bearer token and JSON body. */
export async function call(fetch: Fetch, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const init: RequestInit = { method, headers, redirect: 'manual' };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const res = await fetch(new Request(new URL(path, WORKER_TEST_PUBLIC_URL), init));
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export function expectStatus(result: CallResult, status: number, what: string): CallResult {
  if (result.status !== status) throw new Error(`${what}: expected ${status}, got ${result.status} ${result.text.slice(0, 500)}`);
  return result;
}

export interface TestCompany {
  id: string;
  key: string;
  workspaceId: string;
  permissionSetId: string;
}

/** Operator creates a company and its admin API key; the admin creates a workspace and a permission set. */
export async function setupCompany(fetch: Fetch, name: string): Promise<TestCompany> {
  const company = expectStatus(await call(fetch, 'POST', '/api/operator/companies', { token: WORKER_TEST_OPERATOR_TOKEN, body: { name } }), 201, 'company');
  const id = company.json.id as string;
  const key = expectStatus(await call(fetch, 'POST', `/api/operator/companies/${id}/api-keys`, { token: WORKER_TEST_OPERATOR_TOKEN }), 201, 'api key');
  const token = key.json.key as string;
  const workspace = expectStatus(await call(fetch, 'POST', `/api/companies/${id}/workspaces`, { token, body: { name: 'Main' } }), 201, 'workspace');
  const permissionSet = expectStatus(
    await call(fetch, 'POST', `/api/companies/${id}/permission-sets`, { token, body: { name: 'Members', permissions: ['dashboards:read'] } }),
    201,
    'permission set',
  );
  return { id, key: token, workspaceId: workspace.json.id, permissionSetId: permissionSet.json.id };
}

export async function configureSaml(fetch: Fetch, company: TestCompany, idp: { entityId: string; certificatePem: string }): Promise<CallResult> {
  return expectStatus(
    await call(fetch, 'PUT', `/api/companies/${company.id}/saml`, {
      token: company.key,
      body: { idpEntityId: idp.entityId, ssoUrl: 'https://idp.test/sso', certificates: [idp.certificatePem] },
    }),
    200,
    'SAML connection',
  );
}

/** Invites `email` and accepts the invitation: a confirmed, active user. Returns the user id. */
export async function confirmedUser(fetch: Fetch, company: TestCompany, email: string): Promise<string> {
  const invited = expectStatus(
    await call(fetch, 'POST', `/api/companies/${company.id}/users`, {
      token: company.key,
      body: { email, workspaceId: company.workspaceId, permissionSetId: company.permissionSetId },
    }),
    201,
    'invitation',
  );
  expectStatus(await call(fetch, 'POST', new URL(invited.json.invitationUrl).pathname), 200, 'accept invitation');
  return invited.json.id;
}

export interface AcsResult {
  status: number;
  location: string | null;
  cookie: string | null;
  setCookie: string | null;
  html: string;
}

/** POSTs a SAMLResponse to the company's ACS as the browser would (form-encoded). */
export async function postAcs(fetch: Fetch, companyId: string, samlResponse: string): Promise<AcsResult> {
  const res = await fetch(
    new Request(`${WORKER_TEST_PUBLIC_URL}/saml/${companyId}/acs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
      redirect: 'manual',
    }),
  );
  const setCookie = res.headers.get('Set-Cookie');
  return {
    status: res.status,
    location: res.headers.get('Location'),
    setCookie,
    cookie: setCookie ? setCookie.split(';')[0]! : null,
    html: await res.text(),
  };
}
