/**
 * SAML connections in workerd: a company's second connection signs people in at its own ACS, a
 * response meant for the first is refused there by name, and a signed AuthnRequest is signed inside
 * the isolate (samlify over node:crypto under nodejs_compat) and verifies with the published certificate.
 */
import { Buffer } from 'node:buffer';
import { createVerify } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { WORKER_TEST_PUBLIC_URL } from './constants.js';
import { call, configureSaml, confirmedUser, postAcs, setupCompany } from './http.js';
import { signIdpInitiatedResponse, spFor } from './idp-signer.js';
import { worker } from './worker-fetch.js';

const keys = inject('idpKeys');
const FIRST_IDP = 'https://idp.test/edge-first';
const SECOND_IDP = 'https://idp.test/edge-second';

describe('SAML connections in the Worker', () => {
  it('a second connection signs in at its own ACS; a response for the first is refused there as wrong_connection', async () => {
    const company = await setupCompany(worker, 'Edge Connections');
    await configureSaml(worker, company, { entityId: FIRST_IDP, certificatePem: keys.certificatePem });
    const second = await call(worker, 'POST', `/api/companies/${company.id}/saml-connections`, {
      token: company.key,
      body: { name: 'Second IdP', idpEntityId: SECOND_IDP, ssoUrl: 'https://idp.test/second/sso', certificates: [keys.certificatePem] },
    });
    expect(second.status, second.text).toBe(201);
    const connectionId: string = second.json.id;
    expect(second.json.acsUrl).toBe(`${WORKER_TEST_PUBLIC_URL}/saml/${connectionId}/acs`);
    await confirmedUser(worker, company, 'ana@edge-connections.example');

    const forSecond = signIdpInitiatedResponse(SECOND_IDP, keys, { sp: spFor(WORKER_TEST_PUBLIC_URL, connectionId), now: new Date(), email: 'ana@edge-connections.example' });
    const signedIn = await postAcs(worker, connectionId, forSecond);
    expect(signedIn.status, signedIn.html).toBe(303);

    const forFirst = signIdpInitiatedResponse(FIRST_IDP, keys, { sp: spFor(WORKER_TEST_PUBLIC_URL, company.id), now: new Date(), email: 'ana@edge-connections.example' });
    const refused = await postAcs(worker, connectionId, forFirst);
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('wrong_connection');
    expect(refused.html).toContain('Second IdP');
    // At its own ACS the same response is accepted.
    expect((await postAcs(worker, company.id, forFirst)).status).toBe(303);
  });

  it('signs an AuthnRequest (HTTP-Redirect) inside the isolate', async () => {
    const company = await setupCompany(worker, 'Edge Signed Requests');
    const created = await call(worker, 'POST', `/api/companies/${company.id}/saml-connections`, {
      token: company.key,
      body: {
        name: 'Signed',
        idpEntityId: 'https://idp.test/edge-signed',
        ssoUrl: 'https://idp.test/signed/sso',
        certificates: [keys.certificatePem],
        spSigning: { privateKeyPem: keys.privateKeyPem, certificatePem: keys.certificatePem },
        signAuthnRequests: true,
      },
    });
    expect(created.status, created.text).toBe(201);
    const res = await worker(new Request(`${WORKER_TEST_PUBLIC_URL}/saml/${created.json.id}/login`, { redirect: 'manual' }));
    expect(res.status).toBe(302);
    const location = res.headers.get('Location')!;
    const raw = new Map(location.slice(location.indexOf('?') + 1).split('&').map((pair) => pair.split('=') as [string, string]));
    const octets = ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => raw.has(k)).map((k) => `${k}=${raw.get(k)}`).join('&');
    const signature = Buffer.from(decodeURIComponent(raw.get('Signature')!), 'base64');
    expect(createVerify('RSA-SHA256').update(octets).verify(keys.certificatePem, signature)).toBe(true);
  });
});
