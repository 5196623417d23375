/**
 * The operator's OIDC routes over app.request, on PGlite and (with DATABASE_URL) Postgres: applications
 * (CRUD, the client secret shown once and stored hashed, rotation with two live secrets, the single
 * default, every URI rule in development and production), the signing key rotation, and the reseal of
 * the signing keys after a SESSION_SECRET rotation. Real crypto throughout (jose, node:crypto).
 */
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { exportJWK, generateKeyPair, jwtVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDeps } from '../../src/app.js';
import { newId, seal, unseal } from '../../src/crypto.js';
import { publishedJwks, signJwt } from '../../src/services/oidc-keys.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { authenticateApplication, findDefaultApplication } from '../../src/store/oidc-applications.js';
import { auditEvents, oidcSigningKeys } from '../../src/store/schema.js';
import { asOperator, call, makeApp, testConfig } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { openIsolatedTestDatabase } from '../support/db.js';

let handle: DatabaseHandle;
let app: TestApp;
let production: TestApp;
beforeAll(async () => {
  // A database of its own: the default application it sets decides where every company's IdP-initiated sign-ins go.
  handle = await openIsolatedTestDatabase();
  app = makeApp(handle);
  production = makeApp(handle, { config: { production: true } });
});
const insertedKeys: string[] = [];
afterAll(async () => {
  for (const kid of insertedKeys) await handle?.db.delete(oidcSigningKeys).where(eq(oidcSigningKeys.id, kid));
  await handle?.close();
});

const CB = 'https://app.example.com/callback';
const UNKNOWN = 'app_0000000000000000';

async function register(body: Record<string, unknown> = {}, on: TestApp = app) {
  const res = await asOperator(on, 'POST', '/api/operator/applications', { body: { name: 'Dashboard', redirectUris: [CB], ...body } });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; clientSecret: string; secrets: { id: string }[]; isDefault: boolean };
}

const audit = (targetId: string) =>
  handle.db.select().from(auditEvents).where(and(eq(auditEvents.targetId, targetId), eq(auditEvents.targetType, 'oidc_application'))).orderBy(auditEvents.seq);

describe('operator authentication', () => {
  it.each([
    ['POST', '/api/operator/applications'],
    ['GET', '/api/operator/applications'],
    ['GET', `/api/operator/applications/${UNKNOWN}`],
    ['PATCH', `/api/operator/applications/${UNKNOWN}`],
    ['DELETE', `/api/operator/applications/${UNKNOWN}`],
    ['POST', `/api/operator/applications/${UNKNOWN}/secrets`],
    ['DELETE', `/api/operator/applications/${UNKNOWN}/secrets/sec_0000000000000000`],
    ['POST', '/api/operator/oidc/signing-keys/rotate'],
  ])('%s %s without the operator token is 401', async (method, path) => {
    for (const token of [null, 'x'.repeat(44)]) {
      const res = await call(app, method, path, { token, ...(method === 'POST' || method === 'PATCH' ? { body: { name: 'X', redirectUris: [CB] } } : {}) });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('unauthorized');
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    }
  });
});

