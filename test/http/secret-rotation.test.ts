/**
 * Rotating SESSION_SECRET (issue 9, point 4): app instances with a new secret on the same database, as
 * after a restart. SP metadata, SP-initiated login and unencrypted responses never need the sealed SP
 * key; encrypted responses need SESSION_SECRET_PREVIOUS until POST /api/operator/reseal; without it
 * they answer 503 sealed_key_unreadable (never 500); old session cookies stay valid and are re-issued.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { asOperator, call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me, postAcs } from '../support/saml.js';
import { createTestIdp, generateKeyPair } from '../support/test-idp.js';
import type { KeyPair, TestIdp } from '../support/test-idp.js';

// Fresh secrets per run: the reseal walks every key in the (shared) database and must touch only ours.
const OLD = randomBytes(32).toString('base64url');
const NEW = randomBytes(32).toString('base64url');
const EMAIL = 'ann.rotation@decorumsoft.com';

let handle: DatabaseHandle;
let before: TestApp;
let idp: TestIdp;
let spKeys: KeyPair;
let company: TestCompany;
let oldCookie: string;

const withSecret = (sessionSecret: string, previousSessionSecrets: string[] = []) =>
  makeApp(handle, { config: { sessionSecret, previousSessionSecrets } });
const unencrypted = () => idpInitiated(idp, company.id, EMAIL, new Date());
const encrypted = () => idpInitiated(idp, company.id, EMAIL, new Date(), { encryptFor: { certificatePem: spKeys.certificatePem } });

beforeAll(async () => {
  handle = await openTestDatabase();
  idp = createTestIdp({ entityId: 'https://idp.test/rotation' });
  spKeys = generateKeyPair('sp-rotation');
  before = withSecret(OLD);
  company = await setupCompany(before, 'Rotation Inc');
  await configureSaml(before, company, idp, { spEncryption: { privateKeyPem: spKeys.privateKeyPem, certificatePem: spKeys.certificatePem } });
  await confirmedUser(before, company, EMAIL);
  const signedIn = await postAcs(before, company.id, encrypted());
  expect(signedIn.status, signedIn.html).toBe(303);
  oldCookie = signedIn.cookie!;
}, 60_000);
afterAll(async () => {
  await handle?.close();
});

async function expectSamlWorks(app: TestApp) {
  const metadata = await app.request(`/saml/${company.id}/metadata`);
  expect(metadata.status).toBe(200);
  expect(await metadata.text()).toContain('use="encryption"');
  const login = await app.request(`/saml/${company.id}/login`);
  expect(login.status).toBe(302);
  const plain = await postAcs(app, company.id, unencrypted());
  expect(plain.status, plain.html).toBe(303);
}

describe('after a restart with a new SESSION_SECRET', () => {
  it('without SESSION_SECRET_PREVIOUS: metadata, login and unencrypted responses work; an encrypted one is 503 sealed_key_unreadable', async () => {
    const after = withSecret(NEW);
    await expectSamlWorks(after);
    const res = await postAcs(after, company.id, encrypted());
    expect(res.status).toBe(503);
    expect(res.setCookie).toBeNull();
    const body = JSON.parse(res.html) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('sealed_key_unreadable');
    expect(body.error.message).toContain('SESSION_SECRET_PREVIOUS');
    expect(body.error.message).toContain('/api/operator/reseal');
    // The old cookie is not accepted either: nothing vouches for its signature.
    expect((await me(after, oldCookie)).status).toBe(401);
  });

  it('with SESSION_SECRET_PREVIOUS: encrypted responses work and an old cookie is accepted and re-issued under the new secret', async () => {
    const rotating = withSecret(NEW, [randomBytes(32).toString('base64url'), OLD]);
    await expectSamlWorks(rotating);
    const res = await postAcs(rotating, company.id, encrypted());
    expect(res.status, res.html).toBe(303);

    const who = await me(rotating, oldCookie);
    expect(who.status).toBe(200);
    expect(who.json.user).toMatchObject({ email: EMAIL });
    const reissued = who.headers.get('Set-Cookie');
    expect(reissued).toMatch(/^__Host-bridge_session=.*HttpOnly.*Secure/);
    const newCookie = reissued!.split(';')[0]!;
    expect(newCookie).not.toBe(oldCookie);
    // Signed with the new secret: valid once SESSION_SECRET_PREVIOUS is gone; a current cookie is not re-issued.
    const later = await me(withSecret(NEW), newCookie);
    expect(later.status).toBe(200);
    expect(later.headers.get('Set-Cookie')).toBeNull();
  });

  it('POST /api/operator/reseal re-seals the key with the new secret; then the previous secret is no longer needed', async () => {
    const rotating = withSecret(NEW, [OLD]);
    expect((await call(rotating, 'POST', '/api/operator/reseal')).status).toBe(401);
    const first = await asOperator(rotating, 'POST', '/api/operator/reseal');
    expect(first.status, first.text).toBe(200);
    // Only this file's key was sealed with OLD; keys of other test files are reported, never changed.
    expect(first.json.resealed).toBe(1);
    expect(first.json.unreadable).not.toContain(company.id);
    const again = await asOperator(rotating, 'POST', '/api/operator/reseal');
    expect(again.json).toMatchObject({ resealed: 0 });
    expect(again.json.alreadyCurrent).toBeGreaterThanOrEqual(1);

    const after = withSecret(NEW);
    await expectSamlWorks(after);
    const res = await postAcs(after, company.id, encrypted());
    expect(res.status, res.html).toBe(303);
    // The old secret alone no longer opens the key: it really was sealed again.
    expect((await postAcs(withSecret(OLD), company.id, encrypted())).status).toBe(503);

    const audit = await call(after, 'GET', `/api/companies/${company.id}/audit-events?action=saml_connection.key_resealed`, { token: company.key });
    expect(audit.json.events).toHaveLength(1);
    expect(audit.json.events[0]).toMatchObject({ action: 'saml_connection.key_resealed', actor: { type: 'operator' } });
  });
});
