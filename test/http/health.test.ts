import { describe, expect, it } from 'vitest';
import { call, makeApp } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';

describe('GET /healthz', () => {
  it('answers 503 in the error form when the database does not answer', async () => {
    const handle = await openTestDatabase();
    const app = makeApp(handle);
    expect((await call(app, 'GET', '/healthz')).status).toBe(200);
    await handle.close();
    const res = await call(app, 'GET', '/healthz');
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('database_unavailable');
  });
});
