/** Random identifiers, secrets and their hashes. node:crypto is available on Node and in workerd (nodejs_compat). */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ID_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ID_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

export type IdPrefix = 'cmp' | 'ws' | 'ps' | 'usr' | 'inv' | 'key' | 'exc' | 'evt' | 'saml' | 'ses' | 'req' | 'scim' | 'grp' | 'app' | 'sec' | 'az' | 'kid' | 'bcl' | 'ev' | 'whk';

/** A prefixed random id such as `usr_5k2x...` (80 bits of randomness, 16 characters). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${base32(randomBytes(10))}`;
}

/** A URL-safe secret of 256 bits. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of a secret, as stored in the database. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Checks a presented `<id>.<secret>` credential (API keys, SCIM tokens) against the stored hash of
 * the row `find` returns for its id. The hash is compared in constant time, and an unknown id costs
 * the same hashing as a wrong secret.
 */
export async function verifyPrefixedSecret<Row extends { secretHash: string }>(
  presented: string,
  prefix: IdPrefix,
  find: (id: string) => Promise<Row | null>,
): Promise<Row | null> {
  const dot = presented.indexOf('.');
  if (dot <= 0 || presented.length > 200) return null;
  const id = presented.slice(0, dot);
  if (!new RegExp(`^${prefix}_[0-9a-z]{16}$`).test(id)) return null;
  const row = await find(id);
  const matches = secretMatchesHash(presented.slice(dot + 1), row?.secretHash ?? '0'.repeat(64));
  return row && matches ? row : null;
}

/** Compares two secrets in constant time (hashing first makes the lengths equal). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** Compares a presented secret with a stored hex SHA-256 in constant time. */
export function secretMatchesHash(secret: string, storedHexHash: string): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedHexHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

function sealingKey(secret: string, purpose: string): Buffer {
  // SESSION_SECRET is high-entropy, so one HMAC per purpose is a sufficient key derivation.
  return createHmac('sha256', secret).update(`saml-scim-bridge:${purpose}:v1`).digest();
}

/** Encrypts a value at rest (AES-256-GCM) under a key derived from `secret`. */
export function seal(plaintext: string, secret: string, purpose: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(Buffer.from(plaintext, 'utf8')), cipher.final()]);
  return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** Decrypts what `seal` produced; throws when the secret differs or the value was altered. */
export function unseal(sealed: string, secret: string, purpose: string): string {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || !body || !tag) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(secret, purpose), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/**
 * Opens a sealed value with the first of `secrets` that can (the current SESSION_SECRET first, then
 * those being rotated away from): the plaintext and the index of that secret, or null when none can.
 */
export function unsealWithAny(sealed: string, secrets: readonly string[], purpose: string): { plaintext: string; secretIndex: number } | null {
  for (const [secretIndex, secret] of secrets.entries()) {
    try {
      return { plaintext: unseal(sealed, secret, purpose), secretIndex };
    } catch {
      // Another secret sealed it (or it is damaged): try the next one.
    }
  }
  return null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a lower-case UUID, the form of SCIM ids (directory users and groups): anything else cannot exist. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
