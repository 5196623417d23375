/**
 * The SQL translation of SCIM filters agrees with the reference in-memory evaluator of src/scim on
 * every backend: the same users come back for each filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { newId } from '../../src/crypto.js';
import { matchesFilter, parseFilter, parseUserInput, renderUser } from '../../src/scim/index.js';
import { insertCompany } from '../../src/store/companies.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { insertDirectoryGroup, insertDirectoryUser, pageDirectoryGroups, pageDirectoryUsers } from '../../src/store/directory.js';
import { filterToSql, groupFilterTarget, userFilterTarget } from '../../src/store/scim-filter-sql.js';
import { parseGroupInput, renderGroup } from '../../src/scim/group.js';
import { availableBackends, openTestDatabase } from '../support/db.js';

const people = [
  { userName: 'Ana@Example.com', active: true, name: { givenName: 'Ana', familyName: 'Lima' }, emails: [{ value: 'ana@example.com', type: 'work', primary: true }], externalId: 'A-1', title: 'Engineer' },
  { userName: 'bob@example.com', active: false, name: { givenName: 'Bob', familyName: 'Stone' }, emails: [{ value: 'bob@home.example', type: 'home' }, { value: 'bob@example.com', type: 'work' }], externalId: 'a-1' },
  { userName: 'carla', active: true, displayName: 'Carla Dias', emails: [], 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '007', department: 'Sales' } },
  { userName: 'dan%_@example.org', active: true, name: { familyName: 'O\'Neil' }, emails: [{ value: 'Dan@Example.org', type: 'work' }] },
  { userName: 'eve@example.com', active: true, title: '', externalId: null },
];

/**
 * One person or group a day from 2030-01-01 (created) and a day later modified, at millisecond
 * precision; the date filters below cut through that sequence with every operator and zone form.
 */
const createdAt = (i: number) => new Date(Date.UTC(2030, 0, 1 + i, 0, 0, 0, 250 + i));
const modifiedAt = (i: number) => new Date(createdAt(i).getTime() + 86_400_000);

const dateFilters = [
  `meta.created eq "${createdAt(2).toISOString()}"`,
  'meta.created eq "2030-01-03T00:00:00Z"',
  `meta.created ne "${createdAt(2).toISOString()}"`,
  'meta.created gt "2030-01-02T00:00:00Z"',
  `meta.created ge "${createdAt(1).toISOString()}"`,
  'meta.created lt "2030-01-03T00:00:00Z"',
  `meta.created le "${createdAt(3).toISOString()}"`,
  'meta.created gt "2030-01-03T01:00:00+02:00"',
  'meta.created pr',
  `meta.lastModified eq "${modifiedAt(0).toISOString()}"`,
  `meta.lastModified ne "${modifiedAt(4).toISOString()}"`,
  'meta.lastModified gt "2030-01-04T00:00:00Z"',
  `meta.lastModified ge "${modifiedAt(3).toISOString()}"`,
  'meta.lastModified lt "2030-01-04T00:00:00.000Z"',
  `meta.lastModified le "${modifiedAt(1).toISOString()}"`,
  'meta.lastModified pr',
  'meta.created ge "2030-01-02T00:00:00Z" and meta.lastModified lt "2030-01-05T00:00:00Z"',
  'not (meta.created gt "2030-01-02T00:00:00Z") or externalId pr',
];

const filters = [
  'userName eq "ana@example.com"',
  'userName eq "ANA@EXAMPLE.COM"',
  'userName ne "carla"',
  'userName co "example"',
  'userName sw "b"',
  'userName ew ".org"',
  'userName co "%_"',
  'externalId eq "A-1"',
  'externalId eq "a-1"',
  'externalId pr',
  'not (externalId pr)',
  'active eq false',
  'active eq true and userName sw "d"',
  'active eq false or displayName co "dias"',
  'emails.value eq "bob@example.com"',
  'emails eq "dan@example.org"',
  'emails[type eq "work" and value co "example.com"]',
  'emails[type eq "home"]',
  'emails[type eq "work" and value eq "BOB@example.com"]',
  'emails[type eq "home" and value eq "bob@example.com"]',
  'emails.value eq "DAN@example.org"',
  'emails[value eq "ana@example.com" or type eq "home"]',
  'not (emails.value eq "ana@example.com")',
  'emails pr',
  'name.familyName eq "o\'neil"',
  'name.givenName sw "a"',
  'title pr',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "007"',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "carla"',
  '(userName eq "carla" or userName eq "eve@example.com") and not (active eq false)',
  'userName gt "c"',
  'displayName pr',
  ...dateFilters,
];

