/**
 * A SAML identity provider for tests and benchmarks: its own RSA-2048 key and self-signed certificate
 * (made once per IdP by `openssl req -x509`, since Node cannot issue certificates), signing a fresh
 * Response on every call with xml-crypto. Everything a refusal test needs is an option; `tamper`
 * edits the XML after signing (and encryption). Node only: it shells out to openssl.
 */
import { execFileSync } from 'node:child_process';
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignedXml } from 'xml-crypto';

export interface KeyPair {
  certificatePem: string;
  privateKeyPem: string;
}

export interface TestIdp extends KeyPair {
  entityId: string;
  /** A signed SAMLResponse, base64 as posted to the ACS. */
  signResponse(options: SignResponseOptions): string;
  /** The same, as XML (to build XSW variants or inspect). */
  signResponseXml(options: SignResponseOptions): string;
}

export type DataEncryption = 'aes128-cbc' | 'aes256-cbc' | 'aes128-gcm' | 'aes256-gcm' | 'tripledes-cbc';
export type KeyTransport = 'rsa-oaep-mgf1p' | 'rsa-1_5';

export interface SignResponseOptions {
  /** Whom the response is for: default Audience, Recipient and Destination. */
  sp: { entityId: string; acsUrl: string };
  /** Reference time: IssueInstant, NotBefore default to it; NotOnOrAfter to +5 min. */
  now: Date;
  nameId?: string | null;
  nameIdFormat?: string;
  attributes?: Record<string, string | string[]>;
  sign?: 'assertion' | 'response' | 'both' | 'none';
  algorithm?: 'sha256' | 'sha1';
  /** Sign with another key than the IdP's own (e.g. an attacker's), keeping this IdP's Issuer. */
  signingKey?: KeyPair;
  /** Put the signing certificate in ds:KeyInfo (default true). */
  keyInfo?: boolean;
  /** Response Issuer; null omits it. Default: the IdP entity ID. */
  issuer?: string | null;
  /** Assertion Issuer. Default: the IdP entity ID. */
  assertionIssuer?: string;
  /** null omits the AudienceRestriction. */
  audience?: string | string[] | null;
  /** null omits Recipient. */
  recipient?: string | null;
  /** null omits Destination. */
  destination?: string | null;
  /** SP-initiated: set on the Response and the SubjectConfirmationData. Absent: IdP-initiated. */
  inResponseTo?: string;
  issueInstant?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** SubjectConfirmationData@NotOnOrAfter, default `notOnOrAfter`. */
  subjectNotOnOrAfter?: Date;
  sessionNotOnOrAfter?: Date;
  sessionIndex?: string;
  statusCode?: string;
  statusMessage?: string;
  /** Default 1; 0 for error responses, 2 to test the "exactly one" rule. */
  assertionCount?: number;
  /** Encrypt the (signed) assertion to this SP certificate. */
  encryptFor?: { certificatePem: string; data?: DataEncryption; key?: KeyTransport };
  responseId?: string;
  assertionId?: string;
  /** Edits each assertion's XML after it is signed and before it is encrypted (what only the plaintext shows). */
  tamperAssertion?: (xml: string) => string;
  tamper?: (xml: string) => string;
}

