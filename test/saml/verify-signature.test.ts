/** Signature rules: configured certificates only (rollover), SHA-1 policy, every present signature valid, wrapping, comment injection. */
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { trustedCertificates, verifyEnvelopedSignature } from '../../src/saml/signature.js';
import { parseRoot } from '../../src/saml/xml.js';
import { createTestIdp, generateKeyPair, toBase64 } from '../support/test-idp.js';
import { NOW, SP, outcome, verify } from './harness.js';

const ENTITY_ID = 'https://idp.rollover.example/saml';
const oldIdp = createTestIdp({ entityId: ENTITY_ID });
const newIdp = createTestIdp({ entityId: ENTITY_ID });
const attacker = generateKeyPair('attacker');
const base = { sp: SP, now: NOW };
const both = { certificatesPem: [oldIdp.certificatePem, newIdp.certificatePem] };

describe('certificates', () => {
  it('accepts either certificate while both are listed (rollover), with or without KeyInfo', async () => {
    for (const keyInfo of [true, false]) {
      const fromOld = await verify(oldIdp.signResponse({ ...base, keyInfo }), oldIdp, { idp: both });
      const fromNew = await verify(newIdp.signResponse({ ...base, keyInfo, sign: 'response' }), oldIdp, { idp: both });
      expect(fromOld.ok && fromOld.assertion.signature.certificateIndex).toBe(0);
      expect(fromNew.ok && fromNew.assertion.signature.certificateIndex).toBe(1);
    }
  });

  it('refuses the new certificate once removed, and the old one once replaced', async () => {
    expect(outcome(await verify(newIdp.signResponse(base), oldIdp))).toBe('signature_invalid');
    expect(outcome(await verify(oldIdp.signResponse(base), newIdp))).toBe('signature_invalid');
  });

  it('never trusts the certificate in KeyInfo (attacker re-signs with its own key and cert)', async () => {
    const forged = oldIdp.signResponse({ ...base, signingKey: attacker, sign: 'both', nameId: 'admin@acme.test' });
    const result = await verify(forged, oldIdp);
    expect(outcome(result)).toBe('signature_invalid');
  });
});

describe('algorithms', () => {
  it('refuses SHA-1 unless the company allows it', async () => {
    for (const sign of ['assertion', 'response'] as const) {
      const response = oldIdp.signResponse({ ...base, sign, algorithm: 'sha1' });
      expect(outcome(await verify(response, oldIdp))).toBe('sha1_not_allowed');
      const allowed = await verify(response, oldIdp, { idp: { allowSha1: true } });
      expect(allowed.ok && allowed.assertion.signature.usedSha1).toBe(true);
    }
  });
});

describe('which signatures count', () => {
  it('refuses an unsigned response', async () => {
    expect(outcome(await verify(oldIdp.signResponse({ ...base, sign: 'none' }), oldIdp))).toBe('signature_missing');
  });

  it('refuses a present but invalid Response signature even though the Assertion signature verifies', async () => {
    const response = oldIdp.signResponse({
      ...base,
      sign: 'both',
      tamper: (xml) => xml.replace(/(<samlp:Response[^>]*IssueInstant=")[^"]+"/, '$12026-03-02T09:59:59.000Z"'),
    });
    const result = await verify(response, oldIdp);
    expect(outcome(result)).toBe('signature_invalid');
    expect(!result.ok && result.detail).toContain('Response signature');
  });

  it('refuses content changed after signing (NameID rewritten)', async () => {
    for (const sign of ['assertion', 'response', 'both'] as const) {
      const response = oldIdp.signResponse({ ...base, sign, nameId: 'jane@acme.test', tamper: (x) => x.replace('>jane@acme.test<', '>admin@acme.test<') });
      expect(outcome(await verify(response, oldIdp))).toBe('signature_invalid');
    }
  });

  it('refuses a signature moved to sign something other than its parent', async () => {
    const response = oldIdp.signResponse({
      ...base,
      tamper: (xml) => {
        const doc = new DOMParser().parseFromString(xml, 'text/xml');
        const signature = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0] as Element;
        const root = doc.documentElement;
        signature.parentNode?.removeChild(signature);
        root.insertBefore(signature, root.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'Status')[0] ?? null);
        return new XMLSerializer().serializeToString(doc);
      },
    });
    expect(outcome(await verify(response, oldIdp))).toBe('signature_invalid');
  });
});

