/** The OpenAPI document describes every route the app serves. */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { Db } from '../../src/store/db.js';
import { testConfig } from '../support/app.js';

// The document is generated without touching the database.
const app = createApp({ config: testConfig, database: { kind: 'postgres', db: {} as Db }, log: null });

describe('GET /openapi.json', () => {
  it('lists every route with its method, responses and, for JSON bodies, the request schema', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['companyApiKey', 'operator']);

    const served = app.routes
      .filter((r) => r.method !== 'ALL' && r.path !== '/openapi.json')
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
    expect(invite.security).toEqual([{ companyApiKey: [] }]);
    expect(doc.paths['/api/operator/companies']!.post!.security).toEqual([{ operator: [] }]);
  });
});
