/**
 * The Worker's static assets (wrangler.toml [assets]): the Scalar standalone script that /docs loads,
 * copied from the @scalar/api-reference package to dist/docs-assets/docs/scalar.js. It is about
 * 1.2 MiB gzipped, too big for the Worker bundle (1 MiB limit), so Cloudflare serves it as a static
 * file in front of the Worker. Run by `npm run build:worker`, `check:worker-bundle` and `test:worker`.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { apiReferenceScriptPath } from '../src/node/api-reference-script.js';

const out = resolve(import.meta.dirname, '..', 'dist', 'docs-assets');
mkdirSync(join(out, 'docs'), { recursive: true });
copyFileSync(apiReferenceScriptPath(), join(out, 'docs', 'scalar.js'));
// Static assets skip the Worker's secureHeaders(): the headers that matter for a script, set here.
writeFileSync(
  join(out, '_headers'),
  ['/docs/scalar.js', '  X-Content-Type-Options: nosniff', '  Cross-Origin-Resource-Policy: same-origin', '  Cache-Control: public, max-age=3600', ''].join('\n'),
);
console.error(`wrote ${join(out, 'docs', 'scalar.js')}`);
