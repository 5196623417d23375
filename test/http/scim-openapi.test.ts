/**
 * The SCIM schemas of /openapi.json say what the SCIM routes really answer: real responses (users
 * with every kind of attribute, groups with members, list responses, discovery documents, errors) are
 * checked against the documented schema, and a key the document does not list is a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { makeApp, setupCompany } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { oktaUser, scim, scimToken } from '../support/scim.js';

type Schema = Record<string, any>;
let handle: DatabaseHandle;
let app: TestApp;
let doc: { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };
let token: string;
let base: string;

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => new Date('2026-06-01T09:00:00Z') });
  doc = (await (await app.request('/openapi.json')).json()) as typeof doc;
  const company = await setupCompany(app, 'Documented Co');
  ({ token, base } = await scimToken(app, company));
});
afterAll(async () => {
  await handle?.close();
});

function resolve(schema: Schema): Schema {
  return schema.$ref ? doc.components.schemas[String(schema.$ref).replace('#/components/schemas/', '')]! : schema;
}

/** Problems of `value` against a JSON Schema subset (type, required, properties, items, enum), as paths. */
function check(value: unknown, schema: Schema, path = '$'): string[] {
  const s = resolve(schema);
  const problems: string[] = [];
  const type = s.type as string | undefined;
  const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (type === 'integer' ? !Number.isInteger(value) : type !== undefined && type !== (actual === 'number' ? 'number' : actual)) {
    return [`${path}: ${actual}, documented ${type}`];
  }
  if (s.enum && !s.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  if (actual === 'array' && s.items) (value as unknown[]).forEach((item, i) => problems.push(...check(item, s.items, `${path}[${i}]`)));
  if (actual === 'object' && s.properties) {
    const object = value as Record<string, unknown>;
    for (const key of s.required ?? []) if (!(key in object)) problems.push(`${path}.${key}: required, missing`);
    for (const [key, item] of Object.entries(object)) {
      if (!(key in s.properties)) problems.push(`${path}.${key}: not in the document`);
      else problems.push(...check(item, s.properties[key], `${path}.${key}`));
    }
  }
  return problems;
}

/** The documented schema of a route's response (scim+json). */
function documented(method: string, path: string, status: number): Schema {
  const response = doc.paths[`/scim/v2/{companyId}${path}`]![method]!.responses[String(status)];
  return response.content['application/scim+json'].schema;
}

async function expectDocumented(method: string, path: string, realPath: string, status: number, body?: unknown) {
  const res = await scim(app, token, method.toUpperCase(), `${base}${realPath}`, body);
  expect(res.status, res.text).toBe(status);
  expect(check(res.json, documented(method, path, status)), `${method} ${realPath}`).toEqual([]);
  return res.json;
}

describe('SCIM responses match the OpenAPI document', () => {
  it('discovery: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
    await expectDocumented('get', '/ServiceProviderConfig', '/ServiceProviderConfig', 200);
    await expectDocumented('get', '/ResourceTypes', '/ResourceTypes', 200);
    await expectDocumented('get', '/ResourceTypes/{name}', '/ResourceTypes/User', 200);
    await expectDocumented('get', '/Schemas', '/Schemas', 200);
    await expectDocumented('get', '/Schemas/{id}', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', 200);
  });

  it('users with every kind of attribute, in and out of a list', async () => {
    const body = oktaUser('ada@documented.example', {
      nickName: 'Ada',
      title: 'Engineer',
      phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
      addresses: [{ streetAddress: '1 Main St', locality: 'Springfield', country: 'US', type: 'work', primary: true }],
      roles: [{ value: 'dev' }],
      x509Certificates: [{ value: 'MIIB' }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '42', department: 'R&D', manager: { value: 'boss' } },
    });
    const user = await expectDocumented('post', '/Users', '/Users', 201, body);
    await scim(app, token, 'POST', `${base}/Groups`, { displayName: 'Readers', members: [{ value: user.id }] });
    const got = await expectDocumented('get', '/Users/{id}', `/Users/${user.id}`, 200);
    expect(got['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].manager.value).toBe('boss');
    await expectDocumented('get', '/Users', '/Users?filter=userName%20eq%20%22ada@documented.example%22', 200);
    await expectDocumented('patch', '/Users/{id}', `/Users/${user.id}`, 200, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });
    await expectDocumented('put', '/Users/{id}', `/Users/${user.id}`, 200, { ...body, active: true });
  });

  it('groups with members, in and out of a list', async () => {
    const member = await scim(app, token, 'POST', `${base}/Users`, oktaUser('grace@documented.example'));
    const group = await expectDocumented('post', '/Groups', '/Groups', 201, { displayName: 'Writers', externalId: 'g-1', members: [{ value: member.json.id }] });
    await expectDocumented('get', '/Groups/{id}', `/Groups/${group.id}`, 200);
    await expectDocumented('get', '/Groups', '/Groups', 200);
    await expectDocumented('put', '/Groups/{id}', `/Groups/${group.id}`, 200, { displayName: 'Writers 2', members: [] });
  });

  it('errors: 400, 401, 404, 409 in the documented SCIM error form', async () => {
    await expectDocumented('post', '/Users', '/Users', 400, { userName: '' });
    await expectDocumented('post', '/Users', '/Users', 409, oktaUser('ada@documented.example'));
    await expectDocumented('get', '/Users/{id}', '/Users/nope', 404);
    await expectDocumented('get', '/Users', '/Users?filter=userName%20zz%20%22x%22', 400);
    const anonymous = await scim(app, null, 'GET', `${base}/Users`);
    expect(anonymous.status).toBe(401);
    expect(check(anonymous.json, documented('get', '/Users', 401))).toEqual([]);
  });
});