describe('NameID comment injection', () => {
  it('reads the full NameID when a comment splits it (the signature still verifies)', async () => {
    for (const sign of ['assertion', 'response'] as const) {
      const response = oldIdp.signResponse({ ...base, sign, nameId: 'ross@octolabs.io', tamper: (x) => x.replace('>ross@octolabs.io<', '>ross@<!-- and a comment -->octolabs.io<') });
      const result = await verify(response, oldIdp);
      expect(result.ok && result.assertion.nameId).toBe('ross@octolabs.io');
    }
  });

  it('CVE-2018-7340: a comment cannot shorten the signed NameID into someone else', async () => {
    // The attacker owns ross@octolabs.io.evil.com at the IdP and hides ".evil.com" behind a comment.
    const response = oldIdp.signResponse({ ...base, sign: 'response', nameId: 'ross@octolabs.io.evil.com', tamper: (x) => x.replace('>ross@octolabs.io.evil.com<', '>ross@octolabs.io<!-- x -->.evil.com<') });
    const result = await verify(response, oldIdp);
    expect(result.ok && result.assertion.nameId).toBe('ross@octolabs.io.evil.com');
  });

  it('refuses text appended after a comment (the fixture shape: the signed text changed)', async () => {
    const response = oldIdp.signResponse({ ...base, sign: 'response', nameId: 'ross@octolabs.io', tamper: (x) => x.replace('>ross@octolabs.io<', '>ross@octolabs.io<!-- x -->.evil.com<') });
    expect(outcome(await verify(response, oldIdp))).toBe('signature_invalid');
  });
});

/** Signature wrapping (XSW) built from genuine test-IdP responses: the signature stays valid over the original element. */
describe('signature wrapping', () => {
  const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
  const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
  const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
  type Wrap = (doc: Document, original: Element, evil: Element) => void;

  /** Parses a signed response, makes an unsigned evil copy of its assertion (NameID admin, new ID), lets `wrap` arrange them. */
  function wrapped(sign: 'assertion' | 'response', wrap: Wrap, sameId = false): string {
    const xml = oldIdp.signResponseXml({ ...base, sign, nameId: 'jane@acme.test' });
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const original = doc.getElementsByTagNameNS(NS_SAML, 'Assertion')[0] as Element;
    const evil = original.cloneNode(true) as Element;
    for (const sig of Array.from(evil.getElementsByTagNameNS(NS_DS, 'Signature'))) sig.parentNode?.removeChild(sig);
    if (!sameId) evil.setAttribute('ID', '_evil_assertion');
    const nameId = evil.getElementsByTagNameNS(NS_SAML, 'NameID')[0] as Element;
    nameId.textContent = 'admin@acme.test';
    wrap(doc, original, evil);
    return toBase64(new XMLSerializer().serializeToString(doc));
  }

  const cases: Array<[string, 'assertion' | 'response', Wrap, boolean?]> = [
    ['evil assertion before the signed one', 'assertion', (_d, original, evil) => original.parentNode?.insertBefore(evil, original)],
    ['signed assertion moved into Extensions', 'assertion', (doc, original, evil) => {
      const root = doc.documentElement;
      const extensions = doc.createElementNS(NS_SAMLP, 'samlp:Extensions');
      root.replaceChild(evil, original);
      extensions.appendChild(original);
      root.insertBefore(extensions, root.getElementsByTagNameNS(NS_SAMLP, 'Status')[0] ?? null);
    }],
    ['signed assertion hidden inside the evil one', 'assertion', (doc, original, evil) => {
      doc.documentElement.replaceChild(evil, original);
      evil.appendChild(original);
    }],
    ['evil assertion with the same ID, original in SubjectConfirmationData', 'assertion', (doc, original, evil) => {
      doc.documentElement.replaceChild(evil, original);
      (evil.getElementsByTagNameNS(NS_SAML, 'SubjectConfirmationData')[0] as Element).appendChild(original);
    }, true],
    ['XSW1: evil Response wrapping the signed Response', 'response', (doc, original, evil) => {
      const signed = doc.documentElement;
      const evilRoot = signed.cloneNode(true) as Element;
      evilRoot.setAttribute('ID', '_evil_response');
      const signature = evilRoot.getElementsByTagNameNS(NS_DS, 'Signature')[0] as Element;
      evilRoot.replaceChild(evil, evilRoot.getElementsByTagNameNS(NS_SAML, 'Assertion')[0] as Element);
      signature.appendChild(signed.cloneNode(true));
      doc.replaceChild(evilRoot, signed);
      void original;
    }],
    ['XSW2: signed Response detached next to the evil content', 'response', (doc, original, evil) => {
      const signed = doc.documentElement;
      const evilRoot = signed.cloneNode(true) as Element;
      evilRoot.setAttribute('ID', '_evil_response');
      evilRoot.replaceChild(evil, evilRoot.getElementsByTagNameNS(NS_SAML, 'Assertion')[0] as Element);
      evilRoot.appendChild(signed.cloneNode(true));
      doc.replaceChild(evilRoot, signed);
      void original;
    }],
  ];

  it.each(cases)('refuses: %s', async (_name, sign, wrap, sameId) => {
    const result = await verify(wrapped(sign, wrap, sameId ?? false), oldIdp);
    expect(result.ok, JSON.stringify(result)).toBe(false);
    expect(['signature_invalid', 'assertion_count', 'signature_missing']).toContain(outcome(result));
  });

  it('the untouched response used to build them is accepted (so the refusals are about the wrapping)', async () => {
    for (const sign of ['assertion', 'response'] as const) {
      const result = await verify(wrapped(sign, () => undefined), oldIdp);
      expect(result.ok && result.assertion.nameId).toBe('jane@acme.test');
    }
  });
});

