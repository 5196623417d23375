/**
 * The Node server's scheduled maintenance (IdP metadata refresh, ...): runScheduledMaintenance every
 * few minutes, the Workers Cron Trigger's schedule. Unref'd, so it never keeps the process alive; a
 * run still going when the next is due is not doubled.
 */
import { loggableError } from '../http/loggable-error.js';
import type { ServiceDeps } from '../services/deps.js';
import { runScheduledMaintenance } from '../services/scheduled.js';

export const MAINTENANCE_INTERVAL_MS = 5 * 60_000;

export interface MaintenanceTimer {
  /** Stops the timer and waits for a run in progress (before the database is closed). */
  stop(): Promise<void>;
}

export function startMaintenanceTimer(deps: ServiceDeps, log: (line: Record<string, unknown>) => void, intervalMs = MAINTENANCE_INTERVAL_MS): MaintenanceTimer {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = runScheduledMaintenance(deps, deps.now())
      .then((report) => {
        for (const [task, outcome] of Object.entries(report)) {
          if (outcome.ok) log({ level: 'info', msg: 'scheduled task', task, ...outcome.result });
          else log({ level: 'error', msg: 'scheduled task failed', task, ...loggableError(outcome.error) });
        }
      })
      .catch((error: unknown) => log({ level: 'error', msg: 'scheduled maintenance failed', ...loggableError(error) }))
      .finally(() => {
        running = null;
      });
  };
  // A first run soon after start (metadata due while the server was down), then on the interval.
  const first = setTimeout(tick, 10_000);
  const every = setInterval(tick, intervalMs);
  first.unref();
  every.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(every);
      await running;
    },
  };
}
