/**
 * A webhook receiver on 127.0.0.1 for tests: records every POST (headers, raw body, when), and answers
 * as the test says (a status, a delay, a body), so retries, timeouts and ordering can be observed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface Answer {
  status?: number;
  delayMs?: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface WebhookReceiver {
  readonly origin: string;
  readonly received: ReceivedWebhook[];
  /** Received on one path (each endpoint gets its own path). */
  on(path: string): ReceivedWebhook[];
  /** How the next requests on `path` are answered (default: 204 at once). */
  answer(path: string, decide: (request: ReceivedWebhook, nth: number) => Answer): void;
  /**
   * The largest number of requests carrying one webhook-id that were in flight at once: on any path,
   * or, with `path`, on that path only (one endpoint; the same event sent to two endpoints at once is fine).
   */
  maxConcurrentPerId(path?: string): number;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers = new Map<string, (request: ReceivedWebhook, nth: number) => Answer>();
  const counts = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const inFlightOnPath = new Map<string, number>();
  const maxPerIdOnPath = new Map<string, number>();
  let maxPerId = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const path = (req.url ?? '/').split('?')[0]!;
      const request: ReceivedWebhook = { path, headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(request);
      const id = headers['webhook-id'] ?? '';
      const now = (inFlight.get(id) ?? 0) + 1;
      inFlight.set(id, now);
      maxPerId = Math.max(maxPerId, now);
      const onPath = `${path}\n${id}`;
      const nowOnPath = (inFlightOnPath.get(onPath) ?? 0) + 1;
      inFlightOnPath.set(onPath, nowOnPath);
      maxPerIdOnPath.set(path, Math.max(maxPerIdOnPath.get(path) ?? 0, nowOnPath));
      const nth = (counts.get(path) ?? 0) + 1;
      counts.set(path, nth);
      const answer = answers.get(path)?.(request, nth) ?? {};
      const reply = () => {
        inFlight.set(id, (inFlight.get(id) ?? 1) - 1);
        inFlightOnPath.set(onPath, (inFlightOnPath.get(onPath) ?? 1) - 1);
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 204, answer.headers ?? {});
        res.end(answer.status === 204 || answer.status === undefined ? undefined : (answer.body ?? ''));
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    received,
    on: (path) => received.filter((r) => r.path === path),
    answer: (path, decide) => void answers.set(path, decide),
    maxConcurrentPerId: (path) => (path === undefined ? maxPerId : (maxPerIdOnPath.get(path) ?? 0)),
    async waitFor(predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > until) throw new Error('timed out waiting for webhooks');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
