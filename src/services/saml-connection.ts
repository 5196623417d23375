/** Admin use cases for a company's SAML connection, and the SP identity the ACS verifies against. */
import { seal, unseal } from '../crypto.js';
import { CertificateError, certificateInfo, normalizeCertificatePem, parseIdpMetadata } from '../saml/index.js';
import type { CertificateInfo, SpIdentity } from '../saml/index.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { SamlConnection } from '../store/saml.js';
import { findSamlConnection, upsertSamlConnection } from '../store/saml.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInputError, NotFoundError } from './errors.js';

const SEAL_PURPOSE = 'sp-encryption-key';

export type AttributeField = 'email' | 'firstName' | 'lastName' | 'groups';

export interface SamlConnectionInput {
  idp: { metadataXml: string } | { idpEntityId: string; ssoUrl: string; certificates: string[] };
  allowSha1?: boolean | undefined;
  attributeMapping?: Partial<Record<AttributeField, string>> | undefined;
  spEntityId?: string | null | undefined;
  acsUrl?: string | null | undefined;
  spEncryption?: { privateKeyPem: string; certificatePem: string } | null | undefined;
}

/** Our SP's URLs for a company, built from PUBLIC_URL. */
export function spUrls(publicUrl: string, companyId: string) {
  const base = `${publicUrl}/saml/${companyId}`;
  return { entityId: base, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata`, loginUrl: `${base}/login` };
}

/** The SP identity one company's IdP knows us by, with the decrypted encryption key when configured. */
export function spIdentityFor(deps: ServiceDeps, connection: SamlConnection | null, companyId: string): SpIdentity {
  const urls = spUrls(deps.publicUrl, companyId);
  const identity: SpIdentity = {
    entityId: connection?.spEntityIdOverride ?? urls.entityId,
    acsUrl: connection?.acsUrlOverride ?? urls.acsUrl,
  };
  if (connection?.spEncryptionCertificate && connection.spEncryptionKeySealed) {
    identity.encryption = {
      certificatePem: connection.spEncryptionCertificate,
      privateKeyPem: unseal(connection.spEncryptionKeySealed, deps.sessionSecret, SEAL_PURPOSE),
    };
  }
  return identity;
}

function requireHttpUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInputError('invalid_url', `${field} must be an absolute URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidInputError('invalid_url', `${field} must use https.`);
  // Kept as typed: the IdP compares Destination/ACS URLs as strings, and URL#toString may add a slash.
  return value.trim();
}

function requireCertificates(list: string[]): string[] {
  if (list.length === 0) throw new InvalidInputError('certificate_required', 'At least one IdP signing certificate is needed.');
  const pems = list.map((pem, index) => {
    try {
      return normalizeCertificatePem(pem);
    } catch (error) {
      if (error instanceof CertificateError) {
        throw new InvalidInputError('invalid_certificate', `certificates[${index}] is not an X.509 certificate in PEM or base64 form.`);
      }
      throw error;
    }
  });
  return [...new Set(pems)];
}

function resolveIdp(input: SamlConnectionInput['idp']) {
  if ('metadataXml' in input) {
    const parsed = parseIdpMetadata(input.metadataXml);
    if (!parsed.ok) throw new InvalidInputError(`metadata_${parsed.reason}`, `The IdP metadata could not be used: ${parsed.detail}.`);
    return { entityId: parsed.metadata.entityId, ssoUrl: parsed.metadata.ssoUrl, certificates: requireCertificates(parsed.metadata.certificatesPem) };
  }
  return {
    entityId: input.idpEntityId,
    ssoUrl: requireHttpUrl(input.ssoUrl, 'ssoUrl'),
    certificates: requireCertificates(input.certificates),
  };
}

function checkKeyPair(pair: { privateKeyPem: string; certificatePem: string }) {
  // The key must be usable for decryption; the certificate is what IdP admins upload.
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pair.privateKeyPem)) {
    throw new InvalidInputError('invalid_private_key', 'spEncryption.privateKeyPem must be a PEM private key.');
  }
  try {
    return { certificatePem: normalizeCertificatePem(pair.certificatePem), privateKeyPem: pair.privateKeyPem.trim() };
  } catch {
    throw new InvalidInputError('invalid_certificate', 'spEncryption.certificatePem is not an X.509 certificate.');
  }
}

export async function configureSamlConnection(
  deps: ServiceDeps,
  actor: Actor,
  companyId: string,
  input: SamlConnectionInput,
): Promise<SamlConnection> {
  const idp = resolveIdp(input.idp);
  const encryption = input.spEncryption ? checkKeyPair(input.spEncryption) : null;
  return deps.db.transaction(async (tx) => {
    const previous = await findSamlConnection(tx, companyId);
    const keepEncryption = input.spEncryption === undefined && previous?.spEncryptionKeySealed;
    const row = await upsertSamlConnection(
      tx,
      {
        companyId,
        idpEntityId: idp.entityId,
        ssoUrl: idp.ssoUrl,
        certificates: idp.certificates,
        // Omitted settings keep their current value (pasting new metadata must not reset them); null clears.
        allowSha1: input.allowSha1 ?? previous?.allowSha1 ?? false,
        attributeMapping: input.attributeMapping ?? previous?.attributeMapping ?? {},
        spEntityIdOverride: input.spEntityId === undefined ? (previous?.spEntityIdOverride ?? null) : input.spEntityId,
        acsUrlOverride:
          input.acsUrl === undefined ? (previous?.acsUrlOverride ?? null) : input.acsUrl ? requireHttpUrl(input.acsUrl, 'acsUrl') : null,
        spEncryptionCertificate: keepEncryption ? previous.spEncryptionCertificate : (encryption?.certificatePem ?? null),
        spEncryptionKeySealed: keepEncryption
          ? previous.spEncryptionKeySealed
          : encryption
            ? seal(encryption.privateKeyPem, deps.sessionSecret, SEAL_PURPOSE)
            : null,
      },
      deps.now(),
    );
    await recordAudit(tx, {
      companyId,
      actor,
      action: previous ? 'saml_connection.updated' : 'saml_connection.created',
      targetType: 'saml_connection',
      targetId: companyId,
      data: {
        idpEntityId: row.idpEntityId,
        ssoUrl: row.ssoUrl,
        certificateFingerprints: row.certificates.map((pem) => certificateInfo(pem).fingerprintSha256),
        allowSha1: row.allowSha1,
        encryption: row.spEncryptionCertificate !== null,
      },
    });
    return row;
  });
}

export async function requireSamlConnection(deps: ServiceDeps, companyId: string): Promise<SamlConnection> {
  const row = await findSamlConnection(deps.db, companyId);
  if (!row) throw new NotFoundError('saml_not_configured', 'SAML single sign-on is not set up for this company.');
  return row;
}

export function describeCertificate(pem: string): CertificateInfo & { pem: string } {
  return { ...certificateInfo(pem), pem };
}
