/**
 * Signed AuthnRequests with the connection's SP signing key: on HTTP-Redirect the signature is over the
 * query string as sent (bindings §3.4.4.1), checked here with node:crypto; on HTTP-POST it is an
 * enveloped XML signature, checked by xmlsec1 (an independent implementation). A key rollover publishes
 * the previous certificate until the admin drops it.
 */
import { execFileSync } from 'node:child_process';
import { createVerify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { createTestIdp, generateKeyPair } from '../support/test-idp.js';
import type { KeyPair, TestIdp } from '../support/test-idp.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

let handle: DatabaseHandle;
let app: TestApp;
let company: TestCompany;
let idp: TestIdp;
let spKey: KeyPair;
const now = new Date('2026-06-01T09:00:00Z');

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  company = await setupCompany(app, 'Signed requests');
  idp = createTestIdp({ entityId: 'https://idp.test/signed-requests' });
  spKey = generateKeyPair('bridge-sp-signing');
});
afterAll(async () => {
  await handle?.close();
});

async function createConnection(body: Record<string, unknown>) {
  return call(app, 'POST', `/api/companies/${company.id}/saml-connections`, {
    token: company.key,
    body: { idpEntityId: `${idp.entityId}/${Math.random()}`, ssoUrl: 'https://idp.test/sso?tenant=7', certificates: [idp.certificatePem], ...body },
  });
}

/** The octet string of bindings §3.4.4.1, from the raw (still URL-encoded) query parameters, in their order. */
function signedOctets(rawQuery: string): { octets: string; signature: Buffer; sigAlg: string } {
  const raw = new Map(rawQuery.split('&').map((pair) => pair.split('=') as [string, string]));
  const octets = ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((name) => raw.has(name))
    .map((name) => `${name}=${raw.get(name)}`)
    .join('&');
  return { octets, signature: Buffer.from(decodeURIComponent(raw.get('Signature') ?? ''), 'base64'), sigAlg: decodeURIComponent(raw.get('SigAlg') ?? '') };
}