describe('applications', () => {
  it('creates (201, secret shown once), lists and gets without secrets, patches, deletes, audits every write', async () => {
    const res = await asOperator(app, 'POST', '/api/operator/applications', {
      headers: { 'X-Operator-Name': 'ann@support' },
      body: { name: '  Dashboard  ', redirectUris: [CB, 'https://app.example.com/cb2?x=1'], postLogoutRedirectUris: ['https://app.example.com/'], initiateLoginUri: 'https://app.example.com/login' },
    });
    expect(res.status, res.text).toBe(201);
    const created = res.json;
    expect(created.id).toMatch(/^app_[0-9a-z]{16}$/);
    expect(created).toMatchObject({
      clientId: created.id,
      name: 'Dashboard',
      redirectUris: [CB, 'https://app.example.com/cb2?x=1'],
      postLogoutRedirectUris: ['https://app.example.com/'],
      initiateLoginUri: 'https://app.example.com/login',
      backchannelLogoutUri: null,
      isDefault: false,
    });
    expect(created.clientSecret).toMatch(/^[\w-]{43}$/);
    expect(created.secrets).toEqual([{ id: expect.stringMatching(/^sec_/), createdAt: created.createdAt }]);
    expect(await authenticateApplication(handle.db, created.id, created.clientSecret)).toMatchObject({ id: created.id });

    // Never again: neither the secret nor its hash is in any later answer.
    const list = await asOperator(app, 'GET', '/api/operator/applications');
    expect(list.status).toBe(200);
    const listed = list.json.applications.find((a: { id: string }) => a.id === created.id);
    const { clientSecret, ...withoutSecret } = created;
    expect(listed).toEqual(withoutSecret);
    const one = await asOperator(app, 'GET', `/api/operator/applications/${created.id}`);
    expect(one.json).toEqual(withoutSecret);
    for (const text of [list.text, one.text]) {
      expect(text).not.toContain(clientSecret);
      expect(text).not.toContain('hash');
    }

    const patched = await asOperator(app, 'PATCH', `/api/operator/applications/${created.id}`, {
      body: { name: 'Dashboard 2', initiateLoginUri: null, postLogoutRedirectUris: null, backchannelLogoutUri: 'https://app.example.com/bcl' },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ name: 'Dashboard 2', initiateLoginUri: null, postLogoutRedirectUris: [], backchannelLogoutUri: 'https://app.example.com/bcl', redirectUris: created.redirectUris });
    expect(patched.text).not.toContain(clientSecret);
    // The same values again change nothing: no write, no audit event.
    expect((await asOperator(app, 'PATCH', `/api/operator/applications/${created.id}`, { body: { name: 'Dashboard 2' } })).status).toBe(200);

    expect((await asOperator(app, 'DELETE', `/api/operator/applications/${created.id}`)).status).toBe(204);
    expect((await asOperator(app, 'GET', `/api/operator/applications/${created.id}`)).status).toBe(404);
    expect(await authenticateApplication(handle.db, created.id, clientSecret)).toBeNull();

    const events = await audit(created.id);
    expect(events.map((e) => [e.action, e.data])).toEqual([
      ['oidc_application.created', { name: 'Dashboard', fields: ['name', 'redirectUris', 'postLogoutRedirectUris', 'initiateLoginUri'] }],
      ['oidc_application.updated', { fields: ['name', 'postLogoutRedirectUris', 'initiateLoginUri', 'backchannelLogoutUri'] }],
      ['oidc_application.deleted', { name: 'Dashboard 2' }],
    ]);
    expect(events.every((e) => e.companyId === null && e.actorType === 'operator')).toBe(true);
    expect(events[0]!.actorId).toBe('ann@support');
    expect(JSON.stringify(events)).not.toContain(clientSecret);
  });

  it('rotates the client secret: two live secrets both authenticate, a third is 409, the old one removed no longer does', async () => {
    const created = await register();
    const oldSecretId = created.secrets[0]!.id;
    const added = await asOperator(app, 'POST', `/api/operator/applications/${created.id}/secrets`);
    expect(added.status, added.text).toBe(201);
    expect(added.json.secretId).toMatch(/^sec_/);
    const newSecret = added.json.clientSecret as string;
    expect(newSecret).not.toBe(created.clientSecret);
    for (const secret of [created.clientSecret, newSecret]) expect(await authenticateApplication(handle.db, created.id, secret)).not.toBeNull();
    expect(await authenticateApplication(handle.db, created.id, 'wrong')).toBeNull();

    const listed = await asOperator(app, 'GET', `/api/operator/applications/${created.id}`);
    expect(listed.json.secrets.map((s: { id: string }) => s.id)).toEqual([oldSecretId, added.json.secretId]);
    expect(listed.text).not.toContain(newSecret);

    const third = await asOperator(app, 'POST', `/api/operator/applications/${created.id}/secrets`);
    expect(third.status).toBe(409);
    expect(third.json.error.code).toBe('too_many_client_secrets');

    expect((await asOperator(app, 'DELETE', `/api/operator/applications/${created.id}/secrets/${oldSecretId}`)).status).toBe(204);
    expect(await authenticateApplication(handle.db, created.id, created.clientSecret)).toBeNull();
    expect(await authenticateApplication(handle.db, created.id, newSecret)).not.toBeNull();

    const again = await asOperator(app, 'DELETE', `/api/operator/applications/${created.id}/secrets/${oldSecretId}`);
    expect([again.status, again.json.error.code]).toEqual([404, 'client_secret_not_found']);
    const last = await asOperator(app, 'DELETE', `/api/operator/applications/${created.id}/secrets/${added.json.secretId}`);
    expect([last.status, last.json.error.code]).toEqual([409, 'last_client_secret']);
    expect(await authenticateApplication(handle.db, created.id, newSecret)).not.toBeNull();

    const events = await audit(created.id);
    expect(events.map((e) => [e.action, e.data])).toEqual([
      ['oidc_application.created', { name: 'Dashboard', fields: ['name', 'redirectUris'] }],
      ['oidc_application.secret_added', { secretId: added.json.secretId }],
      ['oidc_application.secret_removed', { secretId: oldSecretId }],
    ]);
    expect(JSON.stringify(events)).not.toContain(newSecret);
  });

  it('keeps at most one default: marking one takes the mark off the other, audited on both, also when two race', async () => {
    const a = await register({ name: 'A', isDefault: true });
    expect((await findDefaultApplication(handle.db))?.id).toBe(a.id);
    const b = await register({ name: 'B', isDefault: true });
    expect((await findDefaultApplication(handle.db))?.id).toBe(b.id);
    expect((await asOperator(app, 'GET', `/api/operator/applications/${a.id}`)).json.isDefault).toBe(false);

    const back = await asOperator(app, 'PATCH', `/api/operator/applications/${a.id}`, { body: { isDefault: true } });
    expect(back.json.isDefault).toBe(true);
    expect((await asOperator(app, 'GET', `/api/operator/applications/${b.id}`)).json.isDefault).toBe(false);
    expect((await audit(b.id)).map((e) => [e.action, e.data])).toEqual([
      ['oidc_application.created', { name: 'B', fields: ['name', 'redirectUris', 'isDefault'] }],
      ['oidc_application.updated', { fields: ['isDefault'], defaultMovedTo: a.id }],
    ]);

    const off = await asOperator(app, 'PATCH', `/api/operator/applications/${a.id}`, { body: { isDefault: false } });
    expect(off.json.isDefault).toBe(false);
    // Two operators at once, neither seeing the other's uncommitted mark (concurrent transactions on
    // Postgres): the unique index refuses the second commit, which runs again; one default remains.
    const raced = await Promise.all([a, b].map((x) => asOperator(app, 'PATCH', `/api/operator/applications/${x.id}`, { body: { isDefault: true } })));
    expect(raced.map((r) => r.status)).toEqual([200, 200]);
    const flags = await Promise.all([a, b].map(async (x) => (await asOperator(app, 'GET', `/api/operator/applications/${x.id}`)).json.isDefault));
    expect(flags.filter(Boolean)).toHaveLength(1);

    for (const x of [a, b]) expect((await asOperator(app, 'DELETE', `/api/operator/applications/${x.id}`)).status).toBe(204);
  });

  it('answers 404 for an unknown or malformed id on every route', async () => {
    for (const id of [UNKNOWN, 'nope']) {
      for (const [method, path, body] of [
        ['GET', `/api/operator/applications/${id}`],
        ['PATCH', `/api/operator/applications/${id}`, { name: 'X' }],
        ['DELETE', `/api/operator/applications/${id}`],
        ['POST', `/api/operator/applications/${id}/secrets`],
        ['DELETE', `/api/operator/applications/${id}/secrets/sec_0000000000000000`],
      ] as [string, string, Record<string, unknown>?][]) {
        const res = await asOperator(app, method, path, body ? { body } : {});
        expect([res.status, res.json.error.code], `${method} ${path}`).toEqual([404, 'application_not_found']);
      }
    }
  });
});