/** The second line of defence, below the structure rules: only the bytes a signature covers come back. */
describe('verifyEnvelopedSignature', () => {
  const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
  const trusted = trustedCertificates([oldIdp.certificatePem], NOW);
  if (!Array.isArray(trusted)) throw new Error(trusted.detail);
  const certificates = trusted;
  const withEvilSibling = (): { xml: string; original: Element; evil: Element } => {
    const signed = oldIdp.signResponseXml({ ...base, nameId: 'jane@acme.test' });
    const doc = new DOMParser().parseFromString(signed, 'text/xml');
    const original = doc.getElementsByTagNameNS(NS_SAML, 'Assertion')[0] as Element;
    const evil = original.cloneNode(true) as Element;
    evil.setAttribute('ID', '_evil');
    evil.removeChild(signatureOf(evil));
    (evil.getElementsByTagNameNS(NS_SAML, 'NameID')[0] as Element).textContent = 'admin@acme.test';
    original.parentNode?.insertBefore(evil, original);
    const xml = new XMLSerializer().serializeToString(doc);
    const [parsedEvil, parsedOriginal] = Array.from(parseRoot(xml).getElementsByTagNameNS(NS_SAML, 'Assertion'));
    return { xml, original: parsedOriginal as Element, evil: parsedEvil as Element };
  };
  const signatureOf = (el: Element) => el.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0] as Element;

  it('returns the signed assertion only, whatever else the document holds', () => {
    const { xml, original } = withEvilSibling();
    const result = verifyEnvelopedSignature({ xml, signature: signatureOf(original), signedElement: original, certificates, allowSha1: false });
    if (!('signedElement' in result)) throw new Error(result.detail);
    const signedXml = new XMLSerializer().serializeToString(result.signedElement);
    expect(signedXml).toContain('jane@acme.test');
    expect(signedXml).not.toContain('admin@acme.test');
  });

  it('uses the configured certificate, never the one in KeyInfo', () => {
    const forged = oldIdp.signResponseXml({ ...base, signingKey: attacker });
    const assertion = parseRoot(forged).getElementsByTagNameNS(NS_SAML, 'Assertion')[0] as Element;
    const result = verifyEnvelopedSignature({ xml: forged, signature: signatureOf(assertion), signedElement: assertion, certificates, allowSha1: false });
    expect(result).toMatchObject({ ok: false, reason: 'signature_invalid' });
  });

  it('refuses a signature presented for an element it does not reference', () => {
    const { xml, original, evil } = withEvilSibling();
    const result = verifyEnvelopedSignature({ xml, signature: signatureOf(original), signedElement: evil, certificates, allowSha1: false });
    expect(result).toMatchObject({ ok: false, reason: 'signature_invalid' });
  });
});
