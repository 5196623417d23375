/**
 * Our side of a SAML connection: its SP URLs, the SP identity its IdP knows us by, and the SP key pairs
 * (encryption, signing) sealed under SESSION_SECRET: how they are checked on upload, opened when a
 * message needs them, and re-sealed after a secret rotation (with the OpenID signing keys, sealed the
 * same way).
 */
import { createSign, createVerify } from 'node:crypto';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import { seal, unsealWithAny } from '../crypto.js';
import { normalizeCertificatePem } from '../saml/index.js';
import type { SpIdentity } from '../saml/index.js';
import type { Actor } from '../store/audit.js';
import { recordAudit } from '../store/audit.js';
import type { SamlConnection } from '../store/saml.js';
import { listSealedSpKeys, replaceSealedSpKey } from '../store/saml.js';
import { oidcSigningKeys } from '../store/schema.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInputError, UnavailableError } from './errors.js';

const SEAL_PURPOSE = 'sp-encryption-key';
const SIGNING_SEAL_PURPOSE = 'sp-signing-key';
/** The purpose services/oidc-keys.ts seals the OpenID signing keys' private JWKs with. */
const OIDC_SIGNING_SEAL_PURPOSE = 'oidc-signing-key';

/** What a connection's SP URLs are built from: its id, or its company's id when it answers at the company-level URLs. */
export type ConnectionUrlKey = Pick<SamlConnection, 'id' | 'companyId' | 'companyUrls'>;

