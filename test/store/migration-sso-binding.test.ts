/**
 * Migration 0006 on a database that already holds SAML connections: they get sso_binding 'redirect',
 * so SP-initiated sign-in keeps its HTTP-Redirect 302 for them. (PGlite: a fresh database migrated
 * only up to 0005 first; the shared test PostgreSQL is migrated already.)
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { migrationsFolder } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite.js';
import { samlConnections } from '../../src/store/schema.js';
import { makeApp } from '../support/app.js';

let handle: DatabaseHandle;
let upTo0005: string;

beforeAll(async () => {
  // The migrations folder as it was before 0006: the same files, the journal cut after 0005_hardening.
  upTo0005 = mkdtempSync(join(tmpdir(), 'bridge-migrations-'));
  cpSync(migrationsFolder, upTo0005, { recursive: true });
  const journalPath = join(upTo0005, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === '0005_hardening');
  expect(cut).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut + 1) }));
  handle = await openPglite();
  await handle.migrate(upTo0005);
});
afterAll(async () => {
  await handle?.close();
  rmSync(upTo0005, { recursive: true, force: true });
});

describe('migration 0006_sso_binding', () => {
  it("gives existing connections 'redirect': their SP-initiated sign-in is still the 302", async () => {
    await handle.db.execute(sql`insert into companies (id, name) values ('cmp_0000000000000old', 'Before 0006')`);
    await handle.db.execute(
      sql`insert into saml_connections (company_id, idp_entity_id, sso_url, certificates)
          values ('cmp_0000000000000old', 'https://idp.test/old', 'https://idp.test/sso', '[]'::jsonb)`,
    );
    await handle.migrate(migrationsFolder);
    expect(await handle.db.select({ ssoBinding: samlConnections.ssoBinding }).from(samlConnections)).toEqual([{ ssoBinding: 'redirect' }]);

    const res = await makeApp(handle).request('/saml/cmp_0000000000000old/login');
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toMatch(/^https:\/\/idp\.test\/sso\?SAMLRequest=/);
  });
});
