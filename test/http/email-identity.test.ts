/**
 * Issue 9, points 3 and 12: jit/explain and a real signed ACS sign-in run the same email rule and
 * agree on every input; the Kelvin sign never lands in kate's account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { configureSaml, confirmedUser, idpInitiated, me, postAcs } from '../support/saml.js';
import { createTestIdp } from '../support/test-idp.js';
import type { TestIdp } from '../support/test-idp.js';

let handle: DatabaseHandle;
let app: TestApp;
let idp: TestIdp;
const now = new Date('2026-06-01T09:00:00Z');

beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle, { now: () => now });
  idp = createTestIdp({ entityId: 'https://idp.test/entra' });
});
afterAll(async () => {
  await handle?.close();
});

const admin = (company: TestCompany, method: string, path: string, body?: unknown) =>
  call(app, method, `/api/companies/${company.id}${path}`, { token: company.key, ...(body !== undefined ? { body: body as never } : {}) });

async function company(): Promise<{ company: TestCompany; kateId: string }> {
  const c = await setupCompany(app, 'Kelvin Ltd');
  await configureSaml(app, c, idp);
  const kateId = await confirmedUser(app, c, 'kate@d.example');
  await confirmedUser(app, c, 'jon@xn--bcher-kva.example');
  const saved = await admin(c, 'PUT', '/security/jit', { enabled: true, defaultWorkspaceId: c.workspaceId, defaultPermissionSetId: c.permissionSetId });
  expect(saved.status, saved.text).toBe(200);
  return { company: c, kateId };
}

const inputs: Array<[string, string, string | null]> = [
  ['Kelvin sign', '\u212Aate@d.example', 'email_ambiguous_character'],
  ['trailing dot', 'x@d.', 'email_invalid'],
  ['full-width domain', 'x@\uFF44.example', 'email_ambiguous_character'],
  ['soft hyphen', 'ka\u00ADte@d.example', 'email_invisible_character'],
  ['zero-width space', 'ka\u200Bte@d.example', 'email_invisible_character'],
  ['U+0130', '\u0130nci@d.example', 'email_ambiguous_character'],
  ['NFD é', 'e\u0301mile@d.example', null],
  ['NFC é', '\u00e9mile2@d.example', null],
  ['plain ASCII upper case', 'KATE@D.EXAMPLE', null],
  ['IDN', 'anna@bücher.example', null],
];

describe('jit/explain and the ACS agree', () => {
  it.each(inputs)('%s: %j', async (_label, email, reason) => {
    const { company: c } = await company();
    const explained = await admin(c, 'POST', '/jit/explain', { email, flow: 'idp_initiated' });
    expect(explained.status, explained.text).toBe(200);
    const res = await postAcs(app, c.id, idpInitiated(idp, c.id, email, now));
    expect(explained.json.reason).toBe(reason);
    if (reason === null) {
      expect(['sign_in', 'provision']).toContain(explained.json.decision);
      expect(res.status, res.html).toBe(303);
    } else {
      expect(explained.json.decision).toBe('refuse');
      expect(res.status).toBe(403);
      expect(res.setCookie).toBeNull();
      expect(res.html).toContain(reason);
    }
  });

  it('a sign-in as \\u212Aate@… never lands in kate@…’s account', async () => {
    const { company: c, kateId } = await company();
    const res = await postAcs(app, c.id, idpInitiated(idp, c.id, '\u212Aate@d.example', now));
    expect(res.status).toBe(403);
    expect(res.cookie).toBeNull();
    const who = await me(app, res.cookie);
    expect(who.json?.user?.id).not.toBe(kateId);
    const kate = await postAcs(app, c.id, idpInitiated(idp, c.id, 'kate@d.example', now));
    expect((await me(app, kate.cookie)).json.user.id).toBe(kateId);
  });
});
