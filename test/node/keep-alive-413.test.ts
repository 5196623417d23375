/**
 * A 413 must not cost the client its next request: the real Node server (src/node.ts on PGlite) behind a
 * keep-alive pool of one socket, an oversized body, then an ordinary request on the same pool.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from '../support/server.js';
import { freePort, start, stop } from '../support/server.js';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** One request through `agent`; a lost request (socket hang up, reset) rejects. */
function send(agent: Agent, base: string, method: string, path: string, body?: { bytes: Buffer; chunked: boolean }): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (body && !body.chunked) headers['Content-Length'] = String(body.bytes.length);
    const req = request({ host: url.hostname, port: url.port, method, path: url.pathname, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.write(body.bytes);
    req.end();
  });
}

let dataDir: string;
let server: Running;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bridge-413-'));
  const port = await freePort();
  server = await start({ DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent', DEMO: 'off' }, port);
}, 90_000);

afterAll(async () => {
  if (server) await stop(server);
  await rm(dataDir, { recursive: true, force: true });
});

describe('413 on a keep-alive connection (Node server)', () => {
  // 1 MB against the 64 KiB API limit: the server answers before reading it and the client is still sending.
  const oversized = Buffer.alloc(1024 * 1024, 'a');

  it.each([
    { framing: 'Content-Length', chunked: false },
    { framing: 'chunked', chunked: true },
  ])('sends Connection: close with the 413, and the next pooled request succeeds ($framing)', async ({ chunked }) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await send(agent, server.base, 'POST', '/api/operator/companies', { bytes: oversized, chunked });
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body).error.code).toBe('payload_too_large');

      // At once, as a pool does: on the old code this request got the socket the server was closing
      // and failed with "socket hang up".
      const next = await send(agent, server.base, 'GET', '/healthz');
      expect(next.status).toBe(200);
      expect(JSON.parse(next.body)).toEqual({ status: 'ok', database: 'pglite' });
      expect(refused.connection).toBe('close');
    } finally {
      agent.destroy();
    }
  });

  it('keeps ordinary responses on a reusable connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, server.base, 'GET', '/healthz');
      expect(first.connection).toBe('keep-alive');
      expect((await send(agent, server.base, 'GET', '/healthz')).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});