const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const NS_XENC = 'http://www.w3.org/2001/04/xmlenc#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ALGORITHMS = {
  sha256: { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' },
  sha1: { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
} as const;

/**
 * An RSA-2048 key and a self-signed certificate, via openssl (available on Debian CI and here), valid
 * from now for `days` (default 3650; openssl 3.0 takes whole days from now only: pin the app's clock
 * relative to the certificate's notAfter to see it expire).
 */
export function generateKeyPair(commonName = 'test-idp', options: { days?: number } = {}): KeyPair {
  const days = options.days ?? 3650;
  if (!Number.isInteger(days) || days < 1) throw new Error(`days must be a whole number from 1: ${days}`);
  const dir = mkdtempSync(join(tmpdir(), 'test-idp-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
      '-days', String(days), '-subj', `/CN=${commonName.replace(/[^\w.-]/g, '_').slice(0, 60)}`, '-sha256'], { stdio: 'ignore' });
    return { privateKeyPem: readFileSync(key, 'utf8'), certificatePem: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A new self-signed certificate for the same key (what an IdP's certificate renewal without a new key gives). */
export function reissueCertificate(keys: KeyPair, commonName: string, options: { days?: number } = {}): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'test-idp-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    writeFileSync(key, keys.privateKeyPem, { mode: 0o600 });
    execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-out', cert, '-days', String(options.days ?? 3650),
      '-subj', `/CN=${commonName.replace(/[^\w.-]/g, '_').slice(0, 60)}`, '-sha256'], { stdio: 'ignore' });
    return { privateKeyPem: keys.privateKeyPem, certificatePem: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const toBase64 = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');
export const fromBase64 = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
export const newSamlId = (): string => `_${randomUUID().replace(/-/g, '')}`;
const attr = (name: string, value: string | null | undefined): string => (value == null ? '' : ` ${name}="${escapeXml(value)}"`);
const iso = (d: Date): string => d.toISOString();
const certBody = (pem: string): string => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

function sign(xml: string, keys: KeyPair, options: SignResponseOptions): string {
  const algorithm = ALGORITHMS[options.algorithm ?? 'sha256'];
  const signed = new SignedXml({
    privateKey: keys.privateKeyPem,
    publicCert: keys.certificatePem,
    signatureAlgorithm: algorithm.signature,
    canonicalizationAlgorithm: EXC_C14N,
    ...(options.keyInfo === false ? { getKeyInfoContent: () => null } : {}),
  });
  signed.addReference({ xpath: '/*', transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: algorithm.digest });
  const hasIssuer = /^<[^>]+>\s*<saml:Issuer[\s>]/.test(xml);
  const location = hasIssuer
    ? { reference: `/*/*[local-name(.)='Issuer']`, action: 'after' as const }
    : { reference: '/*', action: 'prepend' as const };
  signed.computeSignature(xml, { prefix: 'ds', location });
  return signed.getSignedXml();
}

/** XML Encryption of one assertion element (independent of the xml-encryption library our SP decrypts with). */
function encrypt(assertionXml: string, spCertificatePem: string, data: DataEncryption, keyTransport: KeyTransport): string {
  const cipherSpec = {
    'aes128-cbc': { name: 'aes-128-cbc', key: 16, iv: 16, uri: `${NS_XENC}aes128-cbc` },
    'aes256-cbc': { name: 'aes-256-cbc', key: 32, iv: 16, uri: `${NS_XENC}aes256-cbc` },
    'aes128-gcm': { name: 'aes-128-gcm', key: 16, iv: 12, uri: 'http://www.w3.org/2009/xmlenc11#aes128-gcm' },
    'aes256-gcm': { name: 'aes-256-gcm', key: 32, iv: 12, uri: 'http://www.w3.org/2009/xmlenc11#aes256-gcm' },
    'tripledes-cbc': { name: 'des-ede3-cbc', key: 24, iv: 8, uri: `${NS_XENC}tripledes-cbc` },
  }[data];
  const symmetricKey = randomBytes(cipherSpec.key);
  const iv = randomBytes(cipherSpec.iv);
  const cipher = createCipheriv(cipherSpec.name, symmetricKey, iv);
  const body = Buffer.concat([cipher.update(assertionXml, 'utf8'), cipher.final()]);
  const tag = data.endsWith('gcm') ? (cipher as unknown as { getAuthTag(): Buffer }).getAuthTag() : Buffer.alloc(0);
  const padding = keyTransport === 'rsa-oaep-mgf1p' ? constants.RSA_PKCS1_OAEP_PADDING : constants.RSA_PKCS1_PADDING;
  const encryptedKey = publicEncrypt({ key: createPublicKey(spCertificatePem), padding }, symmetricKey);
  return (
    `<saml:EncryptedAssertion xmlns:saml="${NS_SAML}">` +
    `<xenc:EncryptedData xmlns:xenc="${NS_XENC}" Type="${NS_XENC}Element">` +
    `<xenc:EncryptionMethod Algorithm="${cipherSpec.uri}"/>` +
    '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">' +
    `<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="${NS_XENC}${keyTransport}">` +
    (keyTransport === 'rsa-oaep-mgf1p' ? '<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>' : '') +
    '</xenc:EncryptionMethod>' +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(spCertificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${encryptedKey.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    '</xenc:EncryptedKey></ds:KeyInfo>' +
    `<xenc:CipherData><xenc:CipherValue>${Buffer.concat([iv, body, tag]).toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    '</xenc:EncryptedData></saml:EncryptedAssertion>'
  );
}

function attributeStatement(attributes: Record<string, string | string[]>): string {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return '';
  const items = entries.map(([name, value]) => {
    const values = (Array.isArray(value) ? value : [value])
      .map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`)
      .join('');
    return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${values}</saml:Attribute>`;
  });
  return `<saml:AttributeStatement>${items.join('')}</saml:AttributeStatement>`;
}

function assertionXml(entityId: string, o: SignResponseOptions, id: string): string {
  const issueInstant = o.issueInstant ?? o.now;
  const notBefore = o.notBefore ?? o.now;
  const notOnOrAfter = o.notOnOrAfter ?? new Date(o.now.getTime() + 5 * 60_000);
  const audiences = o.audience === null ? [] : Array.isArray(o.audience) ? o.audience : [o.audience ?? o.sp.entityId];
  const nameId = o.nameId === undefined ? 'jane.doe@example.com' : o.nameId;
  const nameIdXml = nameId === null ? ''
    : `<saml:NameID Format="${escapeXml(o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress')}">${escapeXml(nameId)}</saml:NameID>`;
  return (
    `<saml:Assertion xmlns:saml="${NS_SAML}" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
    ` ID="${escapeXml(id)}" Version="2.0" IssueInstant="${iso(issueInstant)}">` +
    `<saml:Issuer>${escapeXml(o.assertionIssuer ?? entityId)}</saml:Issuer>` +
    `<saml:Subject>${nameIdXml}<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData${attr('InResponseTo', o.inResponseTo)} NotOnOrAfter="${iso(o.subjectNotOnOrAfter ?? notOnOrAfter)}"` +
    `${attr('Recipient', o.recipient === undefined ? o.sp.acsUrl : o.recipient)}/>` +
    '</saml:SubjectConfirmation></saml:Subject>' +
    `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}">` +
    (audiences.length > 0
      ? `<saml:AudienceRestriction>${audiences.map((a) => `<saml:Audience>${escapeXml(a)}</saml:Audience>`).join('')}</saml:AudienceRestriction>`
      : '') +
    '</saml:Conditions>' +
    `<saml:AuthnStatement AuthnInstant="${iso(issueInstant)}" SessionIndex="${escapeXml(o.sessionIndex ?? `_session${id}`)}"` +
    `${attr('SessionNotOnOrAfter', o.sessionNotOnOrAfter ? iso(o.sessionNotOnOrAfter) : null)}>` +
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>' +
    '</saml:AuthnStatement>' +
    attributeStatement(o.attributes ?? {}) +
    '</saml:Assertion>'
  );
}

/**
 * A test IdP with a freshly generated key (or `keys`, to share one across IdPs and skip openssl);
 * several IdPs may share an entity ID (certificate rollover).
 */
export function createTestIdp(options: { entityId?: string; keys?: KeyPair } = {}): TestIdp {
  const entityId = options.entityId ?? `https://idp.test/${randomUUID()}`;
  const keys = options.keys ?? generateKeyPair(new URL(entityId, 'https://x').hostname || 'test-idp');
  const signResponseXml = (o: SignResponseOptions): string => {
    const signer = o.signingKey ?? keys;
    const mode = o.sign ?? 'assertion';
    const count = o.assertionCount ?? 1;
    const assertions = Array.from({ length: count }, (_, i) => {
      const id = i === 0 && o.assertionId ? o.assertionId : newSamlId();
      let xml = assertionXml(entityId, o, id);
      if (mode === 'assertion' || mode === 'both') xml = sign(xml, signer, o);
      if (o.tamperAssertion) xml = o.tamperAssertion(xml);
      if (o.encryptFor) xml = encrypt(xml, o.encryptFor.certificatePem, o.encryptFor.data ?? 'aes256-cbc', o.encryptFor.key ?? 'rsa-oaep-mgf1p');
      return xml;
    });
    const issuer = o.issuer === undefined ? entityId : o.issuer;
    let xml =
      `<samlp:Response xmlns:samlp="${NS_SAMLP}" xmlns:saml="${NS_SAML}" ID="${escapeXml(o.responseId ?? newSamlId())}" Version="2.0"` +
      ` IssueInstant="${iso(o.issueInstant ?? o.now)}"${attr('Destination', o.destination === undefined ? o.sp.acsUrl : o.destination)}` +
      `${attr('InResponseTo', o.inResponseTo)}>` +
      (issuer === null ? '' : `<saml:Issuer>${escapeXml(issuer)}</saml:Issuer>`) +
      `<samlp:Status><samlp:StatusCode Value="${escapeXml(o.statusCode ?? SUCCESS)}"/>` +
      (o.statusMessage ? `<samlp:StatusMessage>${escapeXml(o.statusMessage)}</samlp:StatusMessage>` : '') +
      '</samlp:Status>' +
      assertions.join('') +
      '</samlp:Response>';
    if (mode === 'response' || mode === 'both') xml = sign(xml, signer, o);
    return o.tamper ? o.tamper(xml) : xml;
  };
  return {
    entityId,
    ...keys,
    signResponseXml,
    signResponse: (o) => toBase64(signResponseXml(o)),
  };
}