describe('input rules', () => {
  const long = `https://app.example.com/${'a'.repeat(1990)}`;
  it.each([
    ['http to another host', { redirectUris: ['http://app.example.com/cb'] }, 'invalid_redirect_uris', 'https'],
    ['a fragment', { redirectUris: [`${CB}#x`] }, 'invalid_redirect_uris', 'fragment'],
    ['an empty fragment', { redirectUris: [`${CB}#`] }, 'invalid_redirect_uris', 'fragment'],
    ['a relative URI', { redirectUris: ['/callback'] }, 'invalid_redirect_uris', 'absolute'],
    ['no scheme', { redirectUris: ['app.example.com/callback'] }, 'invalid_redirect_uris', 'absolute'],
    ['userinfo', { redirectUris: ['https://ann:pw@app.example.com/cb'] }, 'invalid_redirect_uris', 'user name'],
    ['an empty userinfo', { redirectUris: ['https://@app.example.com/cb'] }, 'invalid_redirect_uris', 'user name'],
    ['a custom scheme', { redirectUris: ['javascript:alert(1)'] }, 'invalid_redirect_uris', 'https'],
    ['whitespace', { redirectUris: ['https://app.example.com/c b'] }, 'invalid_redirect_uris', 'whitespace'],
    ['over 2000 characters', { redirectUris: [long] }, 'invalid_redirect_uris', '2000'],
    ['no redirect URI', { redirectUris: [] }, 'invalid_redirect_uris', '1 to 20'],
    ['21 redirect URIs', { redirectUris: Array.from({ length: 21 }, (_, i) => `${CB}${i}`) }, 'invalid_redirect_uris', '1 to 20'],
    ['a duplicate', { redirectUris: [CB, CB] }, 'invalid_redirect_uris', 'twice'],
    ['an http post-logout URI', { postLogoutRedirectUris: ['http://app.example.com/'] }, 'invalid_post_logout_redirect_uris', 'postLogoutRedirectUris[0]'],
    ['a relative initiate-login URI', { initiateLoginUri: 'login' }, 'invalid_initiate_login_uri', 'initiateLoginUri'],
    ['a back-channel URI with a fragment', { backchannelLogoutUri: 'https://app.example.com/bcl#x' }, 'invalid_backchannel_logout_uri', 'backchannelLogoutUri'],
    ['a lookalike of localhost', { redirectUris: ['http://localhost.example.com/cb'] }, 'invalid_redirect_uris', 'https'],
  ])('refuses %s with 400 naming the field', async (_label, fields, code, inMessage) => {
    const res = await asOperator(app, 'POST', '/api/operator/applications', { body: { name: 'Bad', redirectUris: [CB], ...fields } });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toContain(inMessage);
  });

  it('allows http://localhost and http://127.0.0.1 in development only; https://localhost everywhere', async () => {
    const loopback = { redirectUris: ['http://localhost:3000/cb', 'http://127.0.0.1/cb'], backchannelLogoutUri: 'http://localhost/bcl' };
    const dev = await register(loopback);
    expect((await asOperator(production, 'POST', '/api/operator/applications', { body: { name: 'P', redirectUris: ['http://localhost:3000/cb'] } })).json.error).toMatchObject({
      code: 'invalid_redirect_uris',
      message: expect.stringContaining('only in development'),
    });
    const bcl = await asOperator(production, 'PATCH', `/api/operator/applications/${dev.id}`, { body: { backchannelLogoutUri: 'http://127.0.0.1:9000/bcl' } });
    expect([bcl.status, bcl.json.error.code]).toEqual([400, 'invalid_backchannel_logout_uri']);
    await register({ redirectUris: ['https://localhost:8443/cb'] }, production);
  });

  it('checks a PATCH the same way and leaves the application unchanged when it is refused', async () => {
    const created = await register();
    const res = await asOperator(app, 'PATCH', `/api/operator/applications/${created.id}`, { body: { name: 'Renamed', redirectUris: [`${CB}#frag`] } });
    expect([res.status, res.json.error.code]).toEqual([400, 'invalid_redirect_uris']);
    expect((await asOperator(app, 'GET', `/api/operator/applications/${created.id}`)).json.name).toBe('Dashboard');
    const empty = await asOperator(app, 'PATCH', `/api/operator/applications/${created.id}`, { body: {} });
    expect([empty.status, empty.json.error.code]).toEqual([400, 'nothing_to_change']);
  });

  it.each([
    ['an empty name', { name: '   ' }, 'invalid_request', 'name'],
    ['a long name', { name: 'x'.repeat(201) }, 'invalid_request', 'name'],
    // C0 controls are refused at the door for every API body; DEL by the name rule itself.
    ['a control character', { name: 'a\u0007b' }, 'invalid_characters', 'name'],
    ['a DEL character', { name: 'a\u007fb' }, 'invalid_request', 'control characters'],
    ['a lone surrogate', '{"name":"a\\ud800b","redirectUris":["https://app.example.com/callback"]}', 'invalid_characters', 'name'],
    ['a NUL', '{"name":"a\\u0000b","redirectUris":["https://app.example.com/callback"]}', 'invalid_request', 'NUL'],
    ['an unknown field', { clientSecret: 'mine' }, 'invalid_request', 'clientSecret'],
    ['a redirect URI that is no string', { redirectUris: [42] }, 'invalid_request', 'redirectUris'],
    ['a non-boolean isDefault', { isDefault: 'yes' }, 'invalid_request', 'isDefault'],
  ])('refuses %s with 400', async (_label, body, code, inMessage) => {
    const res = await asOperator(app, 'POST', '/api/operator/applications', { body: typeof body === 'string' ? body : { name: 'N', redirectUris: [CB], ...body } });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toContain(inMessage);
  });
});

