/**
 * Node side of the Workers suite, run once before workerd starts the tests: migrates DATABASE_URL,
 * makes the test IdP's key and certificate with openssl (workerd has none), and signs a response that
 * a Node createApp() on the same database accepts, so the Worker can be shown to refuse its replay.
 * It also runs the relying party's back-channel logout receiver on 127.0.0.1, which the Worker posts
 * logout tokens to (workerd may fetch the host's loopback in tests) and the tests read back, and a
 * webhook receiver that records what the Worker's deliveries carried.
 */
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { TestProject } from 'vitest/node';
import { createApp } from '../../src/app.js';
import { migrateDatabase } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres.js';
import { generateKeyPair } from '../support/test-idp.js';
import { WORKER_TEST_OPERATOR_TOKEN, WORKER_TEST_PUBLIC_URL, WORKER_TEST_SESSION_SECRET } from './constants.js';
import { configureSaml, confirmedUser, postAcs, setupCompany } from './http.js';
import type { Fetch } from './http.js';
import type { RecordedWebhook } from './constants.js';
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

/**
 * A webhook receiver. POST <any path> records the request (headers, raw body, the status answered) and
 * answers 204, or the status `PUT /answer?path=…&status=…` set for that path; GET /received?path=…
 * returns that path's records as JSON, oldest first. Each test uses paths of its own.
 *
 * A Worker is production: it refuses loopback and private address literals in a webhook URL when it
 * is set and again at every delivery, and it has no DNS API to look names up. So the Worker is given
 * this machine's host name (os.hostname(), which /etc/hosts or the resolver maps to a local address)
 * rather than 127.0.0.1: `hookOrigin` is null when that name does not resolve here. `origin` is the
 * address itself, for the tests' own requests (reading the records, setting answers).
 */
async function startWebhookReceiver(): Promise<{ origin: string; hookOrigin: string | null; close: () => Promise<void> }> {
  const received = new Map<string, RecordedWebhook[]>();
  const answers = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const path = url.searchParams.get('path') ?? '';
      if (req.method === 'PUT' && url.pathname === '/answer') {
        answers.set(path, Number(url.searchParams.get('status') ?? 204));
        res.writeHead(204).end();
      } else if (req.method === 'GET' && url.pathname === '/received') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(received.get(path) ?? []));
      } else if (req.method === 'POST') {
        const status = answers.get(url.pathname) ?? 204;
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
        const list = received.get(url.pathname) ?? [];
        list.push({ headers, body: Buffer.concat(chunks).toString('utf8'), status, at: Date.now() });
        received.set(url.pathname, list);
        res.writeHead(status).end();
      } else {
        res.writeHead(405).end();
      }
    });
  });
  const name = hostname();
  const address = await lookup(name, { family: 4 }).then(
    (found) => found.address,
    () => null,
  );
  await new Promise<void>((resolve) => server.listen(0, address ?? '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${address ?? '127.0.0.1'}:${port}`,
    hookOrigin: address === null ? null : `http://${name}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
  const webhooks = await startWebhookReceiver();
  project.provide('webhookReceiver', { origin: webhooks.origin, hookOrigin: webhooks.hookOrigin });
  return async () => {
    await Promise.allSettled([receiver.close(), webhooks.close()]);
  };
}
