/**
 * The SCIM benchmark's load generator: keep-alive HTTP/1.1 over plain sockets, one request in flight
 * per connection, closed loop. Why not fetch: undici costs more CPU per request than the server's own
 * hono route does, so on a 2-core machine the generator, not the product, would set the rate. This
 * client only writes a request string and reads Content-Length (or chunked) bodies. 127.0.0.1 only.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface Reply {
  status: number;
  body: string;
}

export interface Request {
  method: string;
  path: string;
  body?: string;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Node closes a keep-alive connection idle for 5 s (its default keepAliveTimeout), as between two
 * rows of the benchmark: one idle for longer than this is replaced before it is used, never written
 * to while the server may be closing it.
 */
const MAX_IDLE_MS = 2_000;
const REQUEST_TIMEOUT_MS = 60_000;

/** One keep-alive connection; `send` may be called again once the previous promise settled. */
export class Connection {
  private socket: Socket | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private idleSince = 0;

  private constructor(
    private readonly port: number,
    private readonly headers: string,
  ) {}

  static async open(port: number, headers: Record<string, string>): Promise<Connection> {
    const connection = new Connection(port, fixed(headers));
    await connection.connect();
    return connection;
  }

  private connect(): Promise<void> {
    this.socket?.destroy();
    this.buffer = Buffer.alloc(0);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: this.port }, () => {
        socket.off('error', reject);
        this.idleSince = performance.now();
        resolve();
      });
      socket.once('error', reject);
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => {
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
        this.parse();
      });
      const fail = (error: Error) => {
        // A replaced socket closing late says nothing about the request on its successor.
        if (this.socket !== socket) return;
        this.socket = null;
        const p = this.pending;
        this.pending = null;
        p?.reject(error);
      };
      socket.on('error', fail);
      socket.on('close', () => fail(new Error('connection closed')));
      this.socket = socket;
    });
  }

  async send(request: Request): Promise<Reply> {
    if (this.pending) throw new Error('one request at a time per connection');
    if (!this.socket || performance.now() - this.idleSince > MAX_IDLE_MS) await this.connect();
    const socket = this.socket!;
    const body = request.body === undefined ? null : Buffer.from(request.body);
    const head =
      `${request.method} ${request.path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\n${this.headers}` +
      (body ? `Content-Type: application/scim+json\r\nContent-Length: ${body.length}\r\n` : '') +
      '\r\n';
    return new Promise<Reply>((resolve, reject) => {
      // A benchmark must end: a request unanswered for this long fails the run.
      const timer = setTimeout(() => {
        this.pending = null;
        socket.destroy();
        reject(new Error(`${request.method} ${request.path}: no answer in ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      const settle = <T>(f: (value: T) => void) => (value: T) => {
        clearTimeout(timer);
        f(value);
      };
      this.pending = { resolve: settle(resolve), reject: settle(reject) };
      socket.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  /** Completes the pending request once its whole response is buffered. */
  private parse(): void {
    const end = this.buffer.indexOf(CRLF2);
    if (end < 0 || !this.pending) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let body: string;
    let rest: Buffer;
    if (length) {
      const total = end + 4 + Number(length[1]);
      if (this.buffer.length < total) return;
      body = this.buffer.subarray(end + 4, total).toString('utf8');
      rest = this.buffer.subarray(total);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parsed = dechunk(this.buffer, end + 4);
      if (!parsed) return;
      [body, rest] = parsed;
    } else {
      // 204 and 304 carry no body.
      body = '';
      rest = this.buffer.subarray(end + 4);
    }
    this.buffer = rest;
    this.idleSince = performance.now();
    const p = this.pending;
    this.pending = null;
    p.resolve({ status, body });
  }
}

function fixed(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
}

/** A complete chunked body from `from`, and what follows it; null while incomplete. */
function dechunk(buffer: Buffer, from: number): [string, Buffer] | null {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const line = buffer.indexOf('\r\n', at);
    if (line < 0) return null;
    const size = parseInt(buffer.subarray(at, line).toString('latin1'), 16);
    if (buffer.length < line + 2 + size + 2) return null;
    if (size === 0) return [Buffer.concat(parts).toString('utf8'), buffer.subarray(line + 4)];
    parts.push(buffer.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** The server's CPU time per request (µs), where it was measured. */
  serverCpuUs?: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * `count` tasks, `workers` at a time (closed loop: each worker starts its next task when the last
 * ended); rate and latency percentiles. Serves the HTTP load and the raw database baselines alike.
 */
export async function closedLoop(workers: number, count: number, task: (worker: number, i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await task(worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: count, perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** `count` requests over these connections (one in flight on each); every reply must have `expected` status. */
export async function load(
  connections: readonly Connection[],
  count: number,
  request: (i: number) => Request,
  expected: number,
): Promise<LoadResult> {
  return closedLoop(connections.length, count, async (worker, i) => {
    const req = request(i);
    const reply = await connections[worker]!.send(req);
    if (reply.status !== expected) throw new Error(`${req.method} ${req.path}: ${reply.status} (expected ${expected}) ${reply.body.slice(0, 300)}`);
  });
}
