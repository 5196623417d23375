/**
 * Rotating SESSION_SECRET with real restarts of `npm start` (issue 9, point 4), on PGlite (DATA_DIR)
 * and on PostgreSQL (DATABASE_URL) when available: the same data, four processes in turn.
 *   1. old secret: an SP encryption key is stored, a person signs in (encrypted response);
 *   2. new secret alone: metadata, login and signed unencrypted responses work, an encrypted one is
 *      503 sealed_key_unreadable, the old cookie is not accepted;
 *   3. new secret + SESSION_SECRET_PREVIOUS: encrypted responses work, the old cookie is accepted and
 *      re-issued, POST /api/operator/reseal re-seals the key;
 *   4. new secret alone again: encrypted responses and the re-issued cookie work.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asOperator, OPERATOR_TOKEN, setupCompany } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { availableBackends } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me, postAcs, PUBLIC_URL } from '../support/saml.js';
import type { Running } from '../support/server.js';
import { freePort, start, stop } from '../support/server.js';
import { createTestIdp, generateKeyPair } from '../support/test-idp.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The helpers of test/support speak to an app through `request`: here, over HTTP to the real server. */
function remote(server: Running): TestApp {
  return { request: (path: string, init?: RequestInit) => fetch(new URL(path, server.base), { ...init, redirect: 'manual' }) } as unknown as TestApp;
}

const secret = () => randomBytes(32).toString('base64url');

describe.each(availableBackends)('restarting with a new SESSION_SECRET (%s)', (backend) => {
  it('keeps SAML working, names the unreadable key, accepts old cookies with SESSION_SECRET_PREVIOUS, and reseals', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-rotation-'));
    dirs.push(dataDir);
    const port = await freePort();
    const [OLD, NEW] = [secret(), secret()];
    // PUBLIC_URL is the origin the test IdP signs for; requests go to 127.0.0.1 all the same.
    const base = {
      DEMO: 'off',
      LOG_LEVEL: 'silent',
      OPERATOR_TOKEN,
      PUBLIC_URL,
      DATA_DIR: dataDir,
      ...(backend === 'postgres' ? { DATABASE_URL: process.env.DATABASE_URL! } : {}),
    };
    const run = async (env: Record<string, string>, body: (app: TestApp) => Promise<void>) => {
      const server = await start({ ...base, ...env }, port);
      try {
        await body(remote(server));
      } finally {
        expect(await stop(server)).toBe(0);
      }
    };

    const idp = createTestIdp({ entityId: `https://idp.test/rotation-${backend}` });
    const spKeys = generateKeyPair('sp-rotation');
    const email = `ann.${backend}@decorumsoft.com`;
    let companyId = '';
    const unencrypted = () => idpInitiated(idp, companyId, email, new Date());
    const encrypted = () => idpInitiated(idp, companyId, email, new Date(), { encryptFor: { certificatePem: spKeys.certificatePem } });
    const samlWorksWithoutTheKey = async (app: TestApp) => {
      const metadata = await app.request(`/saml/${companyId}/metadata`);
      expect(metadata.status).toBe(200);
      expect(await metadata.text()).toContain('use="encryption"');
      expect((await app.request(`/saml/${companyId}/login`)).status).toBe(302);
      const plain = await postAcs(app, companyId, unencrypted());
      expect(plain.status, plain.html).toBe(303);
    };

    let oldCookie = '';
    await run({ SESSION_SECRET: OLD }, async (app) => {
      const company = await setupCompany(app, 'Rotation');
      companyId = company.id;
      await configureSaml(app, company, idp, { spEncryption: spKeys });
      await confirmedUser(app, company, email);
      const signedIn = await postAcs(app, companyId, encrypted());
      expect(signedIn.status, signedIn.html).toBe(303);
      oldCookie = signedIn.cookie!;
    });

    await run({ SESSION_SECRET: NEW }, async (app) => {
      await samlWorksWithoutTheKey(app);
      const refused = await postAcs(app, companyId, encrypted());
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.html).error).toMatchObject({ code: 'sealed_key_unreadable', message: expect.stringContaining('SESSION_SECRET_PREVIOUS') });
      expect((await me(app, oldCookie)).status).toBe(401);
    });

    let reissued = '';
    await run({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD }, async (app) => {
      await samlWorksWithoutTheKey(app);
      const res = await postAcs(app, companyId, encrypted());
      expect(res.status, res.html).toBe(303);
      const who = await me(app, oldCookie);
      expect(who.status).toBe(200);
      expect(who.json.user).toMatchObject({ email });
      reissued = who.headers.get('Set-Cookie')!.split(';')[0]!;
      expect(reissued).not.toBe(oldCookie);
      const resealed = await asOperator(app, 'POST', '/api/operator/reseal');
      expect(resealed.status, resealed.text).toBe(200);
      expect(resealed.json.resealed).toBe(1);
      expect(resealed.json.unreadable).not.toContain(companyId);
    });

    await run({ SESSION_SECRET: NEW }, async (app) => {
      await samlWorksWithoutTheKey(app);
      const res = await postAcs(app, companyId, encrypted());
      expect(res.status, res.html).toBe(303);
      expect((await me(app, reissued)).status).toBe(200);
    });
  }, 180_000);
});
