/**
 * SCIM date filters over HTTP (issue 9, point 6): `meta.created` / `meta.lastModified` comparisons
 * answer on PostgreSQL as on PGlite, and a value that is no date-time is a SCIM 400 invalidFilter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { makeApp, setupCompany } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { expectScimError, oktaUser, scim, scimToken } from '../support/scim.js';

let handle: DatabaseHandle;
let app: TestApp;
let clock = new Date('2032-03-01T10:00:00.123Z');
let token: string;
let base: string;
const created: { user: string; group: string; at: string }[] = [];

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => clock });
  ({ token, base } = await scimToken(app, await setupCompany(app, 'Dated Co')));
  for (const n of [1, 2, 3]) {
    clock = new Date(Date.UTC(2032, 2, n, 10, 0, 0, 123));
    const user = await scim(app, token, 'POST', `${base}/Users`, oktaUser(`dated${n}@dated.example`));
    const group = await scim(app, token, 'POST', `${base}/Groups`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Dated ${n}` });
    expect(user.status, user.text).toBe(201);
    expect(group.status, group.text).toBe(201);
    created.push({ user: user.json.id, group: group.json.id, at: user.json.meta.created });
  }
});
afterAll(async () => {
  await handle?.close();
});

const list = (resource: 'Users' | 'Groups', filter: string) => scim(app, token, 'GET', `${base}/${resource}?filter=${encodeURIComponent(filter)}`);

describe('SCIM date filters over HTTP', () => {
  it.each(['Users', 'Groups'] as const)('%s: every comparison answers, and eq finds the value the server rendered', async (resource) => {
    const ids = (n: number[]) => n.map((i) => (resource === 'Users' ? created[i]!.user : created[i]!.group)).sort();
    const cases: [string, number[]][] = [
      [`meta.created eq "${created[1]!.at}"`, [1]],
      [`meta.created ne "${created[1]!.at}"`, [0, 2]],
      ['meta.created gt "2032-03-02T00:00:00Z"', [1, 2]],
      [`meta.created ge "${created[1]!.at}"`, [1, 2]],
      ['meta.created lt "2032-03-02T10:00:00.123Z"', [0]],
      ['meta.created le "2032-03-02T11:00:00.123+01:00"', [0, 1]],
      ['meta.lastModified gt "2032-03-02T10:00:00Z"', [1, 2]],
      ['meta.lastModified pr', [0, 1, 2]],
    ];
    for (const [filter, expected] of cases) {
      const res = await list(resource, filter);
      expect(res.status, `${filter}: ${res.text}`).toBe(200);
      expect(res.json.Resources.map((r: { id: string }) => r.id).sort(), filter).toEqual(ids(expected));
    }
  });

  it.each(['Users', 'Groups'] as const)('%s: a value that is no date-time is a SCIM 400 invalidFilter, not a 500', async (resource) => {
    for (const value of ['yesterday', '2032-02-30T00:00:00Z', '2032-03-01', '99999-01-01T00:00:00Z']) {
      for (const attribute of ['meta.created', 'meta.lastModified']) {
        expectScimError(await list(resource, `${attribute} gt "${value}"`), 400, 'invalidFilter');
      }
    }
  });
});
