/**
 * Helpers for back-channel logout tests: an application's receiver (a real node:http server on
 * 127.0.0.1 that can answer 503, go away and come back on the same port), a database of the test's
 * own that can be closed and opened again (a restart of the bridge), and polling for what arrives.
 *
 * The database is the test's own because deliveries are global (every instance sends every company's
 * due rows): on the shared one, a test whose clock is pinned to another year would send, and reschedule,
 * this file's rows, and this file would send theirs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { migrateDatabase } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres.js';
import { asOperator } from './app.js';
import type { TestApp } from './app.js';
import { defaultBackend, openIsolatedTestDatabase } from './db.js';
import type { Backend } from './db.js';

export interface Received {
  token: string;
  contentType: string | undefined;
  /** The status the receiver answered. */
  status: number;
}

export interface Receiver {
  /** http://127.0.0.1:<port>/bcl */
  readonly url: string;
  /** Every POST to /bcl, answered 2xx or not. */
  readonly received: Received[];
  /** What the next POSTs are answered (200 unless a test says otherwise). */
  status: number;
  /** How long each answer waits. */
  delayMs: number;
  /** Closes the listening socket and every open connection: the application is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A relying party's back-channel logout endpoint, listening on a free port of 127.0.0.1. */
export async function startReceiver(): Promise<Receiver> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | null = null;
  const receiver: Receiver = {
    get url() {
      return `http://127.0.0.1:${port}/bcl`;
    },
    received: [],
    status: 200,
    delayMs: 0,
    async start() {
      const s = createServer((req: IncomingMessage, res: ServerResponse) => {
        void readBody(req).then(async (body) => {
          if (req.method !== 'POST' || req.url !== '/bcl') return void res.writeHead(404).end();
          const status = receiver.status;
          receiver.received.push({ token: new URLSearchParams(body).get('logout_token') ?? '', contentType: req.headers['content-type'], status });
          if (receiver.delayMs > 0) await new Promise((r) => setTimeout(r, receiver.delayMs));
          res.writeHead(status, { 'Cache-Control': 'no-store' }).end();
        });
      });
      s.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      port = (s.address() as AddressInfo).port;
      server = s;
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await receiver.start();
  return receiver;
}

/** A database that outlives the handles opened on it, as a server's data outlives its processes. */
export interface ReopenableDatabase {
  readonly kind: Backend;
  /** A new handle (a bridge process starting); on PGlite, only one may be open at a time. */
  open(): Promise<DatabaseHandle>;
  /** Removes the database (every handle closed first). */
  drop(): Promise<void>;
}

/** PGlite in a temporary folder (in memory cannot be reopened), or a Postgres database of its own. */
export async function reopenableDatabase(backend: Backend = defaultBackend): Promise<ReopenableDatabase> {
  if (backend === 'pglite') {
    const dir = await mkdtemp(join(tmpdir(), 'bcl-pglite-'));
    const { openPglite } = await import('../../src/store/pglite.js');
    return {
      kind: backend,
      async open() {
        const handle = await openPglite(dir);
        await migrateDatabase(handle);
        return handle;
      },
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const owner = await openIsolatedTestDatabase('postgres');
  const result = (await owner.db.execute(sql`select current_database() as name`)) as unknown as { name: string }[] | { rows: { name: string }[] };
  const name = (Array.isArray(result) ? result : result.rows)[0]!.name;
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  return {
    kind: backend,
    open: async () => openPostgres(url.toString(), { max: 4 }),
    drop: () => owner.close(),
  };
}

/** Polls `check` every 50 ms until it returns something other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An application registered through the operator API, with this back-channel logout URI (or none); its client id. */
export async function createApplication(app: TestApp, name: string, backchannelLogoutUri: string | null): Promise<string> {
  const res = await asOperator(app, 'POST', '/api/operator/applications', {
    body: { name, redirectUris: ['http://127.0.0.1:9/callback'], ...(backchannelLogoutUri ? { backchannelLogoutUri } : {}) },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.clientId as string;
}
