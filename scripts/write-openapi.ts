/**
 * Writes the OpenAPI document the app serves at /openapi.json to a file, without a database (the
 * document is built from the route descriptions alone), for `npm run lint:openapi`.
 *
 *   tsx scripts/write-openapi.ts [out]   # default: .openapi/openapi.json (git-ignored)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createApp } from '../src/app.js';
import type { Db } from '../src/store/db.js';

const out = resolve(process.argv[2] ?? '.openapi/openapi.json');
const app = createApp({
  config: {
    publicUrl: 'http://127.0.0.1:3000',
    operatorToken: 'unused-operator-token-for-the-document-only',
    sessionSecret: 'unused-session-secret-for-the-document-only',
    production: true,
  },
  database: { kind: 'postgres', db: {} as Db },
  log: null,
});
const res = await app.request('/openapi.json');
if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}: ${await res.text()}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(await res.json(), null, 2)}\n`);
console.error(`wrote ${out}`);
