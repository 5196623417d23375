/**
 * Hostile bytes on every route: random bodies, wrong content types, absurd ids and query strings.
 * Whatever comes in, the answer is a 4xx in the API's error form (or an HTML page for browser
 * routes), never a 500 and never a stack trace.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { makeApp, OPERATOR_TOKEN, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';

let handle: DatabaseHandle;
let app: TestApp;
let company: TestCompany;
beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle);
  company = await setupCompany(app);
});
afterAll(async () => {
  await handle?.close();
});

/** Every route the app serves, with its path parameters filled by `fill`. */
function routes(fill: (name: string) => string): { method: string; path: string }[] {
  const seen = new Set<string>();
  return app.routes
    .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
    .map((r) => ({ method: r.method, path: r.path.replace(/:(\w+)/g, (_m, name: string) => fill(name)) }))
    .filter((r) => {
      const key = `${r.method} ${r.path}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
}

const bodies: [string, string | Uint8Array][] = [
  ['application/json', '{"name":'],
  ['application/json', 'null'],
  ['application/json', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'],
  ['application/json', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'],
  ['application/json', JSON.stringify({ name: 1e309, email: { $ne: null }, domain: ['a'], enabled: 'true', permissions: [null] })],
  ['application/x-www-form-urlencoded', 'SAMLResponse=%%%&RelayState=%00'],
  ['application/x-www-form-urlencoded', `SAMLResponse=${encodeURIComponent(randomBytes(3000).toString('base64'))}`],
  ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="SAMLResponse"\r\n\r\n<x/>\r\n--x--'],
  ['application/json', '{"name":"a\\u0000b","email":"x\\u0000@a.example","workspaceId":"ws\\u0000","permissionSetId":"ps","domain":"a.example","reason":"r","enabled":true,"defaultWorkspaceId":"ws\\u0000"}'],
  ['text/plain', 'hello'],
  ['application/octet-stream', randomBytes(2048)],
];

describe('garbage in, clear errors out', () => {
  it.each([
    ['as the operator', () => OPERATOR_TOKEN],
    ['as a company admin', () => company.key],
    ['with no credentials', () => null],
  ])('never answers 500 on any route %s', async (_label, token) => {
    const fills: ((name: string) => string)[] = [
      (name) => (name === 'companyId' ? company.id : 'x'),
      () => encodeURIComponent("'; drop table users; --"),
      () => 'a'.repeat(300),
      () => '%F0%9F%92%A9%00',
      (name) => (name === 'companyId' ? 'cmp_0000000000000000' : 'key_0000000000000000'),
    ];
    const problems: string[] = [];
    for (const fill of fills) {
      for (const { method, path } of routes(fill)) {
        const variants = method === 'GET' || method === 'DELETE' ? [[undefined, undefined] as const] : bodies;
        for (const [type, body] of variants) {
          const headers: Record<string, string> = {};
          const bearer = token();
          if (bearer) headers.Authorization = `Bearer ${bearer}`;
          if (type) headers['Content-Type'] = type;
          const res = await app.request(`${path}?limit=-1&cursor=%00&email=%FF`, { method, headers, ...(body !== undefined ? { body: body as BodyInit } : {}) });
          const text = await res.text();
          if (res.status >= 500 || /\bat \w+ \(|node_modules/.test(text)) problems.push(`${method} ${path} [${type}] -> ${res.status} ${text.slice(0, 120)}`);
          if (res.status >= 400 && (res.headers.get('Content-Type') ?? '').includes('application/json')) {
            const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
            if (typeof parsed.error?.code !== 'string' || typeof parsed.error?.message !== 'string') problems.push(`${method} ${path}: not the error form: ${text.slice(0, 120)}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('NUL characters in JSON fields that would reach the database', () => {
  it.each([
    ['/users', 'POST', () => ({ email: 'a@decorumsoft.com', workspaceId: 'ws_\u0000', permissionSetId: company.permissionSetId })],
    ['/security/jit', 'PUT', () => ({ enabled: false, defaultWorkspaceId: 'ws_\u0000' })],
    ['/workspaces', 'POST', () => ({ name: 'a\u0000' })],
  ])('%s is refused with 400', async (path, method, body) => {
    const res = await app.request(`/api/companies/${company.id}${path}`, {
      method,
      headers: { Authorization: `Bearer ${company.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body()),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });
});
