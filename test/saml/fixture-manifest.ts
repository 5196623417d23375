/** Typed access to test/fixtures/saml (real IdP responses; sources and licences in its README), located from this file. */
import { readFileSync } from 'node:fs';
import type { SpIdentity } from '../../src/saml/index.js';

export const FIXTURES = new URL('../fixtures/saml/', import.meta.url);

export interface FixtureVariant {
  name: string;
  clock?: string;
  sp?: { entityId: string; acsUrl: string };
  idpEntityId?: string;
}

export interface FixtureCase {
  id: string;
  dir: string;
  files: { responseBase64: string; idpCert: string; idpMetadata: string | null };
  encryptedAssertion: boolean;
  signatures: Array<{ on: string; signatureAlgorithm: string; digestAlgorithm: string }>;
  idpEntityId: string;
  issuer: { response: string | null; assertion: string | null };
  nameId: string | null;
  inResponseTo: string | null;
  sp: { entityId: string; acsUrl: string };
  clock: string;
  expected: { outcome: 'valid' | 'reject' | 'accept-with-full-nameid-or-reject'; failingCheck: string | null; expectedNameID?: string };
  variants?: FixtureVariant[];
}

export function loadManifest(): FixtureCase[] {
  const parsed: unknown = JSON.parse(readFileSync(new URL('manifest.json', FIXTURES), 'utf8'));
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('manifest.json is not a non-empty array');
  return parsed as FixtureCase[];
}

export const readFixture = (path: string): string => readFileSync(new URL(path, FIXTURES), 'utf8');

/** SHA-1 anywhere in the case's signatures: the company must opt in for it to verify. */
export const usesSha1 = (c: FixtureCase): boolean =>
  c.signatures.some((s) => s.signatureAlgorithm.endsWith('#rsa-sha1') || s.digestAlgorithm.endsWith('#sha1'));

export function spFor(c: FixtureCase, override?: { entityId: string; acsUrl: string }): SpIdentity {
  const sp = override ?? c.sp;
  if (!c.encryptedAssertion) return { ...sp };
  return {
    ...sp,
    encryption: {
      privateKeyPem: readFixture(`${c.dir}/sp-encryption-key.pem`),
      certificatePem: readFixture(`${c.dir}/sp-encryption-cert.pem`),
    },
  };
}
