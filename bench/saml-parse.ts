/**
 * SAML verification cost on this machine: samlify's parseLoginResponse alone vs our verifySamlResponse
 * (which runs our checks and then samlify as a gate), plus the pieces of ours.
 * Run: npx tsx bench/saml-parse.ts [count=300]
 */
import { IdentityProvider, ServiceProvider } from 'samlify';
import { SignedXml } from 'xml-crypto';
import { registerSchemaValidator, verifySamlResponse } from '../src/saml/index.js';
import { checkRoot, inspectResponse } from '../src/saml/structure.js';
import { decodeBase64Xml, parseRoot } from '../src/saml/xml.js';
import { createTestIdp, generateKeyPair } from '../test/support/test-idp.js';

const count = Number(process.argv[2] ?? 300);
const sp = { entityId: 'https://bridge.example.com/saml/co_1/metadata', acsUrl: 'https://bridge.example.com/saml/co_1/acs' };
const idp = createTestIdp({ entityId: 'https://idp.example.com/saml' });
const now = new Date(); // samlify reads the real clock, so the responses are issued now
const attributes = { email: 'jane@acme.test', firstName: 'Jane', lastName: 'Doe', groups: ['engineering', 'admins', 'everyone'] };

const started = performance.now();
const responses = Array.from({ length: count }, (_, i) => idp.signResponse({ sp, now, nameId: `user${i}@acme.test`, attributes }));
const xmls = responses.map((b64) => Buffer.from(b64, 'base64').toString('utf8'));
const spKeys = generateKeyPair('bench-sp');
const encrypted = Array.from({ length: count }, (_, i) =>
  idp.signResponse({ sp, now, nameId: `user${i}@acme.test`, attributes, encryptFor: { certificatePem: spKeys.certificatePem } }));
console.log(`signed ${count} distinct responses (${xmls[0]?.length ?? 0} bytes of XML each) in ${(performance.now() - started).toFixed(0)} ms`);

registerSchemaValidator();
const samlifySp = ServiceProvider({ entityID: sp.entityId, assertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: sp.acsUrl }] });
const samlifyIdp = IdentityProvider({
  entityID: idp.entityId,
  signingCert: idp.certificatePem,
  singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: 'https://idp.example.com/sso' }],
  singleLogoutService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: 'https://idp.example.com/slo' }],
});
const trust = { entityId: idp.entityId, certificatesPem: [idp.certificatePem], allowSha1: false };

async function measure(name: string, op: (i: number) => unknown | Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(30, count); i++) await op(i); // warm-up
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await op(i);
    samples.push(performance.now() - t);
  }
  const total = performance.now() - t0;
  samples.sort((a, b) => a - b);
  const pct = (p: number) => (samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? 0).toFixed(2);
  console.log(`${name.padEnd(44)} ${((count / total) * 1000).toFixed(0).padStart(6)} ops/s   p50 ${pct(0.5).padStart(6)} ms   p99 ${pct(0.99).padStart(6)} ms`);
}

await measure('samlify parseLoginResponse alone', async (i) => {
  await samlifySp.parseLoginResponse(samlifyIdp, 'post', { body: { SAMLResponse: responses[i] } });
});
await measure('verifySamlResponse (ours + samlify gate)', async (i) => {
  const result = await verifySamlResponse({ samlResponse: responses[i] as string, idp: trust, sp, now });
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
});
await measure('verifySamlResponse, encrypted (no gate)', async (i) => {
  const result = await verifySamlResponse({ samlResponse: encrypted[i] as string, idp: trust, sp: { ...sp, encryption: spKeys }, now });
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
});
await measure('  piece: decode + strict parse + structure', (i) => {
  const root = parseRoot(decodeBase64Xml(responses[i] as string));
  return checkRoot(root) ?? inspectResponse(root);
});
await measure('  piece: xml-crypto checkSignature (assertion)', (i) => {
  const xml = xmls[i] as string;
  const signature = parseRoot(xml).getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0] as Element;
  const signed = new SignedXml({ publicCert: idp.certificatePem, getCertFromKeyInfo: () => null });
  signed.loadSignature(signature);
  return signed.checkSignature(xml);
});