describe.each(availableBackends)('SCIM filters in SQL on %s', (backend) => {
  let handle: DatabaseHandle;
  let companyId: string;
  const rendered: Record<string, unknown>[] = [];

  beforeAll(async () => {
    handle = await openTestDatabase(backend);
    companyId = (await insertCompany(handle.db, { id: newId('cmp'), name: 'Filters' })).id;
    for (const [i, person] of people.entries()) {
      const at = createdAt(i);
      const modified = modifiedAt(i);
      const data = parseUserInput(person);
      const row = await insertDirectoryUser(handle.db, {
        id: randomUUID(),
        companyId,
        userName: data.userName,
        userNameLower: data.userName.toLowerCase(),
        externalId: data.externalId,
        active: data.active,
        displayName: data.displayName,
        attributes: data.attributes,
        createdAt: at,
        updatedAt: modified,
      });
      rendered.push(renderUser(row.id, data, { created: at, lastModified: modified, version: '1', location: `/Users/${row.id}` }));
    }
  });
  afterAll(async () => {
    await handle?.close();
  });

  it.each(filters)('%s', async (text) => {
    const filter = parseFilter(text);
    const expected = rendered.filter((r) => matchesFilter(r, filter)).map((r) => r.userName).sort();
    const page = await pageDirectoryUsers(handle.db, companyId, filterToSql(filter, userFilterTarget), { offset: 0, limit: 100 });
    expect(page.rows.map((r) => r.userName).sort()).toEqual(expected);
    expect(page.total).toBe(expected.length);
  });

  it('the filters above are not trivial: together they select different sets', () => {
    const sets = new Set(filters.map((f) => rendered.filter((r) => matchesFilter(r, parseFilter(f))).length));
    expect(sets.size).toBeGreaterThan(3);
  });
});

const groupFilters = [
  'displayName eq "sales"',
  'displayName sw "e"',
  'externalId pr',
  ...dateFilters,
];

describe.each(availableBackends)('SCIM group filters in SQL on %s', (backend) => {
  let handle: DatabaseHandle;
  let companyId: string;
  const rendered: Record<string, unknown>[] = [];

  beforeAll(async () => {
    handle = await openTestDatabase(backend);
    companyId = (await insertCompany(handle.db, { id: newId('cmp'), name: 'Group filters' })).id;
    const groups = ['Sales', 'Engineering', 'Everyone', 'Support', 'Legal'];
    for (const [i, displayName] of groups.entries()) {
      const data = parseGroupInput({ displayName, ...(i % 2 === 0 ? { externalId: `g-${i}` } : {}) });
      const row = await insertDirectoryGroup(handle.db, {
        id: randomUUID(),
        companyId,
        displayName: data.displayName,
        displayNameLower: data.displayName.toLowerCase(),
        externalId: data.externalId,
        createdAt: createdAt(i),
        updatedAt: modifiedAt(i),
      });
      rendered.push(renderGroup(row.id, data, { created: createdAt(i), lastModified: modifiedAt(i), version: '1', location: `/Groups/${row.id}` }));
    }
  });
  afterAll(async () => {
    await handle?.close();
  });

  it.each(groupFilters)('%s', async (text) => {
    const filter = parseFilter(text);
    const expected = rendered.filter((r) => matchesFilter(r, filter)).map((r) => r.displayName).sort();
    const page = await pageDirectoryGroups(handle.db, companyId, filterToSql(filter, groupFilterTarget), { offset: 0, limit: 100 });
    expect(page.rows.map((r) => r.displayName).sort()).toEqual(expected);
    expect(page.total).toBe(expected.length);
  });

  it('the date filters select different sets', () => {
    const sizes = new Set(dateFilters.map((f) => rendered.filter((r) => matchesFilter(r, parseFilter(f))).length));
    expect(sizes.size).toBeGreaterThan(3);
  });
});