/** A connection's SP URLs, built from PUBLIC_URL (a company's first connection may answer at /saml/<companyId>). */
export function spUrls(publicUrl: string, connection: ConnectionUrlKey) {
  const base = `${publicUrl}/saml/${connection.companyUrls ? connection.companyId : connection.id}`;
  return { entityId: base, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata`, loginUrl: `${base}/login`, sloUrl: `${base}/slo` };
}

/** The SP URLs a company without any connection yet will have: its first connection answers at the company-level URLs. */
export function companySpUrls(publicUrl: string, companyId: string) {
  return spUrls(publicUrl, { id: '', companyId, companyUrls: true });
}

/** The secrets that may open a sealed value: the current SESSION_SECRET first, then SESSION_SECRET_PREVIOUS. */
function unsealingSecrets(deps: ServiceDeps): string[] {
  return [deps.sessionSecret, ...(deps.previousSessionSecrets ?? [])];
}

/** Nothing configured can open a connection's sealed SP key: only the operator can fix it (503, never a 500). */
export class SealedKeyUnreadableError extends UnavailableError {
  constructor(connectionId: string) {
    super(
      'sealed_key_unreadable',
      `An SP key of SAML connection ${connectionId} was sealed with a SESSION_SECRET this server no longer has. ` +
        'Operator: set SESSION_SECRET_PREVIOUS to the former SESSION_SECRET and restart, then POST /api/operator/reseal; ' +
        'if that secret is lost, the company admin must upload a new SP key pair for the connection.',
    );
  }
}

function unsealer(deps: ServiceDeps, sealed: string, purpose: string, connectionId: string): () => string {
  return () => {
    const opened = unsealWithAny(sealed, unsealingSecrets(deps), purpose);
    if (!opened) throw new SealedKeyUnreadableError(connectionId);
    return opened.plaintext;
  };
}

/**
 * The SP identity one connection's IdP knows us by. The private keys are unsealed only when a message
 * needs them: metadata and unencrypted responses keep working whatever secret sealed them.
 */
export function spIdentityFor(deps: ServiceDeps, connection: SamlConnection): SpIdentity {
  const urls = spUrls(deps.publicUrl, connection);
  const identity: SpIdentity = {
    entityId: connection.spEntityIdOverride ?? urls.entityId,
    acsUrl: connection.acsUrlOverride ?? urls.acsUrl,
    sloUrl: urls.sloUrl,
  };
  if (connection.spEncryptionCertificate && connection.spEncryptionKeySealed) {
    identity.encryption = {
      certificatePem: connection.spEncryptionCertificate,
      privateKeyPem: unsealer(deps, connection.spEncryptionKeySealed, SEAL_PURPOSE, connection.id),
    };
  }
  if (connection.spSigningCertificate && connection.spSigningKeySealed) {
    identity.signing = {
      certificatePem: connection.spSigningCertificate,
      previousCertificatePem: connection.spSigningPreviousCertificate,
      privateKeyPem: unsealer(deps, connection.spSigningKeySealed, SIGNING_SEAL_PURPOSE, connection.id),
    };
  }
  return identity;
}

/** The certificates a response may be signed with: the current ones, and those the last metadata refresh retired. */
export function trustedCertificates(connection: Pick<SamlConnection, 'certificates' | 'retiredCertificates'>): string[] {
  return [...new Set([...connection.certificates, ...connection.retiredCertificates])];
}

/** Seals an SP signing private key for storage. */
export function sealSigningKey(deps: ServiceDeps, privateKeyPem: string): string {
  return seal(privateKeyPem, deps.sessionSecret, SIGNING_SEAL_PURPOSE);
}

/** Seals an SP encryption private key for storage. */
export function sealEncryptionKey(deps: ServiceDeps, privateKeyPem: string): string {
  return seal(privateKeyPem, deps.sessionSecret, SEAL_PURPOSE);
}

export interface ResealReport {
  /** Keys re-sealed with the current SESSION_SECRET (they were sealed with a previous one). */
  resealed: number;
  /** Keys already sealed with the current SESSION_SECRET. */
  alreadyCurrent: number;
  /** Companies whose key no configured secret opens (their encrypted sign-ins answer sealed_key_unreadable). */
  unreadable: string[];
  /** The OpenID provider's signing keys still in the JWKS, counted the same way; `unreadable` lists kids. */
  signingKeys: { resealed: number; alreadyCurrent: number; unreadable: string[] };
}

/**
 * After a SESSION_SECRET rotation: re-seals every stored SP key that a previous secret opens with the
 * current one, so SESSION_SECRET_PREVIOUS can then be removed. Each connection's change is audited.
 */
export async function resealStoredKeys(deps: ServiceDeps, actor: Actor): Promise<ResealReport> {
  const report: ResealReport = { resealed: 0, alreadyCurrent: 0, unreadable: [], signingKeys: await resealSigningKeys(deps) };
  for (const row of await listSealedSpKeys(deps.db)) {
    const keys = [
      { column: 'encryption' as const, sealed: row.encryption, purpose: SEAL_PURPOSE },
      { column: 'signing' as const, sealed: row.signing, purpose: SIGNING_SEAL_PURPOSE },
    ];
    for (const { column, sealed, purpose } of keys) {
      if (sealed === null) continue;
      const opened = unsealWithAny(sealed, unsealingSecrets(deps), purpose);
      if (!opened) {
        if (!report.unreadable.includes(row.companyId)) report.unreadable.push(row.companyId);
      } else if (opened.secretIndex === 0) {
        report.alreadyCurrent += 1;
      } else {
        const replaced = await deps.db.transaction(async (tx) => {
          if (!(await replaceSealedSpKey(tx, row.connectionId, column, sealed, seal(opened.plaintext, deps.sessionSecret, purpose)))) return false;
          await recordAudit(tx, {
            companyId: row.companyId,
            actor,
            action: 'saml_connection.key_resealed',
            targetType: 'saml_connection',
            targetId: row.connectionId,
            data: { key: column },
          });
          return true;
        });
        // Not replaced: an admin stored a new key meanwhile, sealed with the current secret.
        if (replaced) report.resealed += 1;
        else report.alreadyCurrent += 1;
      }
    }
  }
  return report;
}

/**
 * The OpenID signing keys' part of a reseal: every key not yet retired (retired ones never sign nor
 * appear in the JWKS again). A key is replaced only if it is still the sealed value read. No audit
 * event: the audit log has no action for it yet, and the key material does not change.
 */
async function resealSigningKeys(deps: ServiceDeps): Promise<ResealReport['signingKeys']> {
  const report: ResealReport['signingKeys'] = { resealed: 0, alreadyCurrent: 0, unreadable: [] };
  const rows = await deps.db
    .select({ id: oidcSigningKeys.id, sealed: oidcSigningKeys.privateKeySealed })
    .from(oidcSigningKeys)
    .where(or(isNull(oidcSigningKeys.retiresAt), gt(oidcSigningKeys.retiresAt, deps.now())))
    .orderBy(oidcSigningKeys.id);
  for (const { id, sealed } of rows) {
    const opened = unsealWithAny(sealed, unsealingSecrets(deps), OIDC_SIGNING_SEAL_PURPOSE);
    if (!opened) {
      report.unreadable.push(id);
    } else if (opened.secretIndex === 0) {
      report.alreadyCurrent += 1;
    } else {
      const replaced = await deps.db
        .update(oidcSigningKeys)
        .set({ privateKeySealed: seal(opened.plaintext, deps.sessionSecret, OIDC_SIGNING_SEAL_PURPOSE) })
        .where(and(eq(oidcSigningKeys.id, id), eq(oidcSigningKeys.privateKeySealed, sealed)))
        .returning({ id: oidcSigningKeys.id });
      // Not replaced: another instance's reseal got there first (with the current secret too).
      if (replaced.length === 1) report.resealed += 1;
      else report.alreadyCurrent += 1;
    }
  }
  return report;
}

export function checkKeyPair(pair: { privateKeyPem: string; certificatePem: string }, field: 'spEncryption' | 'spSigning') {
  // The key must be usable for decryption; the certificate is what IdP admins upload.
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pair.privateKeyPem)) {
    throw new InvalidInputError('invalid_private_key', `${field}.privateKeyPem must be a PEM private key.`);
  }
  try {
    return { certificatePem: normalizeCertificatePem(pair.certificatePem), privateKeyPem: pair.privateKeyPem.trim() };
  } catch {
    throw new InvalidInputError('invalid_certificate', `${field}.certificatePem is not an X.509 certificate.`);
  }
}

/** A signing pair whose key does not sign for its certificate would make every IdP refuse our messages: refuse it now. */
export function checkSigningPair(pair: { privateKeyPem: string; certificatePem: string }) {
  const checked = checkKeyPair(pair, 'spSigning');
  const probe = 'saml-scim-bridge signing key check';
  let matches: boolean;
  try {
    const signature = createSign('RSA-SHA256').update(probe).sign(checked.privateKeyPem);
    matches = createVerify('RSA-SHA256').update(probe).verify(checked.certificatePem, signature);
  } catch {
    throw new InvalidInputError('invalid_private_key', 'spSigning.privateKeyPem is not an RSA private key that can sign.');
  }
  if (!matches) throw new InvalidInputError('key_pair_mismatch', 'spSigning.privateKeyPem is not the private key of spSigning.certificatePem.');
  return checked;
}
