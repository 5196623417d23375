/**
 * The Node server's webhook sender: every second it queues what has committed and starts a stream for
 * each due queue head, up to MAX_STREAMS at once, without waiting for the streams already running (a
 * slow endpoint holds one stream, never the others). Unref'd, so it never keeps the process alive.
 */
import { loggableError } from '../http/loggable-error.js';
import type { ServiceDeps } from '../services/deps.js';
import { claimHeads, prepareWebhookDeliveries, workStream } from '../services/webhook-delivery.js';
import { anyEndpoint } from '../store/webhooks.js';

export const WEBHOOK_TICK_MS = 1_000;
export const MAX_STREAMS = 32;
/** A stream hands its queue back after this long, so a busy queue is shared fairly between instances. */
const STREAM_BUDGET_MS = 10_000;
const ERROR_LOG_EVERY_MS = 60_000;

export interface WebhookDispatcher {
  /** Stops claiming and waits for the streams in flight (before the database is closed). */
  stop(): Promise<void>;
}

export function startWebhookDispatcher(deps: ServiceDeps, log: (line: Record<string, unknown>) => void, tickMs = WEBHOOK_TICK_MS): WebhookDispatcher {
  const active = new Set<Promise<void>>();
  let ticking = false;
  let stopped = false;
  let lastErrorLoggedAt = -Infinity;
  const logError = (error: unknown) => {
    if (Date.now() - lastErrorLoggedAt < ERROR_LOG_EVERY_MS) return;
    lastErrorLoggedAt = Date.now();
    log({ level: 'error', msg: 'webhook delivery failed', ...loggableError(error) });
  };
  const tick = async () => {
    if (ticking || stopped || active.size >= MAX_STREAMS) return;
    ticking = true;
    try {
      if (!(await anyEndpoint(deps.db))) return;
      await prepareWebhookDeliveries(deps);
      const heads = await claimHeads(deps, MAX_STREAMS - active.size);
      for (const head of heads) {
        const run: Promise<void> = workStream(deps, head, { deadline: Date.now() + STREAM_BUDGET_MS, max: 10_000 })
          .then((report) => {
            if (report.delivered + report.failed + report.gaveUp > 0) log({ level: 'info', msg: 'webhooks', endpointId: head.endpointId, ...report });
          })
          .catch(logError)
          .finally(() => {
            active.delete(run);
            // A queue handed back (budget spent) or another one due: claim again at once.
            if (!stopped) setImmediate(() => void tick());
          });
        active.add(run);
      }
    } catch (error) {
      logError(error);
    } finally {
      ticking = false;
    }
  };
  const every = setInterval(() => void tick(), tickMs);
  every.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(every);
      while (ticking) await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.allSettled([...active]);
    },
  };
}
