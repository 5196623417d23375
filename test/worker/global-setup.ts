/**
 * Node side of the Workers suite, run once before workerd starts the tests: migrates DATABASE_URL,
 * makes the test IdP's key and certificate with openssl (workerd has none), and signs a response that
 * a Node createApp() on the same database accepts, so the Worker can be shown to refuse its replay.
 * It also runs the relying party's back-channel logout receiver on 127.0.0.1, which the Worker posts
 * logout tokens to (workerd may fetch the host's loopback in tests) and the tests read back.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { createApp } from '../../src/app.js';
import { migrateDatabase } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres.js';
import { generateKeyPair } from '../support/test-idp.js';
import { WORKER_TEST_OPERATOR_TOKEN, WORKER_TEST_PUBLIC_URL, WORKER_TEST_SESSION_SECRET } from './constants.js';
import { configureSaml, confirmedUser, postAcs, setupCompany } from './http.js';
import type { Fetch } from './http.js';
import { signIdpInitiatedResponse, spFor } from './idp-signer.js';

export const NODE_IDP_ENTITY_ID = 'https://idp.test/node-first';

/**
 * A back-channel logout endpoint: POST /logout stores each form's logout_token; GET /received returns
 * them all as JSON. Answers 503 to POSTs while `down` (PUT /down and /up switch it).
 */
async function startBackchannelReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const received: string[] = [];
  let down = false;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'PUT') {
        down = req.url === '/down';
        res.writeHead(204).end();
      } else if (req.method === 'POST' && req.url === '/logout') {
        if (down) return void res.writeHead(503).end();
        const token = new URLSearchParams(body).get('logout_token');
        if (token) received.push(token);
        res.writeHead(200).end();
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(received));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('npm run test:worker needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  const idpKeys = generateKeyPair('worker-test-idp');

  const handle = openPostgres(url, { max: 2 });
  try {
    await migrateDatabase(handle);
    const app = createApp({
      config: { publicUrl: WORKER_TEST_PUBLIC_URL, operatorToken: WORKER_TEST_OPERATOR_TOKEN, sessionSecret: WORKER_TEST_SESSION_SECRET, production: false },
      database: { kind: handle.kind, db: handle.db },
      log: null,
    });
    const fetch: Fetch = async (request) => app.fetch(request);
    const company = await setupCompany(fetch, 'Signed in on Node first');
    await configureSaml(fetch, company, { entityId: NODE_IDP_ENTITY_ID, certificatePem: idpKeys.certificatePem });
    const email = 'jon@node-first.example';
    await confirmedUser(fetch, company, email);
    const samlResponse = signIdpInitiatedResponse(NODE_IDP_ENTITY_ID, idpKeys, { sp: spFor(WORKER_TEST_PUBLIC_URL, company.id), now: new Date(), email });
    const first = await postAcs(fetch, company.id, samlResponse);
    if (first.status !== 303) throw new Error(`the Node app refused the first use: ${first.status} ${first.html.slice(0, 300)}`);
    project.provide('idpKeys', idpKeys);
    project.provide('usedOnNode', { companyId: company.id, apiKey: company.key, samlResponse, email });
  } finally {
    await handle.close();
  }
  const receiver = await startBackchannelReceiver();
  project.provide('backchannelReceiver', receiver.url);
  return receiver.close;
}
