/**
 * The Workers suite (`npm run test:worker`): tests in test/worker/*.worker.ts run inside workerd through
 * @cloudflare/vitest-pool-workers, against the Postgres in DATABASE_URL via the Hyperdrive binding of
 * wrangler.toml. test/worker/global-setup.ts (Node) migrates that database and provides the test IdP's
 * keys. Separate from vitest.config.ts (the Node suite), whose test/**\/*.test.ts never matches these.
 */
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { WORKER_TEST_OPERATOR_TOKEN, WORKER_TEST_PUBLIC_URL, WORKER_TEST_SESSION_SECRET } from './test/worker/constants.js';

/** Miniflare refuses a Hyperdrive connection string without a password; with `trust` auth any will do. */
function withPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password === '') url.password = 'trust-auth-ignores-this';
  return url.toString();
}

// Miniflare reads Hyperdrive's local connection string from this variable before wrangler.toml's
// localConnectionString; the global setup throws a clear error when DATABASE_URL is missing.
if (process.env.DATABASE_URL) {
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = withPassword(process.env.DATABASE_URL);
}
// Offline: no usage metrics, no download of the Request.cf object at every start.
process.env.WRANGLER_SEND_METRICS ??= 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            main: './src/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // Secrets as `wrangler secret put` would set them; PUBLIC_URL overrides wrangler.toml's [vars].
              bindings: {
                PUBLIC_URL: WORKER_TEST_PUBLIC_URL,
                OPERATOR_TOKEN: WORKER_TEST_OPERATOR_TOKEN,
                SESSION_SECRET: WORKER_TEST_SESSION_SECRET,
                LOG_LEVEL: 'silent',
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/worker/**/*.worker.ts'],
          globalSetup: ['test/worker/global-setup.ts'],
          // The first request to the main worker transforms every module (~3 s); SAML signing is slow too.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
