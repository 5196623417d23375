import type { VerifiedAssertion } from './types.js';

/** For each profile field, the SAML attribute names to look for, first match wins. */
export interface AttributeMapping {
  email: string[];
  firstName: string[];
  lastName: string[];
  displayName: string[];
  groups: string[];
}

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const MS_CLAIMS = 'http://schemas.microsoft.com/identity/claims';

/**
 * Attribute names the common IdPs send by default or in their setup guides:
 * Okta (email, firstName, lastName, groups), Microsoft Entra ID (the claims URIs), Google Workspace
 * (admin-chosen names, usually the Okta-style ones), OneLogin (User.email, User.FirstName, ...,
 * memberOf), and the LDAP/eduPerson OIDs (Shibboleth, Keycloak, JumpCloud).
 */
export const attributeDefaults: Readonly<AttributeMapping> = Object.freeze({
  email: ['email', 'Email', 'mail', 'emailAddress', 'EmailAddress', 'User.email', 'user.email',
    `${CLAIMS}/emailaddress`, 'urn:oid:0.9.2342.19200300.100.1.3'],
  firstName: ['firstName', 'FirstName', 'first_name', 'givenName', 'given_name', 'User.FirstName',
    'user.firstName', `${CLAIMS}/givenname`, 'urn:oid:2.5.4.42'],
  lastName: ['lastName', 'LastName', 'last_name', 'surname', 'sn', 'familyName', 'family_name',
    'User.LastName', 'user.lastName', `${CLAIMS}/surname`, 'urn:oid:2.5.4.4'],
  displayName: ['displayName', 'name', 'cn', `${MS_CLAIMS}/displayname`, 'urn:oid:2.16.840.1.113730.3.1.241'],
  groups: ['groups', 'Groups', 'group', 'memberOf', 'member_of', 'roles',
    'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups', 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1'],
});

/** The protocol-neutral person a SAML login describes. */
export interface SamlProfile {
  nameId: string;
  /** From the email attribute, else the NameID when it is an email address; null when neither is. */
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  groups: string[];
}

// Only the shape: whether the address is usable is decided by core/email.ts, the same rule jit/explain runs,
// so that a trailing dot or a full-width domain gets the same answer from the ACS and from explain.
const EMAIL = /^[^ \t\r\n@<>()",;:]+@[^ \t\r\n@<>()",;:]+$/;

/** A single address-shaped value (no display name, no spaces, one @); core/email.ts judges it. */
export function looksLikeEmail(value: string): boolean {
  return value.length <= 320 && EMAIL.test(value);
}

/** Values of the first configured name present; exact name first, then case-insensitively. */
function lookup(attributes: Record<string, string[]>, names: readonly string[]): string[] {
  for (const name of names) {
    const values = attributes[name];
    if (values && values.length > 0) return values;
  }
  const lowered = new Map(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v]));
  for (const name of names) {
    const values = lowered.get(name.toLowerCase());
    if (values && values.length > 0) return values;
  }
  return [];
}

const first = (values: string[]): string | null => values.find((v) => v.trim().length > 0)?.trim() ?? null;

/**
 * Maps a verified assertion to a profile. `mapping` overrides the defaults per field (a company's
 * configured attribute names are tried before the defaults).
 */
export function extractProfile(
  assertion: Pick<VerifiedAssertion, 'nameId' | 'attributes'>,
  mapping: Partial<AttributeMapping> = {},
): SamlProfile {
  const names = (field: keyof AttributeMapping) => [...(mapping[field] ?? []), ...attributeDefaults[field]];
  const { attributes, nameId } = assertion;
  const email = lookup(attributes, names('email')).map((v) => v.trim()).find(looksLikeEmail)
    ?? (looksLikeEmail(nameId) ? nameId : null);
  const groups = [...new Set(lookup(attributes, names('groups')).map((g) => g.trim()).filter(Boolean))];
  return {
    nameId,
    email,
    firstName: first(lookup(attributes, names('firstName'))),
    lastName: first(lookup(attributes, names('lastName'))),
    displayName: first(lookup(attributes, names('displayName'))),
    groups,
  };
}