describe('signed AuthnRequests', () => {
  it('HTTP-Redirect: SigAlg and Signature over the query string, verified with the published certificate', async () => {
    const created = await createConnection({ name: 'Redirect signed', spSigning: spKey, signAuthnRequests: true });
    expect(created.status, created.text).toBe(201);
    expect(created.json.signing).toMatchObject({ signAuthnRequests: true, previousCertificate: null });
    expect(created.json.signing.certificate).toContain('BEGIN CERTIFICATE');

    const metadata = await (await app.request(`/saml/${created.json.id}/metadata`)).text();
    expect(metadata).toMatch(/AuthnRequestsSigned="true"/);
    expect(metadata).toContain('use="signing"');

    const res = await app.request(`/saml/${created.json.id}/login?RelayState=/reports`);
    expect(res.status).toBe(302);
    const location = res.headers.get('Location')!;
    expect(location.startsWith('https://idp.test/sso?tenant=7&')).toBe(true);
    const query = location.slice(location.indexOf('?') + 1).replace(/^tenant=7&/, '');
    const { octets, signature, sigAlg } = signedOctets(query);
    expect(sigAlg).toBe(RSA_SHA256);
    expect(octets).toMatch(/^SAMLRequest=[^&]+&RelayState=[^&]+&SigAlg=/);
    expect(createVerify('RSA-SHA256').update(octets).verify(spKey.certificatePem, signature)).toBe(true);
    // One changed byte of the signed query and the signature no longer holds.
    expect(createVerify('RSA-SHA256').update(octets.replace('RelayState=', 'RelayState=x')).verify(spKey.certificatePem, signature)).toBe(false);
    const xml = inflateRawSync(Buffer.from(new URLSearchParams(query).get('SAMLRequest')!, 'base64')).toString('utf8');
    expect(xml).toContain(`<saml:Issuer>${created.json.spEntityId}</saml:Issuer>`);
    // The signature travels in the query, not in the deflated XML.
    expect(xml).not.toContain('Signature');
  });

  it('HTTP-POST: an enveloped signature that xmlsec1 verifies with the SP certificate', async () => {
    const created = await createConnection({ name: 'POST signed', spSigning: spKey, signAuthnRequests: true, ssoBinding: 'post' });
    expect(created.status, created.text).toBe(201);
    const res = await app.request(`/saml/${created.json.id}/login`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const field = /name="SAMLRequest" value="([^"]+)"/.exec(html);
    expect(field).not.toBeNull();
    const xml = Buffer.from(field![1]!, 'base64').toString('utf8');
    expect(xml).toContain('<ds:Signature');
    const dir = mkdtempSync(join(tmpdir(), 'signed-authn-'));
    try {
      writeFileSync(join(dir, 'request.xml'), xml);
      writeFileSync(join(dir, 'cert.pem'), spKey.certificatePem);
      writeFileSync(join(dir, 'tampered.xml'), xml.replace('ForceAuthn', 'X').replace(/AssertionConsumerServiceURL="[^"]+"/, 'AssertionConsumerServiceURL="https://evil.test/acs"'));
      const verify = (file: string) =>
        execFileSync('xmlsec1', ['--verify', '--pubkey-cert-pem', join(dir, 'cert.pem'), '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest', join(dir, file)], {
          stdio: 'pipe',
        });
      expect(() => verify('request.xml')).not.toThrow();
      expect(() => verify('tampered.xml')).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unsigned connection sends no signature', async () => {
    const created = await createConnection({ name: 'Unsigned' });
    const location = (await app.request(`/saml/${created.json.id}/login`)).headers.get('Location')!;
    expect(location).not.toContain('Signature=');
    expect(location).not.toContain('SigAlg=');
    expect(created.json.signing).toEqual({ signAuthnRequests: false, certificate: null, previousCertificate: null });
    expect(await (await app.request(`/saml/${created.json.id}/metadata`)).text()).toMatch(/AuthnRequestsSigned="false"/);
  });

  it('a rollover publishes the previous certificate until it is dropped; the new key signs at once', async () => {
    const created = await createConnection({ name: 'Rollover', spSigning: spKey, signAuthnRequests: true });
    const next = generateKeyPair('bridge-sp-signing-next');
    const rolled = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${created.json.id}`, { token: company.key, body: { spSigning: next } });
    expect(rolled.status, rolled.text).toBe(200);
    expect(rolled.json.signing.previousCertificate).toBe(created.json.signing.certificate);
    expect(rolled.json.signing.certificate).not.toBe(created.json.signing.certificate);
    // Both certificates are published during the rollover.
    const body = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const published = await (await app.request(`/saml/${created.json.id}/metadata`)).text();
    expect(published).toContain(body(spKey.certificatePem));
    expect(published).toContain(body(next.certificatePem));
    const location = (await app.request(`/saml/${created.json.id}/login`)).headers.get('Location')!;
    const { octets, signature } = signedOctets(location.slice(location.indexOf('?') + 1).replace(/^tenant=7&/, ''));
    expect(createVerify('RSA-SHA256').update(octets).verify(next.certificatePem, signature)).toBe(true);
    expect(createVerify('RSA-SHA256').update(octets).verify(spKey.certificatePem, signature)).toBe(false);

    const done = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${created.json.id}`, { token: company.key, body: { dropPreviousSpSigningCertificate: true } });
    expect(done.status, done.text).toBe(200);
    expect(done.json.signing.previousCertificate).toBeNull();
    expect(done.json.signing.certificate).toBe(rolled.json.signing.certificate);
  });

  it('refuses a key that is not the certificate’s, a non-key, and signing without a key', async () => {
    const other = generateKeyPair('someone-else');
    const mismatch = await createConnection({ spSigning: { privateKeyPem: other.privateKeyPem, certificatePem: spKey.certificatePem } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error.code).toBe('key_pair_mismatch');
    const notKey = await createConnection({ spSigning: { privateKeyPem: 'hello', certificatePem: spKey.certificatePem } });
    expect(notKey.status).toBe(400);
    expect(notKey.json.error.code).toBe('invalid_private_key');
    const noKey = await createConnection({ signAuthnRequests: true });
    expect(noKey.status).toBe(400);
    expect(noKey.json.error.code).toBe('signing_key_required');
    // Removing the key of a connection that signs is refused too.
    const signing = await createConnection({ spSigning: spKey, signAuthnRequests: true });
    const removed = await call(app, 'PATCH', `/api/companies/${company.id}/saml-connections/${signing.json.id}`, { token: company.key, body: { spSigning: null } });
    expect(removed.status).toBe(400);
    expect(removed.json.error.code).toBe('signing_key_required');
  });
});
