/// <reference types="@cloudflare/vitest-pool-workers/types" />
/**
 * The Worker's Cron Trigger: the `scheduled` export runs the scheduled maintenance in workerd, over
 * Postgres through Hyperdrive. A connection whose metadata refresh is due is claimed and refreshed;
 * its URL names a private IP literal, which the Worker refuses without any DNS (Workers have none):
 * the refusal is recorded as the connection's last error, and its next refresh moves on.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import worker from '../../src/worker.js';
import { openPostgres } from '../../src/store/postgres.js';
import { samlConnections } from '../../src/store/schema.js';
import { call, configureSaml, setupCompany } from './http.js';
import { worker as fetchWorker, workerEnv } from './worker-fetch.js';

describe('the scheduled handler', () => {
  it('refreshes the metadata of due connections, refusing a private address without DNS', async () => {
    const company = await setupCompany(fetchWorker, 'Edge cron');
    const saved = await configureSaml(fetchWorker, company, { entityId: 'https://idp.test/edge-cron', certificatePem: inject('idpKeys').certificatePem });
    const connectionId = saved.json.id as string;
    const now = Date.now();
    // Configured as if saved from a URL an hour ago (a save would refuse this URL: production never allows it).
    const { db } = openPostgres(workerEnv.HYPERDRIVE!.connectionString, { max: 1, closeOnEnd: false });
    await db
      .update(samlConnections)
      .set({ metadataUrl: 'https://10.0.0.1/metadata', metadataFetchedAt: new Date(now - 3_600_000), metadataNextRefreshAt: new Date(now - 60_000) })
      .where(eq(samlConnections.id, connectionId));

    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ scheduledTime: now, cron: '*/5 * * * *' }), workerEnv, ctx);
    await waitOnExecutionContext(ctx);

    const read = await call(fetchWorker, 'GET', `/api/companies/${company.id}/saml-connections/${connectionId}`, { token: company.key });
    expect(read.status).toBe(200);
    expect(read.json.idp.metadata.lastError).toMatch(/^metadata_url_refused: .*10\.0\.0\.1 is a private address/);
    expect(new Date(read.json.idp.metadata.nextRefreshAt).getTime()).toBeGreaterThan(now);
    expect(read.json.idp.certificates).toHaveLength(1);
    const audit = await call(fetchWorker, 'GET', `/api/companies/${company.id}/audit-events?action=saml_connection.metadata_refresh_failed`, { token: company.key });
    expect(audit.json.events).toHaveLength(1);
    expect(audit.json.events[0]).toMatchObject({ reason: 'metadata_url_refused', actor: { type: 'system', id: 'metadata_refresh' } });
  });
});
