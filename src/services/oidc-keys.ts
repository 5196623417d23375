/**
 * The OpenID provider's signing keys (RS256), kept in the database with the private part sealed under
 * SESSION_SECRET like the SP keys, so every instance signs with the same key and publishes the same
 * JWKS. JOSE is `jose` (Node and Workers alike); nothing here builds a JWT by hand.
 *
 * Rotation: the next key is published at once and signs only from `activatesAt` (KEY_PUBLISH_LEAD_MS
 * later, longer than relying parties may cache the JWKS); the key it replaces keeps being published
 * until every token it signed has expired.
 */
import { and, asc, desc, gt, isNull, lte, ne, or } from 'drizzle-orm';
import { SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { newId, seal, unsealWithAny } from '../crypto.js';
import { recordAudit } from '../store/audit.js';
import type { Actor } from '../store/audit.js';
import { oidcSigningKeys } from '../store/schema.js';
import type { ServiceDeps } from './deps.js';
import { UnavailableError } from './errors.js';

const SEAL_PURPOSE = 'oidc-signing-key';
export const SIGNING_ALG = 'RS256';
/** How long GET /oauth/jwks may be cached (its Cache-Control max-age). */
export const JWKS_MAX_AGE_SECONDS = 300;
/** A rotated-in key is published this long before it signs: twice the JWKS cache lifetime. */
export const KEY_PUBLISH_LEAD_MS = 2 * JWKS_MAX_AGE_SECONDS * 1000;
/** The longest lifetime of anything the keys sign (id_tokens): a replaced key stays published this long. */
export const ID_TOKEN_LIFETIME_SECONDS = 3600;

type KeyRow = typeof oidcSigningKeys.$inferSelect;

/** Imported private keys by kid: derived from the database, never the source of truth. */
const importedKeys = new Map<string, Promise<CryptoKey | Uint8Array>>();

function unsealingSecrets(deps: ServiceDeps): string[] {
  return [deps.sessionSecret, ...(deps.previousSessionSecrets ?? [])];
}

async function createKey(deps: ServiceDeps, activatesAt: Date): Promise<KeyRow> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true, modulusLength: 2048 });
  const kid = newId('kid');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG };
  const [row] = await deps.db
    .insert(oidcSigningKeys)
    .values({ id: kid, publicJwk, privateKeySealed: seal(JSON.stringify(privateJwk), deps.sessionSecret, SEAL_PURPOSE), activatesAt })
    .returning();
  return row!;
}

/** The key that signs now: the newest active one; the first call on a new database creates it. */
async function activeKey(deps: ServiceDeps): Promise<KeyRow> {
  const now = deps.now();
  const [row] = await deps.db
    .select()
    .from(oidcSigningKeys)
    .where(lte(oidcSigningKeys.activatesAt, now))
    .orderBy(desc(oidcSigningKeys.activatesAt), desc(oidcSigningKeys.id))
    .limit(1);
  // Two instances starting at once may both create one: both are published, the newer signs.
  return row ?? createKey(deps, now);
}

function privateKeyOf(deps: ServiceDeps, row: KeyRow): Promise<CryptoKey | Uint8Array> {
  let key = importedKeys.get(row.id);
  if (!key) {
    const opened = unsealWithAny(row.privateKeySealed, unsealingSecrets(deps), SEAL_PURPOSE);
    if (!opened) {
      throw new UnavailableError(
        'sealed_key_unreadable',
        `The OpenID signing key ${row.id} was sealed with a SESSION_SECRET this server no longer has. Operator: set ` +
          'SESSION_SECRET_PREVIOUS to the former SESSION_SECRET and restart, or rotate the signing key (POST /api/operator/oidc/signing-keys/rotate).',
      );
    }
    key = importJWK(JSON.parse(opened.plaintext) as JWK, SIGNING_ALG);
    importedKeys.set(row.id, key);
    key.catch(() => importedKeys.delete(row.id));
  }
  return key;
}

/** Signs claims as a compact JWS with the active key (`typ` e.g. `logout+jwt` for logout tokens). */
export async function signJwt(deps: ServiceDeps, claims: JWTPayload, typ = 'JWT'): Promise<string> {
  const row = await activeKey(deps);
  return new SignJWT(claims).setProtectedHeader({ alg: SIGNING_ALG, kid: row.id, typ }).sign(await privateKeyOf(deps, row));
}

/** The JWKS: every key not yet retired (the next one during a rotation included), oldest first. */
export async function publishedJwks(deps: ServiceDeps): Promise<{ keys: JWK[] }> {
  const now = deps.now();
  let rows = await deps.db
    .select()
    .from(oidcSigningKeys)
    .where(or(isNull(oidcSigningKeys.retiresAt), gt(oidcSigningKeys.retiresAt, now)))
    .orderBy(asc(oidcSigningKeys.activatesAt), asc(oidcSigningKeys.id));
  if (rows.length === 0) rows = [await activeKey(deps)];
  return { keys: rows.map((r) => r.publicJwk as JWK) };
}

export interface RotationReport {
  kid: string;
  activatesAt: string;
  /** The keys it replaces and when each leaves the JWKS. */
  retiring: { kid: string; retiresAt: string }[];
}

/**
 * Operator rotation: creates the next key (published now, signing from now + KEY_PUBLISH_LEAD_MS) and
 * schedules every older unretired key to leave the JWKS once the tokens it may sign until then expire.
 */
export async function rotateSigningKey(deps: ServiceDeps, actor: Actor): Promise<RotationReport> {
  const now = deps.now();
  await activeKey(deps); // a database without a key gets one first, so there is something to rotate from
  const activatesAt = new Date(now.getTime() + KEY_PUBLISH_LEAD_MS);
  const next = await createKey(deps, activatesAt);
  const retiresAt = new Date(activatesAt.getTime() + ID_TOKEN_LIFETIME_SECONDS * 1000);
  return deps.db.transaction(async (tx) => {
    const retiring = await tx
      .update(oidcSigningKeys)
      .set({ retiresAt })
      .where(and(ne(oidcSigningKeys.id, next.id), isNull(oidcSigningKeys.retiresAt)))
      .returning({ kid: oidcSigningKeys.id });
    await recordAudit(tx, {
      companyId: null,
      actor,
      action: 'oidc.signing_key_rotated',
      targetType: 'oidc_signing_key',
      targetId: next.id,
      data: { activatesAt: activatesAt.toISOString(), retiring: retiring.map((r) => r.kid) },
    });
    return {
      kid: next.id,
      activatesAt: activatesAt.toISOString(),
      retiring: retiring.map((r) => ({ kid: r.kid, retiresAt: retiresAt.toISOString() })),
    };
  });
}
