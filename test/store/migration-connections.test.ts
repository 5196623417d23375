/**
 * Migration 0007 on a database made by the 0006 schema with a company in use: its one SAML connection
 * (keyed by company) gets an id of its own, name 'SAML' and the company-level URLs, and loses nothing;
 * the session, pending AuthnRequest and replay-cache entry hanging off it get its id. Then, through the
 * current app, nothing the company's IdP or its people hold breaks: the old URLs sign people in, the old
 * session cookie still works, the pending request is answerable once, the replayed assertion ID stays
 * refused. On PGlite always, and on a PostgreSQL database of its own when DATABASE_URL is set.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { serializeSigned } from 'hono/utils/cookie';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newSecret } from '../../src/crypto.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { migrationsFolder } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite.js';
import { openPostgres } from '../../src/store/postgres.js';
import { call, makeApp, setupCompany, testConfig } from '../support/app.js';
import { AUTHN_COOKIE, PUBLIC_URL, confirmedUser, idpInitiated, me, postAcs, spOf } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';

const now = new Date('2026-06-01T09:00:00Z');
const clock = () => now;
let upTo0006: string;

beforeAll(() => {
  // The migrations folder as it was before 0007: the same files, the journal cut after 0006_sso_binding.
  upTo0006 = mkdtempSync(join(tmpdir(), 'bridge-migrations-'));
  cpSync(migrationsFolder, upTo0006, { recursive: true });
  const journalPath = join(upTo0006, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === '0006_sso_binding');
  expect(cut).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut + 1) }));
});
afterAll(() => {
  rmSync(upTo0006, { recursive: true, force: true });
});

/** Rows of a raw query: PGlite answers {rows}, postgres.js the array itself. */
async function rowsOf(handle: DatabaseHandle, query: ReturnType<typeof sql>): Promise<Record<string, unknown>[]> {
  const result = (await handle.db.execute(query)) as unknown as { rows?: Record<string, unknown>[] } & Record<string, unknown>[];
  return result.rows ?? [...result];
}

/** The row as plain JSON, so dates and jsonb compare alike on both drivers. */
const plain = (row: Record<string, unknown> | undefined) => JSON.parse(JSON.stringify(row ?? null));

