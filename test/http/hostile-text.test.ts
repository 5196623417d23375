/**
 * Hostile text at the door (issue 9, point 5): an unpaired surrogate or an escaped NUL is a 400 (SCIM
 * form on SCIM routes), never a 500 from a jsonb write. Partial: the walk over every route and the ACS
 * cases are still to come.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/store/db.js';
import { call, makeApp, setupCompany } from '../support/app.js';
import type { TestApp, TestCompany } from '../support/app.js';
import { openTestDatabase } from '../support/db.js';
import { decodeBase64Xml, XmlRejected } from '../../src/saml/xml.js';
import { expectScimError, oktaUser, scim, scimToken } from '../support/scim.js';

let handle: DatabaseHandle;
let app: TestApp;
let company: TestCompany;
let token: string;
let base: string;
beforeAll(async () => {
  handle = await openTestDatabase();
  app = makeApp(handle);
  company = await setupCompany(app, 'Hostile Co');
  ({ token, base } = await scimToken(app, company));
});
afterAll(async () => {
  await handle?.close();
});

describe('hostile text', () => {
  it('a SCIM filter string escaping NUL or a lone surrogate is a SCIM 400 invalidFilter', async () => {
    for (const escape of ['\\u0000', '\\ud800']) {
      expectScimError(await scim(app, token, 'GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "a${escape}b"`)}`), 400, 'invalidFilter');
    }
  });

  it('a SCIM write with a lone surrogate is a SCIM 400', async () => {
    const res = await scim(app, token, 'POST', `${base}/Users`, JSON.stringify(oktaUser('s@hostile.example', { displayName: 'a\ud800b' })));
    expectScimError(res, 400, 'invalidValue');
  });

  it('an API create with a lone surrogate is a 400 invalid_characters', async () => {
    const res = await call(app, 'POST', `/api/companies/${company.id}/workspaces`, { token: company.key, body: '{"name":"a\\ud800b"}' });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe('invalid_characters');
  });

  it('SAML XML naming a lone surrogate or NUL by character reference is refused as invalid_characters before parsing', () => {
    for (const ref of ['&#xD800;', '&#0;', '&#55296;', '&#x1;', '&#99999999999;']) {
      const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x>a${ref}b</x></samlp:Response>`;
      let error: unknown;
      try {
        decodeBase64Xml(Buffer.from(xml).toString('base64'));
      } catch (e) {
        error = e;
      }
      expect(error, ref).toBeInstanceOf(XmlRejected);
      expect((error as XmlRejected).kind, ref).toBe('invalid_characters');
    }
    expect(decodeBase64Xml(Buffer.from('<r>&#x1F600;&#233;&#10;</r>').toString('base64'))).toContain('&#x1F600;');
  });
});
