/**
 * The README's "verify a webhook in 5 lines" block, run as written: a hono app around it receives a
 * real delivery from the bridge (verified by the standardwebhooks library) and refuses a forged one.
 */
import { describe, expect, it } from 'vitest';
import { serviceDeps } from '../../src/app.js';
import { dispatchWebhooks } from '../../src/services/webhook-delivery.js';
import { call, makeApp, setupCompany, testConfig } from '../support/app.js';
import { openIsolatedTestDatabase } from '../support/db.js';

describe("the README's webhook receiver", () => {
  it('runs as written: a real delivery is verified and handled, a forged one is a 400', async () => {
    const { readFile, writeFile, mkdir, rm } = await import('node:fs/promises');
    const { serve } = await import('@hono/node-server');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /Verify a webhook in 5 lines[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'the README block').toBeTruthy();
    expect(block!.trim().split("\n")).toHaveLength(5);
    // The block as a module: what it assumes (an app, a handler, the secret) is provided around it.
    const dir = new URL('../../node_modules/.cache/readme-webhook/', import.meta.url);
    await mkdir(dir, { recursive: true });
    const file = new URL(`receiver-${process.pid}-${Date.now()}.mjs`, dir);
    await writeFile(
      file,
      `import { Hono } from 'hono';\nimport { Webhook } from 'standardwebhooks';\nconst app = new Hono();\nconst handle = (event) => globalThis.readmeHandled.push(event);\n${block}\nexport default app;\n`,
    );
    const handled: { id: string; type: string }[] = [];
    (globalThis as { readmeHandled?: unknown }).readmeHandled = handled;
    const handle = await openIsolatedTestDatabase('pglite');
    const receiverApp = { fetch: null as unknown as (r: Request) => Response | Promise<Response> };
    try {
      const app = makeApp(handle);
      const company = await setupCompany(app, 'Readme Receiver');
      // The secret comes from the create response; the endpoint's URL is the receiver's, known once it listens.
      const server = serve({ fetch: (r) => receiverApp.fetch(r), port: 0, hostname: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      const port = (server.address() as { port: number }).port;
      const created = await call(app, 'POST', `/api/companies/${company.id}/webhooks`, { token: company.key, body: { url: `http://127.0.0.1:${port}/webhooks/bridge`, eventTypes: ['user.provisioned'] } });
      expect(created.status).toBe(201);
      process.env.WEBHOOK_SECRET = created.json.secret;
      const mod = (await import(file.href)) as { default: { fetch: (r: Request) => Response | Promise<Response> } };
      receiverApp.fetch = (r) => mod.default.fetch(r);
      await call(app, 'POST', `/api/companies/${company.id}/users`, {
        token: company.key,
        body: { email: 'readme@receiver.example', workspaceId: company.workspaceId, permissionSetId: company.permissionSetId },
      });
      const report = await dispatchWebhooks(serviceDeps(testConfig, handle.db, () => new Date()), { budgetMs: 5_000 });
      expect(report).toMatchObject({ delivered: 1, failed: 0 });
      expect(handled.map((e) => e.type)).toEqual(['user.provisioned']);
      const forged = await fetch(`http://127.0.0.1:${port}/webhooks/bridge`, {
        method: 'POST',
        headers: { 'webhook-id': 'ev_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,Zm9yZ2Vk' },
        body: '{"type":"user.provisioned"}',
      });
      expect(forged.status).toBe(400);
      expect(handled).toHaveLength(1);
      server.close();
    } finally {
      delete process.env.WEBHOOK_SECRET;
      await rm(file, { force: true });
      await handle.close();
    }
  });
});
