/**
 * Periodic maintenance, the same on every runtime: a Node timer (src/node.ts) and a Workers Cron
 * Trigger (src/worker.ts) call runScheduledMaintenance every few minutes, on every instance. Each task
 * must therefore be safe to run concurrently and often: it claims its own work in the database.
 */
import { runBackchannelMaintenance } from './backchannel.js';
import { warnExpiringCertificates } from './certificate-warnings.js';
import type { ServiceDeps } from './deps.js';
import { refreshDueMetadata } from './metadata-refresh.js';
import { sweepExpired } from './sweep.js';
import { maintainEvents } from './events.js';
import { runWebhookMaintenance } from './webhook-delivery.js';

export interface ScheduledTask {
  readonly name: string;
  run(deps: ServiceDeps, now: Date): Promise<Record<string, unknown>>;
}

export const METADATA_REFRESH_TASK: ScheduledTask = { name: 'metadata_refresh', run: async (deps, now) => ({ ...(await refreshDueMetadata(deps, now)) }) };
/** Expiry warnings claim each certificate and threshold in the database: overlapping runs record nothing twice. */
export const CERTIFICATE_WARNINGS_TASK: ScheduledTask = {
  name: 'certificate_warnings',
  run: async (deps, now) => ({ ...(await warnExpiringCertificates(deps, now)) }),
};
/** The same bounded sweep sign-ins run now and then, so a quiet deployment is swept too. */
export const SWEEP_EXPIRED_TASK: ScheduledTask = {
  name: 'sweep_expired',
  run: async (deps, now) => {
    await sweepExpired(deps, now);
    return {};
  },
};

/**
 * Back-channel logouts still owed (Workers have no 2 s timer: the Cron Trigger drains what requests
 * left), and the sweep of delivered ones. Every row is claimed before it is sent.
 */
export const BACKCHANNEL_LOGOUT_TASK: ScheduledTask = {
  name: 'backchannel_logout',
  run: async (deps, now) => ({ ...(await runBackchannelMaintenance(deps, now)) }),
};

/** The tasks, in order; one failing does not stop the others. */
/** Events: numbered even when nobody reads the feed, and dropped after EVENT_RETENTION_DAYS. */
export const EVENTS_TASK: ScheduledTask = { name: 'events', run: async (deps, now) => ({ ...(await maintainEvents(deps, now)) }) };

/** Webhooks still owed (Workers have no dispatcher between requests: the Cron Trigger drains the rest), and the log's sweep. */
export const WEBHOOKS_TASK: ScheduledTask = { name: 'webhooks', run: async (deps, now) => ({ ...(await runWebhookMaintenance(deps, now)) }) };

export const SCHEDULED_TASKS: readonly ScheduledTask[] = [METADATA_REFRESH_TASK, CERTIFICATE_WARNINGS_TASK, SWEEP_EXPIRED_TASK, BACKCHANNEL_LOGOUT_TASK, EVENTS_TASK, WEBHOOKS_TASK];

export type ScheduledReport = Record<string, { ok: true; result: Record<string, unknown> } | { ok: false; error: unknown }>;

/** Runs every task once; what each did, or what it threw, by task name, for the log. */
export async function runScheduledMaintenance(deps: ServiceDeps, now: Date, tasks: readonly ScheduledTask[] = SCHEDULED_TASKS): Promise<ScheduledReport> {
  const report: ScheduledReport = {};
  for (const task of tasks) {
    try {
      report[task.name] = { ok: true, result: await task.run(deps, now) };
    } catch (error) {
      // Kept as thrown: the entry point logs it without what a failed query quotes (loggableError).
      report[task.name] = { ok: false, error };
    }
  }
  return report;
}
