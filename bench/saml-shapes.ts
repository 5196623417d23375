/**
 * Realistic signed SAML responses for the ACS benchmark, made with the test IdP (xml-crypto,
 * exclusive C14N, RSA-SHA256, the Assertion signed as Okta and Entra do by default):
 *
 * - `okta8k`: Okta's usual attribute statement (a dozen profile attributes and ~40 group names),
 *   about 8 KB of decoded XML;
 * - `entra12k`: Microsoft Entra ID's claim-URI attribute names with group object IDs (GUIDs), about 12 KB;
 * - `groups30k`: an Okta-style response of a person in 200 groups, about 30 KB.
 *
 * Every call signs a new response (fresh Response and Assertion IDs), so a replay cache never refuses
 * one; generation is slow (an RSA signature plus C14N of the whole assertion), so the benchmark makes
 * them before its timed load starts.
 */
import type { TestIdp } from '../test/support/test-idp.js';

export type ShapeName = 'okta8k' | 'entra12k' | 'groups30k';
export const SHAPES: readonly ShapeName[] = ['okta8k', 'entra12k', 'groups30k'];

export interface Sp {
  entityId: string;
  acsUrl: string;
}

/** Who signs in: index `i` of a pool of people at `domain` (the same index always gives the same person). */
export interface Person {
  email: string;
  firstName: string;
  lastName: string;
  index: number;
}

export function person(index: number, domain: string, prefix = 'user'): Person {
  const n = String(index).padStart(5, '0');
  return { email: `${prefix}.${n}@${domain}`, firstName: `First${n}`, lastName: `Last${n}`, index };
}

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const PERSISTENT_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const MS_CLAIMS = 'http://schemas.microsoft.com/identity/claims';
const MS_GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';

// Group names of the kind directories hold: team, application and region groups, a few long ones.
const TEAMS = ['engineering', 'platform', 'security', 'finance', 'sales', 'marketing', 'support', 'legal', 'people-ops', 'data'];
const APPS = ['salesforce', 'github', 'jira', 'confluence', 'slack', 'zoom', 'workday', 'tableau', 'datadog', 'aws'];
const REGIONS = ['emea', 'amer', 'apac'];

/**
 * `count` distinct, deterministic group names: Okta sends names, mostly short team and application
 * groups ("sales-12"); `long` makes the application-access kind ("app-jira-finance-emea-7-access-role...").
 */
function groupNames(count: number, long = 0): string[] {
  return Array.from({ length: count }, (_, i) => {
    if (long === 0) return `${TEAMS[i % TEAMS.length]}-${i}`;
    const base = `app-${APPS[i % APPS.length]}-${TEAMS[Math.floor(i / APPS.length) % TEAMS.length]}-${REGIONS[i % REGIONS.length]}-${i}`;
    return `${base}-${'access-role-members'.repeat(Math.ceil(long / 19)).slice(0, long)}`;
  });
}

/** A deterministic GUID (Entra group object IDs), so sizes do not vary between runs. */
function guid(seed: number): string {
  const hex = (n: number, width: number) => ((n * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(2).slice(0, width);
  return `${hex(seed + 1, 8)}-${hex(seed + 7, 4)}-4${hex(seed + 13, 3)}-a${hex(seed + 19, 3)}-${hex(seed + 23, 12)}`;
}

function oktaAttributes(p: Person, groups: string[]): Record<string, string | string[]> {
  return {
    firstName: p.firstName,
    lastName: p.lastName,
    email: p.email,
    login: p.email,
    department: 'Platform Engineering',
    title: 'Senior Software Engineer',
    employeeNumber: String(100000 + p.index),
    costCenter: 'CC-4410-ENG',
    manager: 'manager.00001@' + p.email.split('@')[1],
    mobilePhone: '+1 415 555 0100',
    locale: 'en_US',
    groups,
  };
}

const OKTA_GROUPS = groupNames(40, 0);

/** The attributes of the okta8k shape, for signers other than the test IdP (bench/worker-cpu.ts). */
export const okta8kAttributes = (p: Person): Record<string, string | string[]> => oktaAttributes(p, OKTA_GROUPS);
const BIG_GROUPS = groupNames(200, 30);
const ENTRA_GROUPS = Array.from({ length: 56 }, (_, i) => guid(i));

function entraAttributes(p: Person): Record<string, string | string[]> {
  return {
    [`${MS_CLAIMS}/tenantid`]: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    [`${MS_CLAIMS}/objectidentifier`]: guid(1_000_000 + p.index),
    [`${MS_CLAIMS}/displayname`]: `${p.firstName} ${p.lastName}`,
    [`${MS_CLAIMS}/identityprovider`]: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
    [`${MS_CLAIMS}/authnmethodsreferences`]: [
      'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
      'http://schemas.microsoft.com/claims/multipleauthn',
    ],
    [`${CLAIMS}/emailaddress`]: p.email,
    [`${CLAIMS}/givenname`]: p.firstName,
    [`${CLAIMS}/surname`]: p.lastName,
    [`${CLAIMS}/name`]: p.email,
    [MS_GROUPS]: ENTRA_GROUPS,
  };
}

/** One fresh signed response (base64, as posted) of `shape` for `p`, issued at `now`. */
export function signShape(idp: TestIdp, shape: ShapeName, sp: Sp, p: Person, now: Date): string {
  switch (shape) {
    case 'okta8k':
      return idp.signResponse({ sp, now, nameId: p.email, nameIdFormat: EMAIL_FORMAT, attributes: oktaAttributes(p, OKTA_GROUPS) });
    case 'groups30k':
      return idp.signResponse({ sp, now, nameId: p.email, nameIdFormat: EMAIL_FORMAT, attributes: oktaAttributes(p, BIG_GROUPS) });
    case 'entra12k':
      // Entra's default NameID is persistent (an opaque ID); the email comes from the emailaddress claim.
      return idp.signResponse({ sp, now, nameId: guid(2_000_000 + p.index), nameIdFormat: PERSISTENT_FORMAT, attributes: entraAttributes(p) });
  }
}

/** Decoded XML size of a base64 response, in bytes. */
export const decodedSize = (b64: string): number => Buffer.from(b64, 'base64').length;
