/**
 * GET /docs: the rendered API reference (Scalar) of /openapi.json. It works offline and under a
 * Content-Security-Policy: the Scalar standalone script is served from our own origin at
 * /docs/scalar.js, never from a CDN. Where that script comes from depends on the runtime: the Node
 * server reads it from the @scalar/api-reference package (src/node/api-reference-script.ts); a Worker
 * serves it from its static assets (wrangler.toml [assets]), so a request reaching the Worker itself
 * for it means the assets were not built.
 */
import { Hono } from 'hono';
import { Scalar } from '@scalar/hono-api-reference';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { newNonce } from '../nonce.js';
import { NUL_IN_URL, describe } from '../openapi-helpers.js';

export const API_REFERENCE_PATH = '/docs';
export const API_REFERENCE_SCRIPT_PATH = '/docs/scalar.js';

/** Loads the Scalar standalone script (the browser bundle of @scalar/api-reference). */
export type ApiReferenceScript = () => Promise<Uint8Array>;

const tag = 'Documentation';

/**
 * The policy of /docs only; every other page keeps its own (or none beyond secureHeaders). What it
 * allows, and why, beyond `default-src 'none'`:
 * - script-src 'self' + nonce: the Scalar script from /docs/scalar.js and the one inline call that
 *   starts it (nonced). No 'unsafe-inline', no 'unsafe-eval', no other host.
 * - style-src 'self' 'unsafe-inline': Scalar's components inject <style> elements and style attributes
 *   without a nonce (Chromium reports both style-src-elem and style-src-attr violations otherwise, and
 *   a nonce would switch 'unsafe-inline' off). Styles cannot run code, and the page shows only our own
 *   document. Scripts stay strict: the one relaxation that matters would be there, and it is not.
 * - No 'unsafe-eval': the bundle's only eval is a feature probe (`Function('')` in a try/catch, in its
 *   schema library), which falls back to code without eval.
 * - connect-src 'self': Scalar fetches /openapi.json, and its "test request" client may call this API.
 * - img-src/font-src 'self' data:: icons and images Scalar inlines as data: URLs (default fonts are off).
 * - form-action/base-uri 'none', frame-ancestors 'none': nothing to post, no <base>, no framing.
 */
function referencePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function docsRoutes(script: ApiReferenceScript | undefined) {
  return new Hono<AppEnv>()
    .get(
      API_REFERENCE_PATH,
      describe({
        operationId: 'showApiReference',
        summary: 'This API reference, rendered from /openapi.json',
        tag,
        responses: { 200: { description: 'HTML page', mediaType: 'text/html' }, 400: NUL_IN_URL },
      }),
      async (c) => {
        const nonce = newNonce();
        c.header('Content-Security-Policy', referencePolicy(nonce));
        // A nonce is good for one response only.
        c.header('Cache-Control', 'no-store');
        const render = Scalar({
          url: '/openapi.json',
          cdn: API_REFERENCE_SCRIPT_PATH,
          nonce,
          pageTitle: 'SAML + SCIM enrollment bridge: API reference',
          // Offline and under the policy above: no font host, no telemetry, no hosted agent or MCP.
          withDefaultFonts: false,
          telemetry: false,
          agent: { disabled: true },
          mcp: { disabled: true },
          // Its share/deploy tools talk to Scalar's hosted service; readers want every operation in sight.
          showDeveloperTools: 'never',
          defaultOpenAllTags: true,
        } as Parameters<typeof Scalar>[0]);
        // Scalar's handler is typed for a plain Env; it only reads the request and answers with c.html().
        return render(c as unknown as Parameters<typeof render>[0], async () => {});
      },
    )
    // A static file, not an API operation: hono-openapi leaves paths with a file extension out of the document.
    .get(
      API_REFERENCE_SCRIPT_PATH,
      async (c) => {
        if (script === undefined) {
          return errorResponse(c, 404, {
            code: 'not_found',
            message: 'The API reference script is served from the static assets of the Worker: build them with `npm run build:docs-assets` before deploying.',
          });
        }
        let body: Uint8Array;
        try {
          body = await script();
        } catch {
          return errorResponse(c, 404, {
            code: 'not_found',
            message: 'The API reference script could not be read: reinstall the dependencies (npm ci), @scalar/api-reference ships it.',
          });
        }
        return c.body(body as Uint8Array<ArrayBuffer>, 200, {
          'Content-Type': 'text/javascript; charset=utf-8',
          'Cache-Control': 'public, max-age=3600',
        });
      },
    );
}