/** The 0006 database in use, upgraded, then exercised through the current app. */
async function upgradeInPlace(handle: DatabaseHandle): Promise<void> {
  await handle.migrate(upTo0006);
  // The current API also writes events (0009): the 0006 database gets that table for the set-up only, and loses it before the upgrade.
  const events0009 = readFileSync(join(migrationsFolder, '0009_events_outbox.sql'), 'utf8').split('--> statement-breakpoint');
  for (const statement of events0009) await handle.db.execute(sql.raw(statement));
  const idp = createTestIdp({ entityId: 'https://idp.test/before-0007' });
  // Companies, keys, workspaces and users are tables 0007 leaves alone: the current API can make them.
  const before = makeApp(handle, { now: clock });
  const company = await setupCompany(before, 'Before 0007');
  const userId = await confirmedUser(before, company, 'old.timer@before.test');

  await handle.db.execute(sql`insert into saml_connections
      (company_id, idp_entity_id, sso_url, sso_binding, certificates, allow_sha1, attribute_mapping, sp_entity_id_override, acs_url_override, updated_at)
      values (${company.id}, ${idp.entityId}, 'https://idp.test/sso', 'redirect', ${JSON.stringify([idp.certificatePem])}::jsonb, true,
              '{"firstName":"given_name"}'::jsonb, null, null, '2026-05-01T08:00:00Z')`);
  const sessionToken = newSecret();
  await handle.db.execute(sql`insert into sessions (id, token_hash, company_id, user_id, expires_at)
      values ('ses_before0007', ${hashSecret(sessionToken)}, ${company.id}, ${userId}, '2026-06-01T12:00:00Z')`);
  const binding = newSecret();
  const requestId = '_request_before_0007';
  await handle.db.execute(sql`insert into saml_requests (id, company_id, relay_state, browser_binding, expires_at)
      values (${requestId}, ${company.id}, '/after-upgrade', ${hashSecret(binding)}, '2026-06-01T09:05:00Z')`);
  await handle.db.execute(sql`insert into saml_replay_cache (company_id, assertion_id, expires_at)
      values (${company.id}, '_assertion_before_0007', '2026-06-01T09:30:00Z')`);
  const [old] = await rowsOf(handle, sql`select * from saml_connections where company_id = ${company.id}`);
  await handle.db.execute(sql`drop table events`);

  await handle.migrate(migrationsFolder);

  const [upgraded] = await rowsOf(handle, sql`select * from saml_connections where company_id = ${company.id}`);
  const connectionId = upgraded!.id as string;
  expect(connectionId).toMatch(/^saml_[0-9a-f]{16}$/);
  expect(upgraded).toMatchObject({ name: 'SAML', company_urls: true, enabled: true });
  expect(plain(upgraded).created_at).toEqual(plain(old).updated_at);
  // Every column 0006 had keeps its value.
  const kept = Object.fromEntries(Object.keys(old!).map((column) => [column, plain(upgraded)[column]]));
  expect(kept).toEqual(plain(old));
  for (const table of ['sessions', 'saml_requests', 'saml_replay_cache']) {
    const hanging = await rowsOf(handle, sql`select connection_id from ${sql.identifier(table)} where company_id = ${company.id}`);
    expect(hanging, table).toEqual([{ connection_id: connectionId }]);
  }

  const app = makeApp(handle, { now: clock });
  const listed = await call(app, 'GET', `/api/companies/${company.id}/saml-connections`, { token: company.key });
  expect(listed.json.connections).toMatchObject([
    { id: connectionId, companyUrls: true, spEntityId: `${PUBLIC_URL}/saml/${company.id}`, acsUrl: `${PUBLIC_URL}/saml/${company.id}/acs` },
  ]);

  // The session cookie signed in before the upgrade, built as session-cookie.ts builds it.
  const oldCookie = (await serializeSigned('__Host-bridge_session', sessionToken, testConfig.sessionSecret, { secure: true, path: '/' })).split(';')[0]!;
  const who = await me(app, oldCookie);
  expect(who.status, who.text).toBe(200);
  expect(who.json.user).toMatchObject({ id: userId });

  // The IdP, configured with the old entity ID and ACS URL, still signs people in.
  const signedIn = await postAcs(app, company.id, idpInitiated(idp, company.id, 'old.timer@before.test', now));
  expect(signedIn.status, signedIn.html).toBe(303);
  expect((await me(app, signedIn.cookie)).json.user).toMatchObject({ id: userId });

  // The AuthnRequest pending across the upgrade is answerable, once, by the browser that started it.
  const answer = () =>
    idp.signResponse({ sp: spOf(company.id), now, nameId: 'old.timer@before.test', inResponseTo: requestId });
  const answered = await postAcs(app, company.id, answer(), undefined, `${AUTHN_COOKIE}=${binding}`);
  expect(answered.status, answered.html).toBe(303);
  expect(answered.location).toBe('/after-upgrade');
  const again = await postAcs(app, company.id, answer(), undefined, `${AUTHN_COOKIE}=${binding}`);
  expect(again.status).toBe(403);
  expect(again.html).toContain('<code>unknown_request</code>');

  // The assertion ID accepted before the upgrade is still refused.
  const replay = await postAcs(app, company.id, idpInitiated(idp, company.id, 'old.timer@before.test', now, { assertionId: '_assertion_before_0007' }));
  expect(replay.status).toBe(403);
  expect(replay.html).toContain('<code>replayed</code>');
}

describe('migration 0007_saml_connection_identity', () => {
  it('upgrades a PGlite database in use in place', async () => {
    const handle = await openPglite();
    try {
      await upgradeInPlace(handle);
    } finally {
      await handle.close();
    }
  });

  // Its own database on the shared server (the shared one is migrated already): created, upgraded, dropped.
  it.runIf(process.env.DATABASE_URL)('upgrades a PostgreSQL database in use in place', async () => {
    const base = new URL(process.env.DATABASE_URL!);
    const name = `${base.pathname.slice(1)}_mig`;
    const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
    const target = new URL(base);
    target.pathname = `/${name}`;
    try {
      await admin.unsafe(`drop database if exists "${name}"`);
      await admin.unsafe(`create database "${name}"`);
      const handle = openPostgres(target.toString(), { max: 2 });
      try {
        await upgradeInPlace(handle);
      } finally {
        await handle.close();
      }
    } finally {
      await admin.unsafe(`drop database if exists "${name}"`);
      await admin.end();
    }
  });
});
