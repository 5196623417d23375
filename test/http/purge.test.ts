/**
 * Sign-ins purge expired replay-cache entries, AuthnRequests and sessions as they go by. On its own
 * in-memory PGlite: a purge is global, and the shared test database holds other files' pinned clocks.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { rememberAssertion } from '../../src/store/saml.js';
import { samlReplayCache } from '../../src/store/schema.js';
import { setupCompany, testConfig } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, postAcs } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await openTestDatabase('pglite');
});
afterAll(async () => {
  await handle?.close();
});

describe('maintenance at sign-in', () => {
  it('a sign-in purges what has expired and keeps what has not', async () => {
    const now = new Date('2026-06-01T09:00:00Z');
    const app = createApp({ config: testConfig, database: { kind: handle.kind, db: handle.db }, now: () => now, log: null, purgeEvery: 1 });
    const idp = createTestIdp({ entityId: 'https://idp.test/purge' });
    const company = await setupCompany(app);
    await configureSaml(app, company, idp);
    await confirmedUser(app, company, 'jon@decorumsoft.com');
    await rememberAssertion(handle.db, { companyId: company.id, connectionId: 'saml_0000000000000000', assertionId: '_old', expiresAt: new Date(now.getTime() - 1) });
    await rememberAssertion(handle.db, { companyId: company.id, connectionId: 'saml_0000000000000000', assertionId: '_fresh', expiresAt: new Date(now.getTime() + 60_000) });

    expect((await postAcs(app, company.id, idpInitiated(idp, company.id, 'jon@decorumsoft.com', now))).status).toBe(303);
    const left = await handle.db.select({ id: samlReplayCache.assertionId }).from(samlReplayCache).where(eq(samlReplayCache.companyId, company.id));
    expect(left.map((r) => r.id).sort()).not.toContain('_old');
    expect(left.map((r) => r.id)).toContain('_fresh');
    expect(left).toHaveLength(2); // _fresh and the assertion just used
  });
});