// The signing keys are shared by every test file on one Postgres database: this file's keys activate
// decades ahead (a distinct instant each run), so the keys other files sign with now are untouched.
const FUTURE = new Date(Date.now() + 50 * 365 * 86_400_000);
const depsAt = (at: Date, config: Partial<typeof testConfig> = {}) => serviceDeps({ ...testConfig, ...config }, handle.db, () => at);

describe('POST /api/operator/oidc/signing-keys/rotate', () => {
  it('publishes the next key at once, signs with it from activatesAt, and keeps the replaced keys until retiresAt', async () => {
    const before = await signJwt(depsAt(FUTURE), { sub: 'before' });
    const oldKid = decodeProtectedHeader(before).kid!;
    const rotating = makeApp(handle, { now: () => FUTURE });
    const res = await asOperator(rotating, 'POST', '/api/operator/oidc/signing-keys/rotate');
    expect(res.status, res.text).toBe(200);
    const activatesAt = new Date(FUTURE.getTime() + 600_000);
    const retiresAt = new Date(activatesAt.getTime() + 3600_000).toISOString();
    expect(res.json).toMatchObject({ kid: expect.stringMatching(/^kid_/), activatesAt: activatesAt.toISOString() });
    expect(res.json.retiring).toContainEqual({ kid: oldKid, retiresAt });

    const jwks = await publishedJwks(depsAt(FUTURE));
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, res.json.kid]));
    const [old] = await handle.db.select().from(oidcSigningKeys).where(eq(oidcSigningKeys.id, oldKid));
    expect(old!.retiresAt?.toISOString()).toBe(retiresAt);
    // Until activatesAt the old key signs, then the new one; both verify against the published set.
    expect(decodeProtectedHeader(await signJwt(depsAt(FUTURE), {})).kid).toBe(oldKid);
    const after = await signJwt(depsAt(new Date(activatesAt.getTime() + 1000)), { sub: 'after' });
    expect(decodeProtectedHeader(after).kid).toBe(res.json.kid);
    for (const token of [before, after]) await jwtVerify(token, createLocalJWKSet(jwks), { currentDate: FUTURE });
    // After retiresAt the old key has left the JWKS.
    const later = await publishedJwks(depsAt(new Date(Date.parse(retiresAt) + 1000)));
    expect(later.keys.map((k) => k.kid)).not.toContain(oldKid);

    const [event] = await handle.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'oidc.signing_key_rotated'), eq(auditEvents.targetId, res.json.kid)));
    expect(event).toMatchObject({ companyId: null, actorType: 'operator', targetType: 'oidc_signing_key' });
  });
});

