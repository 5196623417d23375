/**
 * The /Users requests whose token is checked inside their first statement (src/store/scim-user-
 * statements.ts) answer exactly as the middleware's own check would: 401 for no token, a wrong
 * secret or a revoked token, 404 for another company's token, and that before any other error
 * (a bad filter, a bad body, a duplicate, an id that cannot exist); a refused request changes nothing;
 * a revocation is refused on the very next request, by every instance sharing the database.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { expectScimError, oktaUser, scim, scimToken } from '../support/scim.js';

let handle: DatabaseHandle;
let app: TestApp;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle);
});
afterAll(async () => {
  await handle?.close();
});

async function connected(name: string) {
  const company = await setupCompany(app, name);
  const { token, base } = await scimToken(app, company);
  return { company, token, base };
}

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const deactivate = { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] };
const wrongSecret = (token: string) => `${token.split('.')[0]}.${'x'.repeat(43)}`;

describe('SCIM /Users with the token checked in the statement', () => {
  it('answers 401 or 404 before any other error, on every such route', async () => {
    const a = await connected('Statement A');
    const b = await connected('Statement B');
    const existing = (await scim(app, a.token, 'POST', `${a.base}/Users`, oktaUser('taken@a.example'))).json.id as string;
    const badFilter = `${a.base}/Users?filter=${encodeURIComponent('nickName eq "x"')}`;
    const requests: Array<[string, string, unknown?, string?]> = [
      ['GET', `${a.base}/Users`],
      ['GET', `${a.base}/Users?filter=${encodeURIComponent('userName eq "taken@a.example"')}`],
      ['GET', `${a.base}/Users?filter=${encodeURIComponent('emails[value eq "taken@a.example"]')}`],
      ['GET', badFilter],
      ['GET', `${a.base}/Users?startIndex=x`],
      ['GET', `${a.base}/Users/${existing}`],
      ['GET', `${a.base}/Users/not-a-uuid`],
      ['GET', `${a.base}/Users/${randomUUID()}`],
      ['POST', `${a.base}/Users`, oktaUser('new@a.example')],
      ['POST', `${a.base}/Users`, oktaUser('taken@a.example')],
      ['POST', `${a.base}/Users`, '{"userName":'],
      ['POST', `${a.base}/Users`, 'userName=x', 'text/plain'],
      ['POST', `${a.base}/Users`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }],
      ['PUT', `${a.base}/Users/${existing}`, oktaUser('renamed@a.example')],
      ['PUT', `${a.base}/Users/not-a-uuid`, oktaUser('renamed@a.example')],
      ['PATCH', `${a.base}/Users/${existing}`, deactivate],
      ['PATCH', `${a.base}/Users/${existing}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove' }] }],
      ['PATCH', `${a.base}/Users/${randomUUID()}`, deactivate],
      // Not one of the statement-checked paths: the middleware's check.
      ['GET', `${a.base}/Users/`],
    ];
    for (const [method, path, body, type] of requests) {
      const label = `${method} ${path}`;
      for (const token of [null, 'not-a-scim-token', 'scim_0000000000000000.nope', wrongSecret(a.token)]) {
        const res = await scim(app, token, method, path, body, type);
        expect(res.status, `${label} with ${token}`).toBe(401);
        expectScimError(res, 401);
        expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
      }
      expectScimError(await scim(app, b.token, method, path, body, type), 404);
    }
    // Nothing of that was carried out.
    const users = await scim(app, a.token, 'GET', `${a.base}/Users`);
    expect(users.json.Resources.map((u: { userName: string; active: boolean }) => [u.userName, u.active])).toEqual([['taken@a.example', true]]);
  });

  it('with the right token, gives the errors and results it always gave', async () => {
    const { token, base } = await connected('Statement C');
    const created = await scim(app, token, 'POST', `${base}/Users`, oktaUser('Mixed.Case@c.example'));
    expect(created.status).toBe(201);
    expect(created.headers.get('Location')).toBe(created.json.meta.location);
    expectScimError(await scim(app, token, 'POST', `${base}/Users`, oktaUser('mixed.case@C.EXAMPLE')), 409, 'uniqueness');
    expectScimError(await scim(app, token, 'GET', `${base}/Users/not-a-uuid`), 404);
    expectScimError(await scim(app, token, 'GET', `${base}/Users/${randomUUID()}`), 404);
    expectScimError(await scim(app, token, 'PATCH', `${base}/Users/${randomUUID()}`, deactivate), 404);
    expectScimError(await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('nickName eq "x"')}`), 400, 'invalidFilter');

    const byName = await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq "MIXED.case@c.example"')}`);
    expect(byName.json).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(byName.json.Resources[0].id).toBe(created.json.id);
    const byId = await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent(`id eq "${created.json.id}"`)}`);
    expect(byId.json.Resources[0].userName).toBe('Mixed.Case@c.example');
    const nobody = await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq "nobody@c.example"')}`);
    expect(nobody.json).toMatchObject({ totalResults: 0, itemsPerPage: 0, Resources: [] });
    // Past the first page, or with count=0, the total still counts the match.
    const second = await scim(app, token, 'GET', `${base}/Users?startIndex=2&filter=${encodeURIComponent('userName eq "mixed.case@c.example"')}`);
    expect(second.json).toMatchObject({ totalResults: 1, startIndex: 2, itemsPerPage: 0 });
    const none = await scim(app, token, 'GET', `${base}/Users?count=0&filter=${encodeURIComponent('userName eq "mixed.case@c.example"')}`);
    expect(none.json).toMatchObject({ totalResults: 1, itemsPerPage: 0 });
    const projected = await scim(app, token, 'GET', `${base}/Users/${created.json.id}?attributes=userName`);
    expect(Object.keys(projected.json).sort()).toEqual(['id', 'schemas', 'userName']);

    const patched = await scim(app, token, 'PATCH', `${base}/Users/${created.json.id}`, deactivate);
    expect(patched.json).toMatchObject({ active: false, meta: { version: 'W/"2"' } });
    const replaced = await scim(app, token, 'PUT', `${base}/Users/${created.json.id}`, oktaUser('renamed@c.example'));
    expect(replaced.json).toMatchObject({ userName: 'renamed@c.example', active: true, meta: { version: 'W/"3"' } });
  });

  it('refuses a revoked token on the next request, on every instance of the database', async () => {
    const { company, token, base } = await connected('Statement D');
    const other = makeApp(handle);
    const user = (await scim(app, token, 'POST', `${base}/Users`, oktaUser('d@d.example'))).json.id as string;
    for (const instance of [app, other]) expect((await scim(instance, token, 'GET', `${base}/Users/${user}`)).status).toBe(200);
    const listed = await call(app, 'GET', `/api/companies/${company.id}/scim-tokens`, { token: company.key });
    expect((await call(other, 'DELETE', `/api/companies/${company.id}/scim-tokens/${listed.json.scimTokens[0].id}`, { token: company.key })).status).toBe(204);
    for (const instance of [app, other]) {
      expectScimError(await scim(instance, token, 'GET', `${base}/Users/${user}`), 401);
      expectScimError(await scim(instance, token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName eq "d@d.example"')}`), 401);
      expectScimError(await scim(instance, token, 'POST', `${base}/Users`, oktaUser('late@d.example')), 401);
      expectScimError(await scim(instance, token, 'PATCH', `${base}/Users/${user}`, deactivate), 401);
    }
    const fresh = await scimToken(app, company);
    const still = await scim(app, fresh.token, 'GET', `${base}/Users`);
    expect(still.json.Resources.map((u: { userName: string; active: boolean }) => [u.userName, u.active])).toEqual([['d@d.example', true]]);
  });
});
