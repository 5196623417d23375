import { Buffer } from 'node:buffer';
import { constants, createDecipheriv, createPrivateKey, privateDecrypt } from 'node:crypto';
import { refuse } from './types.js';
import type { SamlFailure } from './types.js';
import { NS, attrValue, childrenNamed, descendantElements, isNamed, optionalChild, textContent } from './xml.js';

/** Content ciphers (XML Encryption 1.1); 3DES and anything else is refused. */
const CIPHERS: Record<string, { name: 'aes-128-cbc' | 'aes-256-cbc' | 'aes-128-gcm' | 'aes-256-gcm'; keyLength: number }> = {
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc': { name: 'aes-128-cbc', keyLength: 16 },
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc': { name: 'aes-256-cbc', keyLength: 32 },
  'http://www.w3.org/2009/xmlenc11#aes128-gcm': { name: 'aes-128-gcm', keyLength: 16 },
  'http://www.w3.org/2009/xmlenc11#aes256-gcm': { name: 'aes-256-gcm', keyLength: 32 },
};
/** Key transport: RSA-OAEP (MGF1 and digest SHA-1) only; rsa-1_5 is refused (Bleichenbacher). */
const RSA_OAEP_MGF1P = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';

interface Parts {
  cipher: (typeof CIPHERS)[string];
  encryptedKey: Buffer;
  payload: Buffer;
}

const base64Of = (el: Element | null): Buffer => Buffer.from(el ? textContent(el).replace(/\s+/g, '') : '', 'base64');

function cipherValue(parent: Element): Element | null {
  const data = optionalChild(parent, NS.xenc, 'CipherData');
  return data ? optionalChild(data, NS.xenc, 'CipherValue') : null;
}

/** Shape and algorithm policy of an EncryptedAssertion, checked before anything is decrypted. */
function readParts(encrypted: Element): Parts | SamlFailure {
  const data = childrenNamed(encrypted, NS.xenc, 'EncryptedData');
  const encryptedData = data[0];
  if (data.length !== 1 || !encryptedData) return refuse('decryption_failed', `EncryptedAssertion has ${data.length} EncryptedData elements, expected 1`);
  const method = optionalChild(encryptedData, NS.xenc, 'EncryptionMethod');
  const algorithm = method ? attrValue(method, 'Algorithm') : null;
  const cipher = algorithm ? CIPHERS[algorithm] : undefined;
  if (!cipher) return refuse('decryption_failed', `assertion encrypted with an unsupported or insecure cipher: ${algorithm ?? '(none)'}`);

  // Inside EncryptedData/KeyInfo, or beside it and named by a RetrievalMethod (Okta): there must be one.
  const keys = descendantElements(encrypted).filter((el) => isNamed(el, NS.xenc, 'EncryptedKey'));
  const key = keys[0];
  if (keys.length !== 1 || !key) return refuse('decryption_failed', `EncryptedAssertion carries ${keys.length} EncryptedKey elements, expected 1`);
  const keyMethod = optionalChild(key, NS.xenc, 'EncryptionMethod');
  const keyAlgorithm = keyMethod ? attrValue(keyMethod, 'Algorithm') : null;
  if (keyAlgorithm !== RSA_OAEP_MGF1P) {
    return refuse('decryption_failed', `assertion key transported with an unsupported or insecure algorithm: ${keyAlgorithm ?? '(none)'}`);
  }
  const digest = keyMethod ? optionalChild(keyMethod, NS.ds, 'DigestMethod') : null;
  if (digest && attrValue(digest, 'Algorithm') !== SHA1) {
    return refuse('decryption_failed', `unsupported RSA-OAEP digest ${attrValue(digest, 'Algorithm') ?? '(none)'}`);
  }
  return { cipher, encryptedKey: base64Of(cipherValue(key)), payload: base64Of(cipherValue(encryptedData)) };
}

/** True when the PEM is a usable private key (so a bad key is a configuration error, not a decryption error). */
export function isPrivateKeyPem(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** Policy check alone (used before any signature work, so bad algorithms are refused cheaply). */
export function checkEncryptedAssertion(encrypted: Element): SamlFailure | null {
  const parts = readParts(encrypted);
  return 'ok' in parts ? parts : null;
}

/**
 * Decrypts an EncryptedAssertion with the SP key. Written here on node:crypto rather than through
 * samlify/@authenio/xml-encryption: those call privateDecrypt without `oaepHash`, relying on Node's
 * SHA-1 default, while workerd defaults otherwise and fails every real rsa-oaep-mgf1p key
 * ("Failed to cipher/decipher"; measured with the Okta fixture). The algorithms are node:crypto's;
 * only the XML Encryption framing is ours: CBC = IV(16) | ciphertext with XML-Enc padding (last
 * byte = pad length, ISO 10126), GCM = IV(12) | ciphertext | tag(16).
 */
export function decryptAssertion(encrypted: Element, privateKeyPem: string): string | SamlFailure {
  const parts = readParts(encrypted);
  if ('ok' in parts) return parts;
  const failed = refuse('decryption_failed', 'cannot decrypt the assertion with the SP encryption key');
  try {
    const key = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, parts.encryptedKey);
    if (key.length !== parts.cipher.keyLength) return failed;
    const { payload } = parts;
    let plain: Buffer;
    if (parts.cipher.name.endsWith('gcm')) {
      if (payload.length < 12 + 16) return failed;
      const decipher = createDecipheriv(parts.cipher.name as 'aes-128-gcm' | 'aes-256-gcm', key, payload.subarray(0, 12));
      decipher.setAuthTag(payload.subarray(payload.length - 16));
      plain = Buffer.concat([decipher.update(payload.subarray(12, payload.length - 16)), decipher.final()]);
    } else {
      const body = payload.subarray(16);
      if (body.length === 0 || body.length % 16 !== 0) return failed;
      const decipher = createDecipheriv(parts.cipher.name, key, payload.subarray(0, 16));
      decipher.setAutoPadding(false);
      const padded = Buffer.concat([decipher.update(body), decipher.final()]);
      const pad = padded[padded.length - 1] ?? 0;
      if (pad < 1 || pad > 16) return failed;
      plain = padded.subarray(0, padded.length - pad);
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return failed;
  }
}