describe('POST /api/operator/reseal and the signing keys', () => {
  it('re-seals a signing key a previous SESSION_SECRET sealed; a key no secret opens is reported and left alone', async () => {
    const [OLD, NEW, LOST] = [0, 1, 2].map(() => randomBytes(32).toString('base64url')) as [string, string, string];
    const activatesAt = new Date(FUTURE.getTime() + 365 * 86_400_000);
    const keyFor = async (secret: string, at: Date) => {
      const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
      const kid = newId('kid');
      const sealed = seal(JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'RS256' }), secret, 'oidc-signing-key');
      await handle.db.insert(oidcSigningKeys).values({ id: kid, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, privateKeySealed: sealed, activatesAt: at });
      insertedKeys.push(kid);
      return { kid, sealed };
    };
    const mine = await keyFor(OLD, activatesAt);
    const lost = await keyFor(LOST, new Date(activatesAt.getTime() - 1000));

    // Before the reseal, the new secret alone cannot open the key: signing is a 503 naming the fix.
    await expect(signJwt(depsAt(activatesAt, { sessionSecret: NEW }), {})).rejects.toMatchObject({ code: 'sealed_key_unreadable' });

    const rotating = makeApp(handle, { config: { sessionSecret: NEW, previousSessionSecrets: [OLD] } });
    const first = await asOperator(rotating, 'POST', '/api/operator/reseal');
    expect(first.status, first.text).toBe(200);
    // Only this key was sealed with OLD; keys of other secrets (other files, `lost`) are reported, never changed.
    expect(first.json.signingKeys.resealed).toBe(1);
    expect(first.json.signingKeys.unreadable).toContain(lost.kid);
    expect(first.json.signingKeys.unreadable).not.toContain(mine.kid);
    const again = await asOperator(rotating, 'POST', '/api/operator/reseal');
    expect(again.json.signingKeys.resealed).toBe(0);
    expect(again.json.signingKeys.alreadyCurrent).toBeGreaterThanOrEqual(1);

    const rows = await handle.db.select().from(oidcSigningKeys).where(eq(oidcSigningKeys.id, mine.kid));
    expect(() => unseal(rows[0]!.privateKeySealed, NEW, 'oidc-signing-key')).not.toThrow();
    expect(() => unseal(rows[0]!.privateKeySealed, OLD, 'oidc-signing-key')).toThrow();
    const [lostRow] = await handle.db.select().from(oidcSigningKeys).where(eq(oidcSigningKeys.id, lost.kid));
    expect(lostRow!.privateKeySealed).toBe(lost.sealed);

    // The new secret alone now signs with the key, and the token verifies against the JWKS.
    const deps = depsAt(activatesAt, { sessionSecret: NEW });
    const token = await signJwt(deps, { sub: 'resealed' });
    expect(decodeProtectedHeader(token).kid).toBe(mine.kid);
    await jwtVerify(token, createLocalJWKSet(await publishedJwks(deps)), { currentDate: activatesAt });
  });
});
