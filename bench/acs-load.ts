/**
 * The load generator of the ACS benchmark: `connections` keep-alive HTTP/1.1 connections (node:http
 * with a keep-alive Agent capped at that many sockets, so the connection count is exact), each
 * posting one pre-signed SAMLResponse after the other, as browsers behind a load balancer would.
 * Unlike lib.ts `load`, it never throws on a bad answer: errors and timeouts are counted, since the
 * count is one of the figures.
 */
import { Agent, request } from 'node:http';
import { percentile } from './lib.js';

export interface LoadResult {
  requests: number;
  connections: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Answers other than the expected status. */
  errors: number;
  /** No answer within the per-request timeout (or the connection failed). */
  timeouts: number;
  /** Status -> count, of the unexpected answers, and a sample body, to tell why. */
  unexpected: Record<string, number>;
  sample: string | null;
  /** process.hrtime of the start and end, in µs, to cut the server's CPU profile to the load window. */
  windowUs: [number, number];
}

const TIMEOUT_MS = 30_000;

interface Answer {
  status: number;
  body: string;
}

function post(agent: Agent, url: URL, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8', 0, 300) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Posts every response of `responses` once to `url` over `connections` connections; each should
 * answer `expected`. The form bodies are encoded before the clock starts.
 */
export async function acsLoad(url: string, responses: readonly string[], connections: number, expected = 303): Promise<LoadResult> {
  const target = new URL(url);
  const bodies = responses.map((r) => new URLSearchParams({ SAMLResponse: r }).toString());
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, keepAliveMsecs: 1000 });
  const latencies: number[] = [];
  const unexpected: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let sample: string | null = null;
  let next = 0;
  const startUs = nowUs();
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const t0 = performance.now();
          try {
            const answer = await post(agent, target, body);
            latencies.push(performance.now() - t0);
            if (answer.status !== expected) {
              errors++;
              unexpected[String(answer.status)] = (unexpected[String(answer.status)] ?? 0) + 1;
              sample ??= answer.body;
            }
          } catch (error) {
            timeouts++;
            sample ??= error instanceof Error ? error.message : String(error);
          }
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: bodies.length,
    connections,
    seconds,
    // Only what was answered as expected counts as a sign-in.
    perSecond: (bodies.length - errors - timeouts) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    timeouts,
    unexpected,
    sample,
    windowUs: [startUs, nowUs()],
  };
}
