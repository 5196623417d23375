/** The OpenAPI document describes every route the app serves. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { Db } from '../../src/store/db.js';
import { testConfig } from '../support/app.js';

// The document is generated without touching the database.
const app = createApp({ config: testConfig, database: { kind: 'postgres', db: {} as Db }, log: null });

interface Operation {
  operationId?: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
  security?: unknown[];
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, Record<string, any>> };
}

let doc: Doc;
beforeAll(async () => {
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
function operations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => [`${method} ${path}`, operation] as [string, Operation]),
  );
}

/** Follows one local `$ref` (`#/components/schemas/Name`). */
function deref(schema: unknown): Record<string, any> {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  if (ref === undefined) return schema as Record<string, any>;
  const name = ref.replace('#/components/schemas/', '');
  const target = doc.components.schemas[name];
  expect(target, ref).toBeDefined();
  return target!;
}

describe('GET /openapi.json', () => {
  it('lists every route with its method, responses and, for JSON bodies, the request schema', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['companyApiKey', 'oauthClientBasic', 'oidcAccessToken', 'operator', 'scimToken', 'session']);

    const served = app.routes
      // Static files (the /docs script) are no API operations: hono-openapi leaves them out.
      .filter((r) => r.method !== 'ALL' && r.path !== '/openapi.json' && !/\.\w+$/.test(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(15);
    for (const route of new Set(served)) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = doc.paths[path]?.[method];
      expect(operation, route).toBeDefined();
      expect(Object.keys(operation!.responses).length, route).toBeGreaterThan(0);
    }
    const invite = doc.paths['/api/companies/{companyId}/users']!.post!;
    expect(JSON.stringify(invite.requestBody)).toContain('permissionSetId');
    // A company API key, or the session of a signed-in admin (the admin page uses the same API).
    expect(invite.security).toEqual([{ companyApiKey: [] }, { session: [] }]);
    expect(doc.paths['/api/operator/companies']!.post!.security).toEqual([{ operator: [] }]);
  });

  it('describes the security schemes: the SCIM token, the session cookie, the operator token and API keys', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.scimToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: '__Host-bridge_session' });
    expect(schemes.operator).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.companyApiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/me']!.get!.security).toEqual([{ session: [] }]);
    expect(doc.paths['/admin']!.get!.security).toEqual([{ session: [] }]);
  });

  it('puts every SCIM operation behind the scimToken scheme, with application/scim+json bodies', () => {
    const scim = operations().filter(([route]) => route.split(' ')[1]!.startsWith('/scim/v2/'));
    expect(scim.length).toBe(17);
    for (const [route, operation] of scim) {
      expect(operation.security, route).toEqual([{ scimToken: [] }]);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status === '204') continue;
        expect(Object.keys(response.content ?? {}), `${route} ${status}`).toEqual(['application/scim+json']);
        if (Number(status) >= 400) expect(deref(response.content!['application/scim+json']!.schema).properties.scimType, `${route} ${status}`).toBeDefined();
      }
      if (operation.requestBody) expect(Object.keys(operation.requestBody.content ?? {})[0], route).toBe('application/scim+json');
    }
  });

  it('gives POST /Users a User schema with userName, and PATCH a PatchOp with Operations', () => {
    const create = doc.paths['/scim/v2/{companyId}/Users']!.post!;
    const user = deref(create.requestBody!.content!['application/scim+json']!.schema);
    expect(user.required).toContain('userName');
    expect(user.properties.userName.type).toBe('string');
    expect(user.properties.emails.type).toBe('array');
    expect(user.properties.id.readOnly).toBe(true);
    expect(user.properties['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']).toBeDefined();
    expect(deref(create.responses['201']!.content!['application/scim+json']!.schema)).toBe(user);

    for (const path of ['/scim/v2/{companyId}/Users/{id}', '/scim/v2/{companyId}/Groups/{id}']) {
      const patch = deref(doc.paths[path]!.patch!.requestBody!.content!['application/scim+json']!.schema);
      expect(patch.required, path).toEqual(['Operations']);
      expect(patch.properties.Operations.items.properties.op.enum).toEqual(['add', 'replace', 'remove']);
    }
    const list = deref(doc.paths['/scim/v2/{companyId}/Users']!.get!.responses['200']!.content!['application/scim+json']!.schema);
    expect(list.required).toContain('Resources');
    expect(deref(list.properties.Resources.items)).toBe(user);
    const group = deref(doc.paths['/scim/v2/{companyId}/Groups']!.post!.requestBody!.content!['application/scim+json']!.schema);
    expect(group.required).toEqual(['displayName']);
    expect(group.properties.members.items.properties.value.type).toBe('string');
  });

  it('describes the ACS as the SAML HTTP-POST form: SAMLResponse required, RelayState optional', () => {
    const acs = doc.paths['/saml/{connectionId}/acs']!.post!;
    const form = acs.requestBody!.content!['application/x-www-form-urlencoded']!.schema!;
    expect(form.required).toEqual(['SAMLResponse']);
    expect(Object.keys(form.properties as object).sort()).toEqual(['RelayState', 'SAMLResponse']);
    expect(Object.keys(acs.responses)).toEqual(expect.arrayContaining(['303', '400', '403']));
  });

  it('gives every operation a unique operationId and at least one 4xx response', () => {
    const all = operations();
    const ids = all.map(([, operation]) => operation.operationId);
    for (const [route, operation] of all) {
      expect(operation.operationId, route).toMatch(/^[a-z][A-Za-z]+$/);
      expect(Object.keys(operation.responses).some((status) => /^4\d\d$/.test(status)), `${route} has a 4xx`).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['scimCreateUser', 'listCompanyUsers', 'samlAssertionConsumerService', 'showApiReference']));
  });
});

describe('the OpenID provider in the document', () => {
  it('documents the authorization request parameters, PKCE required, and the client and access-token schemes', () => {
    const authorize = doc.paths['/oauth/authorize']!.get! as Operation & { parameters?: { name: string; in: string; required: boolean }[] };
    const required = (authorize.parameters ?? []).filter((p) => p.in === 'query' && p.required).map((p) => p.name);
    expect(required).toEqual(expect.arrayContaining(['client_id', 'redirect_uri', 'response_type', 'scope', 'code_challenge', 'code_challenge_method']));
    expect(doc.paths['/oauth/token']!.post!.security).toEqual([{ oauthClientBasic: [] }, {}]);
    expect(doc.paths['/oauth/userinfo']!.get!.security).toEqual([{ oidcAccessToken: [] }]);
    expect(doc.paths['/api/operator/applications']!.post!.security).toEqual([{ operator: [] }]);
  });
});
