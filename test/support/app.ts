/** A fresh app over a test database, and small helpers to call it as the operator or a company admin. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../../src/app.js';
import type { AppConfig } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/store/db.js';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789abcdef0123';

export const testConfig: AppConfig = {
  publicUrl: 'https://bridge.test',
  operatorToken: OPERATOR_TOKEN,
  sessionSecret: 'test-session-secret-0123456789abcdef012345',
  production: false,
};

export type TestApp = ReturnType<typeof createApp>;

export function makeApp(handle: DatabaseHandle, options: { now?: () => Date; config?: Partial<AppConfig>; deferWebhooks?: boolean } = {}): TestApp {
  return createApp({
    config: { ...testConfig, ...options.config },
    database: { kind: handle.kind, db: handle.db },
    ...(options.now ? { now: options.now } : {}),
    log: null,
    // Test files share one database with clocks pinned to different years: no global purge from here.
    purgeEvery: 0,
    // Webhook tests dispatch when they choose (or ask for the after-response dispatch); others never pay for it.
    deferWebhooks: options.deferWebhooks ?? false,
  });
}

export interface ServedApp {
  app: TestApp;
  /** http://127.0.0.1:<port>, also the app's PUBLIC_URL. */
  base: string;
  close(): Promise<void>;
}

/**
 * The app listening on a free port of 127.0.0.1, for a real browser. It must know its own URL
 * (audience, ACS URL): the server listens first, then the app is built on that port.
 */
export async function serveTestApp(handle: DatabaseHandle): Promise<ServedApp> {
  let app: TestApp | null = null;
  const server = serve({ fetch: (req) => app!.fetch(req), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app = makeApp(handle, { config: { publicUrl: base } });
  return { app, base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

type Json = Record<string, unknown> | unknown[];

export interface CallOptions {
  token?: string | null;
  body?: Json | string;
  headers?: Record<string, string>;
}

/** Calls the app with an optional Bearer token and JSON body; returns the status and parsed body. */
export async function call(app: TestApp, method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export const asOperator = (app: TestApp, method: string, path: string, options: Omit<CallOptions, 'token'> = {}) =>
  call(app, method, path, { ...options, token: OPERATOR_TOKEN });

export interface TestCompany {
  id: string;
  key: string;
  workspaceId: string;
  permissionSetId: string;
}

/** Creates a company with an API key, one workspace and one permission set, through the API. */
export async function setupCompany(app: TestApp, name = 'Acme'): Promise<TestCompany> {
  const company = await asOperator(app, 'POST', '/api/operator/companies', { body: { name } });
  if (company.status !== 201) throw new Error(`company: ${company.status} ${company.text}`);
  const id = company.json.id as string;
  const key = await asOperator(app, 'POST', `/api/operator/companies/${id}/api-keys`);
  if (key.status !== 201) throw new Error(`key: ${key.status} ${key.text}`);
  const token = key.json.key as string;
  const ws = await call(app, 'POST', `/api/companies/${id}/workspaces`, { token, body: { name: 'Main' } });
  const ps = await call(app, 'POST', `/api/companies/${id}/permission-sets`, {
    token,
    body: { name: 'Members', permissions: ['dashboards:read'] },
  });
  if (ws.status !== 201 || ps.status !== 201) throw new Error(`setup: ${ws.text} ${ps.text}`);
  return { id, key: token, workspaceId: ws.json.id, permissionSetId: ps.json.id };
}
