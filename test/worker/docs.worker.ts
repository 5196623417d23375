/**
 * The API reference in the Worker: /docs comes from the Worker (same page and policy as on Node), and
 * its script from the static assets of wrangler.toml [assets] (too big for the bundle), which
 * Cloudflare serves in front of the Worker; the Worker itself answers a clear 404 for it.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call } from './http.js';
import { worker as fetchWorker } from './worker-fetch.js';

const assets = (env as unknown as { ASSETS: { fetch(input: string): Promise<Response> } }).ASSETS;

describe('/docs in the Worker', () => {
  it('renders the page that loads /docs/scalar.js under its CSP', async () => {
    const res = await call(fetchWorker, 'GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(res.text).toContain('<script src="/docs/scalar.js"');
    expect(res.headers.get('Content-Security-Policy')).toMatch(/script-src 'self' 'nonce-/);
  });

  it('serves the script from its static assets', async () => {
    const res = await assets.fetch('https://bridge.test/docs/scalar.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/javascript/);
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(await res.text()).toContain('createApiReference');
  });

  it('answers a clear 404 when a request for the script reaches the Worker itself', async () => {
    const res = await call(fetchWorker, 'GET', '/docs/scalar.js');
    expect(res.status).toBe(404);
    expect(res.json.error.message).toMatch(/build:docs-assets/);
  });
});
