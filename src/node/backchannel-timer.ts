/**
 * The Node server's back-channel logout sender: every 2 s, the deliveries due (a retry whose back-off
 * has passed, what a previous process left behind), without waiting for the 5-minute maintenance.
 * Unref'd, so it never keeps the process alive; a run still going when the next is due is not doubled.
 */
import { loggableError } from '../http/loggable-error.js';
import { deliverBackchannelLogoutsIfDue } from '../services/backchannel.js';
import type { ServiceDeps } from '../services/deps.js';

export const BACKCHANNEL_INTERVAL_MS = 2_000;
const ERROR_LOG_EVERY_MS = 60_000;

export interface BackchannelTimer {
  /** Stops the timer and waits for a run in progress (before the database is closed). */
  stop(): Promise<void>;
}

export function startBackchannelTimer(deps: ServiceDeps, log: (line: Record<string, unknown>) => void, intervalMs = BACKCHANNEL_INTERVAL_MS): BackchannelTimer {
  let running: Promise<void> | null = null;
  let stopped = false;
  let lastErrorLoggedAt = -Infinity;
  const tick = () => {
    if (running || stopped) return;
    running = deliverBackchannelLogoutsIfDue(deps)
      .then((report) => {
        // Quiet when nothing was due: this runs every 2 s.
        if (report && report.delivered + report.failed + report.gaveUp + report.dropped > 0) log({ level: 'info', msg: 'backchannel logout', ...report });
      })
      .catch((error: unknown) => {
        // A database that is down would say so every 2 s: once a minute is enough.
        if (Date.now() - lastErrorLoggedAt < ERROR_LOG_EVERY_MS) return;
        lastErrorLoggedAt = Date.now();
        log({ level: 'error', msg: 'backchannel logout failed', ...loggableError(error) });
      })
      .finally(() => {
        running = null;
      });
  };
  const every = setInterval(tick, intervalMs);
  every.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(every);
      await running;
    },
  };
}
