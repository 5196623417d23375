/**
 * Error logs never quote a failed query's parameters or the values PostgreSQL repeats in its message
 * and detail (issue 9, point 12): they name the statement, the SQLSTATE and the constraint instead.
 * Real failing queries on the test database, through the app's real error mappings (JSON and SCIM).
 */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/crypto.js';
import { handleError } from '../../src/http/errors.js';
import { statementOf } from '../../src/http/loggable-error.js';
import { scimFailure } from '../../src/http/routes/scim.js';
import type { AppEnv } from '../../src/http/env.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { companies } from '../../src/store/schema.js';
import { openTestDatabase } from '../support/db.js';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await openTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

const EMAIL = 'kate.secret-param@decorumsoft.com';
const NAME_ID = 'nameid-7f3a9c-do-not-log';

/** The failing queries: a unique violation (PostgreSQL's detail repeats the key) and a bad cast (its message repeats the text). */
const failures: [string, () => Promise<unknown>, { query: string; code: string; constraint?: string }][] = [
  [
    'a duplicate key',
    async () => {
      const id = `${newId('cmp')}-${NAME_ID}`;
      await handle.db.insert(companies).values({ id, name: EMAIL });
      await handle.db.insert(companies).values({ id, name: EMAIL });
    },
    { query: 'insert into "companies"', code: '23505', constraint: 'companies_pkey' },
  ],
  [
    'an invalid uuid',
    () => handle.db.select().from(companies).where(sql`${companies.id}::uuid = ${EMAIL}::uuid and ${companies.name} = ${NAME_ID}`),
    { query: 'select from "companies"', code: '22P02' },
  ],
];

async function loggedLines(onError: (error: Error, c: any) => Response | Promise<Response>, fail: () => Promise<unknown>) {
  const app = new Hono<AppEnv>()
    .use(async (c, next) => {
      c.set('requestId', 'req_test');
      await next();
    })
    .get('/fail', async (c) => {
      await fail();
      return c.text('not reached');
    });
  app.onError(onError);
  const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const res = await app.request('/fail');
    return { status: res.status, body: await res.text(), lines: logged.mock.calls.map((call) => call.map(String).join(' ')) };
  } finally {
    logged.mockRestore();
  }
}

describe.each([
  ['the JSON error mapping', handleError],
  ['the SCIM error mapping', scimFailure],
])('%s logs a failed query without its values', (_label, onError) => {
  it.each(failures)('%s', async (_case, fail, expected) => {
    const { status, body, lines } = await loggedLines(onError, fail);
    expect(status).toBe(500);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    for (const value of [EMAIL, NAME_ID, 'kate']) {
      expect(line).not.toContain(value);
      expect(body).not.toContain(value);
    }
    expect(line).not.toContain('params:');
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'error', requestId: 'req_test', error: 'failed query', ...expected });
    expect(entry.stack).toMatch(/^\s+at /);
  });
});

describe('statementOf', () => {
  it.each([
    ['insert into "audit_events" ("id", "data") values ($1, $2)', 'insert into "audit_events"'],
    ['update "users" set "email" = $1 where "users"."id" = $2', 'update "users"'],
    ['delete from "sessions" where "token_hash" = $1', 'delete from "sessions"'],
    ['select "id", "email" from "users" where "email" = $1', 'select from "users"'],
    ['begin', 'begin'],
  ])('%s -> %s', (query, expected) => {
    expect(statementOf(query)).toBe(expected);
  });
});
