/** extractProfile: default attribute names per IdP, the NameID email fallback, company overrides. */
import { describe, expect, it } from 'vitest';
import { extractProfile } from '../../src/saml/index.js';

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';

describe('extractProfile', () => {
  it.each([
    ['Okta', { email: ['jane@acme.test'], firstName: ['Jane'], lastName: ['Doe'], groups: ['eng', 'ops'] }],
    ['Microsoft Entra ID', {
      [`${CLAIMS}/emailaddress`]: ['jane@acme.test'],
      [`${CLAIMS}/givenname`]: ['Jane'],
      [`${CLAIMS}/surname`]: ['Doe'],
      'http://schemas.microsoft.com/identity/claims/displayname': ['Jane Doe'],
      'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': ['eng', 'ops'],
    }],
    ['OneLogin', { 'User.email': ['jane@acme.test'], 'User.FirstName': ['Jane'], 'User.LastName': ['Doe'], memberOf: ['eng', 'ops'] }],
    ['Google Workspace', { email: ['jane@acme.test'], firstName: ['Jane'], lastName: ['Doe'], groups: ['eng', 'ops'] }],
    ['LDAP OIDs', { 'urn:oid:0.9.2342.19200300.100.1.3': ['jane@acme.test'], 'urn:oid:2.5.4.42': ['Jane'], 'urn:oid:2.5.4.4': ['Doe'], memberOf: ['eng', 'ops'] }],
  ])('reads %s default attribute names', (_idp, attributes) => {
    const profile = extractProfile({ nameId: 'opaque-id-123', attributes });
    expect(profile).toMatchObject({ email: 'jane@acme.test', firstName: 'Jane', lastName: 'Doe', groups: ['eng', 'ops'] });
  });

  it('falls back to the NameID for the email only when it is an email address', () => {
    expect(extractProfile({ nameId: 'jane@acme.test', attributes: {} }).email).toBe('jane@acme.test');
    expect(extractProfile({ nameId: '9e34fa21-4e8f-4dee-b565-648dbcf25eff', attributes: {} }).email).toBeNull();
    expect(extractProfile({ nameId: 'jane@acme.test', attributes: { email: ['other@acme.test'] } }).email).toBe('other@acme.test');
  });

  it('ignores an email attribute that is not an email address', () => {
    expect(extractProfile({ nameId: 'jdoe', attributes: { email: ['not an email'] } }).email).toBeNull();
  });

  it('tries the company mapping before the defaults, then names case-insensitively', () => {
    const attributes = { mail: ['default@acme.test'], corpMail: ['mapped@acme.test'], FIRSTNAME: ['Jane'] };
    const profile = extractProfile({ nameId: 'x', attributes }, { email: ['corpMail'] });
    expect(profile.email).toBe('mapped@acme.test');
    expect(profile.firstName).toBe('Jane');
  });

  it('trims values and removes duplicate or empty groups', () => {
    const profile = extractProfile({ nameId: 'x', attributes: { groups: [' eng ', 'eng', '', 'ops'], firstName: ['  Jane '] } });
    expect(profile.groups).toEqual(['eng', 'ops']);
    expect(profile.firstName).toBe('Jane');
  });
});
