/**
 * Every real-IdP fixture in test/fixtures/saml/manifest.json, posted to the ACS over HTTP with
 * the clock pinned to the case's `clock`: valid cases sign in (or, when the IdP sent no email, pass
 * verification and stop at `email_missing`), every variant is refused, replays fail, attacks fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractProfile, verifySamlResponse } from '../../src/saml/index.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { hashSecret, newSecret } from '../../src/crypto.js';
import { insertSamlRequest } from '../../src/store/saml.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { AUTHN_COOKIE, confirmedUser, postAcs } from '../support/saml.js';
import { loadManifest, readFixture, spFor, usesSha1 } from '../saml/fixture-manifest.js';
import type { FixtureCase, FixtureVariant } from '../saml/fixture-manifest.js';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await openTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

const manifest = loadManifest();
/** The browser every case posts from: SP-initiated cases answer a request bound to it. */
const binding = newSecret();
const browserCookie = `${AUTHN_COOKIE}=${binding}`;
const certificatesOf = (c: FixtureCase) => readFixture(c.files.idpCert).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

interface Setup {
  clock: string;
  sp: { entityId: string; acsUrl: string };
  idpEntityId: string;
  allowSha1: boolean;
}

/** A company configured for the case (or one variant of it), an app whose clock is pinned. */
async function arrange(c: FixtureCase, setup: Setup) {
  const now = new Date(setup.clock);
  const app = makeApp(handle, { now: () => now });
  const company = await setupCompany(app, c.id);
  const sp = spFor(c, setup.sp);
  const put = await call(app, 'PUT', `/api/companies/${company.id}/saml`, {
    token: company.key,
    body: {
      idpEntityId: setup.idpEntityId,
      ssoUrl: 'https://idp.example/sso',
      certificates: certificatesOf(c),
      allowSha1: setup.allowSha1,
      spEntityId: sp.entityId,
      acsUrl: sp.acsUrl,
      ...(sp.encryption ? { spEncryption: sp.encryption } : {}),
    },
  });
  expect(put.status, put.text).toBe(200);
  // SP-initiated cases answer an AuthnRequest: record it as one we issued.
  if (c.inResponseTo) {
    const connectionId = (JSON.parse(put.text) as { id: string }).id;
    await insertSamlRequest(handle.db, { id: c.inResponseTo, companyId: company.id, connectionId, relayState: null, browserBinding: hashSecret(binding), expiresAt: new Date(now.getTime() + 600_000) });
  }
  return { app, company, now };
}

const baseSetup = (c: FixtureCase): Setup => ({ clock: c.clock, sp: c.sp, idpEntityId: c.idpEntityId, allowSha1: usesSha1(c) });

async function expectedEmail(c: FixtureCase): Promise<string | null> {
  const result = await verifySamlResponse({
    samlResponse: readFixture(c.files.responseBase64).trim(),
    idp: { entityId: c.idpEntityId, certificatesPem: certificatesOf(c), allowSha1: usesSha1(c) },
    sp: spFor(c),
    now: new Date(c.clock),
  });
  expect(result.ok).toBe(true);
  return result.ok ? extractProfile(result.assertion).email : null;
}

async function lastEvent(app: ReturnType<typeof makeApp>, company: TestCompany) {
  const res = await call(app, 'GET', `/api/companies/${company.id}/audit-events?limit=1`, { token: company.key });
  return res.json.events[0] as { action: string; reason: string | null };
}

const variantExpectations: Record<string, RegExp> = {
  expired: /^assertion_expired$/,
  'not-yet-valid': /^assertion_not_yet_valid$/,
  'wrong-audience': /^audience_mismatch$/,
  'wrong-acs-url': /^(recipient|destination)_mismatch$/,
  'wrong-idp-entity-id': /^issuer_mismatch$/,
  replay: /^replayed$/,
};

describe.each(manifest.map((c) => [c.id, c] as const))('fixture %s', (_id, c) => {
  const response = readFixture(c.files.responseBase64).trim();

  if (c.expected.outcome === 'valid') {
    it('is accepted at the ACS', async () => {
      const email = await expectedEmail(c);
      const { app, company } = await arrange(c, baseSetup(c));
      if (email) await confirmedUser(app, company, email);
      const res = await postAcs(app, company.id, response, undefined, browserCookie);
      if (email) {
        expect(res.status, res.html).toBe(303);
        expect(res.setCookie).toMatch(/bridge_session=/);
        expect(await lastEvent(app, company)).toMatchObject({ action: 'saml.login', reason: null });
      } else {
        // Verified, but the IdP sent no email address: the identity step refuses, not the SAML checks.
        expect(res.status).toBe(403);
        expect(await lastEvent(app, company)).toMatchObject({ action: 'saml.login_refused', reason: 'email_missing' });
      }
    });

    if (usesSha1(c)) {
      it('is refused without the SHA-1 allowance', async () => {
        const { app, company } = await arrange(c, { ...baseSetup(c), allowSha1: false });
        const res = await postAcs(app, company.id, response, undefined, browserCookie);
        expect(res.status).toBe(403);
        expect(res.setCookie).toBeNull();
        expect(await lastEvent(app, company)).toMatchObject({ reason: 'sha1_not_allowed' });
      });
    }

    it.each((c.variants ?? []).map((v) => [v.name, v] as const))('refuses the %s variant', async (_name, variant: FixtureVariant) => {
      const setup: Setup = {
        ...baseSetup(c),
        ...(variant.clock ? { clock: variant.clock } : {}),
        ...(variant.sp ? { sp: variant.sp } : {}),
        ...(variant.idpEntityId ? { idpEntityId: variant.idpEntityId } : {}),
      };
      const email = await expectedEmail(c);
      const { app, company } = await arrange(c, setup);
      if (email) await confirmedUser(app, company, email);
      if (variant.name === 'replay') {
        await postAcs(app, company.id, response, undefined, browserCookie);
      }
      const res = await postAcs(app, company.id, response, undefined, browserCookie);
      expect(res.status).toBe(403);
      expect(res.setCookie).toBeNull();
      const event = await lastEvent(app, company);
      expect(event.action).toBe('saml.login_refused');
      expect(event.reason).toMatch(variantExpectations[variant.name] ?? /.+/);
    });
  } else {
    it(`is refused (${c.expected.outcome}) and signs nobody in`, async () => {
      const { app, company } = await arrange(c, baseSetup(c));
      const full = 'ross@octolabs.io';
      if (c.expected.outcome === 'accept-with-full-nameid-or-reject') await confirmedUser(app, company, full);
      const res = await postAcs(app, company.id, response, undefined, browserCookie);
      if (res.status === 303) {
        // Only acceptable for the benign comment case, and only as the full NameID.
        expect(c.expected.outcome).toBe('accept-with-full-nameid-or-reject');
        const who = await call(app, 'GET', '/api/me', { headers: { Cookie: res.cookie! } });
        expect(who.json.user.email).toBe(full);
      } else {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.setCookie).toBeNull();
        expect((await lastEvent(app, company)).action).toBe('saml.login_refused');
      }
    });
  }
});
