/** Admin use cases for a company's SAML connection, and the SP identity the ACS verifies against. */
import { seal, unsealWithAny } from '../crypto.js';
import { CertificateError, certificateInfo, normalizeCertificatePem, parseIdpMetadata } from '../saml/index.js';
import type { CertificateInfo, SpIdentity } from '../saml/index.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { SamlConnection } from '../store/saml.js';
import { findSamlConnection, listSealedSpKeys, replaceSealedSpKey, upsertSamlConnection } from '../store/saml.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInputError, NotFoundError, UnavailableError } from './errors.js';

/** The routes present it; they never import the store. */
export type { SamlConnection };

const SEAL_PURPOSE = 'sp-encryption-key';

export type SsoBinding = 'redirect' | 'post';

export type AttributeField = 'email' | 'firstName' | 'lastName' | 'groups';

export interface SamlConnectionInput {
  /** Manual `ssoBinding` (default 'redirect'): whether ssoUrl takes the AuthnRequest by HTTP-Redirect or HTTP-POST. */
  idp: { metadataXml: string } | { idpEntityId: string; ssoUrl: string; ssoBinding?: SsoBinding | undefined; certificates: string[] };
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

/** The secrets that may open a sealed value: the current SESSION_SECRET first, then SESSION_SECRET_PREVIOUS. */
function unsealingSecrets(deps: ServiceDeps): string[] {
  return [deps.sessionSecret, ...(deps.previousSessionSecrets ?? [])];
}

/** Nothing configured can open a company's sealed SP key: only the operator can fix it (503, never a 500). */
export class SealedKeyUnreadableError extends UnavailableError {
  constructor(companyId: string) {
    super(
      'sealed_key_unreadable',
      `The SP encryption key of company ${companyId} was sealed with a SESSION_SECRET this server no longer has. ` +
        'Operator: set SESSION_SECRET_PREVIOUS to the former SESSION_SECRET and restart, then POST /api/operator/reseal; ' +
        "if that secret is lost, the company admin must upload a new SP encryption key pair (PUT .../saml with spEncryption).",
    );
  }
}

/**
 * The SP identity one company's IdP knows us by. The private key is unsealed only when an encrypted
 * assertion needs it: metadata, AuthnRequests and unencrypted responses keep working whatever secret
 * sealed it.
 */
export function spIdentityFor(deps: ServiceDeps, connection: SamlConnection | null, companyId: string): SpIdentity {
  const urls = spUrls(deps.publicUrl, companyId);
  const identity: SpIdentity = {
    entityId: connection?.spEntityIdOverride ?? urls.entityId,
    acsUrl: connection?.acsUrlOverride ?? urls.acsUrl,
  };
  const sealed = connection?.spEncryptionKeySealed;
  if (connection?.spEncryptionCertificate && sealed) {
    identity.encryption = {
      certificatePem: connection.spEncryptionCertificate,
      privateKeyPem: () => {
        const opened = unsealWithAny(sealed, unsealingSecrets(deps), SEAL_PURPOSE);
        if (!opened) throw new SealedKeyUnreadableError(companyId);
        return opened.plaintext;
      },
    };
  }
  return identity;
}

export interface ResealReport {
  /** Keys re-sealed with the current SESSION_SECRET (they were sealed with a previous one). */
  resealed: number;
  /** Keys already sealed with the current SESSION_SECRET. */
  alreadyCurrent: number;
  /** Companies whose key no configured secret opens (their encrypted sign-ins answer sealed_key_unreadable). */
  unreadable: string[];
}

/**
 * After a SESSION_SECRET rotation: re-seals every stored SP key that a previous secret opens with the
 * current one, so SESSION_SECRET_PREVIOUS can then be removed. Each company's change is audited.
 */
export async function resealStoredKeys(deps: ServiceDeps, actor: Actor): Promise<ResealReport> {
  const report: ResealReport = { resealed: 0, alreadyCurrent: 0, unreadable: [] };
  for (const { companyId, sealed } of await listSealedSpKeys(deps.db)) {
    const opened = unsealWithAny(sealed, unsealingSecrets(deps), SEAL_PURPOSE);
    if (!opened) {
      report.unreadable.push(companyId);
    } else if (opened.secretIndex === 0) {
      report.alreadyCurrent += 1;
    } else {
      const replaced = await deps.db.transaction(async (tx) => {
        if (!(await replaceSealedSpKey(tx, companyId, sealed, seal(opened.plaintext, deps.sessionSecret, SEAL_PURPOSE)))) return false;
        await recordAudit(tx, { companyId, actor, action: 'saml_connection.key_resealed', targetType: 'saml_connection', targetId: companyId });
        return true;
      });
      // Not replaced: an admin stored a new key meanwhile, sealed with the current secret.
      if (replaced) report.resealed += 1;
      else report.alreadyCurrent += 1;
    }
  }
  return report;
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
    return {
      entityId: parsed.metadata.entityId,
      ssoUrl: parsed.metadata.ssoUrl,
      ssoBinding: parsed.metadata.ssoBinding,
      certificates: requireCertificates(parsed.metadata.certificatesPem),
    };
  }
  return {
    entityId: input.idpEntityId,
    ssoUrl: requireHttpUrl(input.ssoUrl, 'ssoUrl'),
    ssoBinding: input.ssoBinding ?? 'redirect',
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
        ssoBinding: idp.ssoBinding,
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
        ssoBinding: row.ssoBinding,
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
