/**
 * readJitContextRow (one statement, on every sign-in) against the single-purpose lookups it replaces
 * there, on both databases, over states built through the API: no email, a stranger, a confirmed
 * user, a support exception, a SCIM token, an active and a deleted directory entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldIdentifier, normaliseEmail } from '../../src/core/email.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { findDomainException } from '../../src/store/access.js';
import { findDirectoryUserByEmail, hasActiveScimToken, isDeletedFromDirectory } from '../../src/store/directory.js';
import { findJitSettings } from '../../src/store/jit.js';
import { readJitContextRow } from '../../src/store/jit-context.js';
import { domainHasConfirmedUser, findUserByEmail } from '../../src/store/users.js';
import { asOperator, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { availableBackends, openTestDatabase } from '../support/db.js';
import { confirmedUser } from '../support/saml.js';
import { oktaUser, scim, scimToken } from '../support/scim.js';

describe.each(availableBackends)('readJitContextRow (%s)', (backend) => {
  let handle: DatabaseHandle;
  let app: TestApp;
  let company: TestCompany;
  beforeAll(async () => {
    handle = await openTestDatabase(backend);
    app = makeApp(handle);
    company = await setupCompany(app, 'Context Co');
  });
  afterAll(async () => {
    await handle?.close();
  });

  async function compare(email: string | null) {
    const normalised = email ? normaliseEmail(email) : null;
    const forms = normalised ? [...new Set([normalised.normalised, foldIdentifier(normalised.original)])] : [];
    const row = await readJitContextRow(handle.db, company.id, normalised ? { normalised: normalised.normalised, domain: normalised.domain } : null, forms);
    const entry = await findDirectoryUserByEmail(handle.db, company.id, forms);
    expect(row).toEqual({
      settings: await findJitSettings(handle.db, company.id),
      user: normalised ? await findUserByEmail(handle.db, company.id, normalised.normalised) : null,
      exception: normalised ? await findDomainException(handle.db, company.id, normalised.domain) : null,
      domainHasUser: normalised ? await domainHasConfirmedUser(handle.db, company.id, normalised.domain) : false,
      syncEnabled: await hasActiveScimToken(handle.db, company.id),
      entry: entry ? { id: entry.id, active: entry.active } : null,
      deleted: await isDeletedFromDirectory(handle.db, company.id, forms),
    });
    return row!;
  }

  it('agrees with the single lookups in every state', async () => {
    expect((await compare(null)).user).toBeNull();
    expect((await compare('stranger@context.example')).domainHasUser).toBe(false);
    await confirmedUser(app, company, 'kate@context.example');
    const known = await compare('Kate@Context.example');
    expect(known.user?.email).toBe('kate@context.example');
    expect(known.domainHasUser).toBe(true);
    const granted = await asOperator(app, 'POST', `/api/operator/companies/${company.id}/domain-exceptions`, { body: { domain: 'sub.context.example', reason: 'ticket 1' } });
    expect(granted.status).toBe(201);
    expect((await compare('new@sub.context.example')).exception?.reason).toBe('ticket 1');
    const { token, base } = await scimToken(app, company);
    expect((await compare('new@sub.context.example')).syncEnabled).toBe(true);
    const created = await scim(app, token, 'POST', `${base}/Users`, oktaUser('dir@context.example'));
    expect(created.status).toBe(201);
    expect((await compare('dir@context.example')).entry).toEqual({ id: created.json.id, active: true });
    expect((await scim(app, token, 'DELETE', `${base}/Users/${created.json.id}`)).status).toBe(204);
    const gone = await compare('dir@context.example');
    expect(gone.entry).toBeNull();
    expect(gone.deleted).toBe(true);
  });
});
