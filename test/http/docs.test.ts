/**
 * GET /docs: the rendered API reference loads its script from our own origin, and the page's
 * Content-Security-Policy allows exactly that script and the nonced inline call that starts it.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { nodeApiReferenceScript } from '../../src/node/api-reference-script.js';
import type { Db } from '../../src/store/db.js';
import { testConfig } from '../support/app.js';

// As src/node.ts builds it; the pages need no database.
const app = createApp({ config: testConfig, database: { kind: 'postgres', db: {} as Db }, log: null, apiReferenceScript: nodeApiReferenceScript });

/** The directives of a Content-Security-Policy header, by name. */
function directives(header: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

describe('GET /docs', () => {
  it('is an HTML page that loads a same-origin script allowed by its CSP', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('/openapi.json');
    expect(html).not.toMatch(/cdn\.|https?:\/\/(?!127\.0\.0\.1)[a-z]/i);

    const sources = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources).toEqual(['/docs/scalar.js']);

    const csp = directives(res.headers.get('Content-Security-Policy'));
    expect(csp.get('default-src')).toEqual(["'none'"]);
    const scriptSrc = csp.get('script-src') ?? [];
    expect(scriptSrc).toContain("'self'");
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    // Every inline script carries the nonce the policy names.
    const nonce = scriptSrc.find((v) => v.startsWith("'nonce-"))!.slice(7, -1);
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]!);
    expect(inline.length).toBeGreaterThan(0);
    for (const attributes of inline) expect(attributes).toContain(`nonce="${nonce}"`);
    expect(csp.get('connect-src')).toEqual(["'self'"]);

    // A fresh nonce for each page.
    const again = directives((await app.request('/docs')).headers.get('Content-Security-Policy'));
    expect(again.get('script-src')).not.toEqual(scriptSrc);
  });

  it('serves the Scalar script as JavaScript from this origin', async () => {
    const res = await app.request('/docs/scalar.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    const body = await res.text();
    expect(body.length).toBeGreaterThan(100_000);
    expect(body).toContain('createApiReference');
  });

  it('keeps the strict policy on other pages: only /docs is relaxed', async () => {
    const res = await app.request('/admin');
    expect(directives(res.headers.get('Content-Security-Policy')).get('script-src')).not.toContain("'self'");
  });

  it('answers a clear 404 for the script where no runtime provides it (a Worker serves it from static assets)', async () => {
    const bare = createApp({ config: testConfig, database: { kind: 'postgres', db: {} as Db }, log: null });
    const res = await bare.request('/docs/scalar.js');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toMatch(/static assets/);
  });

  it('answers a clear 404, not a 500, when the script cannot be read', async () => {
    const broken = createApp({
      config: testConfig,
      database: { kind: 'postgres', db: {} as Db },
      log: null,
      apiReferenceScript: () => Promise.reject(new Error('ENOENT')),
    });
    const res = await broken.request('/docs/scalar.js');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/npm ci/);
  });
});
