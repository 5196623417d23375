/**
 * Differential test: every SAML Response the suite knows (real-IdP fixtures and their variants, the
 * generated attack corpus, pysaml2/Lasso interop responses) goes to our verifier and to samlify,
 * configured independently (./samlify-oracle.ts). The accept/refuse verdicts must agree, and an
 * accepted response must give the same NameID from both. Every disagreement is listed in
 * SAMLIFY_GAPS with its direction and why; an entry that no longer disagrees fails too, so the table
 * stays true. Encrypted cases are included: samlify decrypts them through xml-encryption on Node.
 */
import { Buffer } from 'node:buffer';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySamlResponse } from '../../src/saml/index.js';
import type { VerifyResult } from '../../src/saml/index.js';
import { generatedCases } from './oracle-attacks.js';
import { fixtureCases } from './oracle-corpus.js';
import type { OracleCase } from './oracle-corpus.js';
import { INTEROP_CASE_NAMES, interopCases } from './oracle-interop.js';
import type { InteropCorpus } from './oracle-interop.js';
import { samlifyVerdict } from './samlify-oracle.js';
import type { SamlifyVerdict } from './samlify-oracle.js';

interface Gap {
  /**
   * What samlify does with the case while our verifier does the opposite. 'accepts' (we are stricter)
   * is the expected kind; 'refuses' would mean we accept something samlify refuses, so such an entry
   * must name a samlify limitation, never a check of ours that is looser.
   */
  samlify: 'accepts' | 'refuses';
  why: string;
}

const accepts = (why: string): Gap => ({ samlify: 'accepts', why });
const TIME = accepts('samlify does not check time here because its clockDrifts are opened (it reads the real clock, the case pins `now`)');
const AUDIENCE = accepts('samlify does not check Audience');
const RECIPIENT = accepts('samlify does not check Recipient/Destination against the ACS URL');
const SHA1 = accepts('samlify has no SHA-1 policy: rsa-sha1/sha1 signatures verify');
const ANY_SIGNATURE = accepts('samlify accepts a response when any one signature verifies (okta-2024-response-signature-broken)');
const NESTED_RESPONSE = accepts('samlify accepts an unsigned root Response when a signed Response nested in it verifies, reading identity from the signed copy');
const EXPIRED_CERT = accepts("samlify does not check the IdP certificate's notAfter");
const TRIPLE_DES = accepts('samlify decrypts 3DES-CBC content (xml-encryption allows it unless told otherwise)');

/** Case name -> why samlify's verdict differs from ours. */
/** Whether this Node decrypts RSA PKCS#1 v1.5 at all (Node 20 throws since CVE-2023-46809's fix; Node 24 does not). */
function runtimeDecryptsRsaPkcs1(): boolean {
  try {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sealed = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('probe'));
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, sealed).toString() === 'probe';
  } catch {
    return false;
  }
}

const SAMLIFY_GAPS: Record<string, Gap> = {
  ...Object.fromEntries(
    [
      'okta-2016-signed-response-and-assertion',
      'entra-id-2023-signed-assertion',
      'google-workspace-2023-signed-assertion',
      'jumpcloud-2023-signed-assertion',
      'keycloak-2024-signed-assertion-sp-initiated',
      'pingone-2023-signed-assertion',
      'adfs-2017-signed-assertion',
      'pingfederate-2017-signed-assertion-no-destination',
      'onelogin-2016-signed-response',
      'google-workspace-2016-signed-response',
      'auth0-2016-signed-response',
      'okta-2017-encrypted-assertion',
    ].flatMap((id) => [
      [`fixture:${id}:expired`, TIME],
      [`fixture:${id}:not-yet-valid`, TIME],
      [`fixture:${id}:wrong-audience`, AUDIENCE],
      [`fixture:${id}:wrong-acs-url`, RECIPIENT],
    ]),
  ),
  'fixture:onelogin-2016-signed-response:sha1-not-allowed': SHA1,
  'fixture:auth0-2016-signed-response:sha1-not-allowed': SHA1,
  'fixture:okta-2024-response-signature-broken': ANY_SIGNATURE,
  'fixture:onelogin-2016-xsw1-wrapped-response': NESTED_RESPONSE,
  'fixture:onelogin-2016-xsw2-detached-signature': NESTED_RESPONSE,

  'gen:accept:rollover-second-cert-no-keyinfo': { samlify: 'refuses', why: 'samlify tries only the first certificate without KeyInfo' },
  'gen:input:doctype-on-signed-response': accepts('samlify parses a DOCTYPE without entities (the oracle validator checks well-formedness only)'),
  'gen:count:two-assertions-each-signed': accepts('samlify does not require exactly one assertion: it reads the first one whose own signature verifies'),
  'gen:subject:no-nameid': accepts('samlify does not require a NameID'),
  'gen:issuer:other-response-issuer': accepts('samlify compares only the Assertion Issuer, not the Response Issuer'),
  'gen:audience:other': AUDIENCE,
  'gen:audience:missing': AUDIENCE,
  'gen:recipient:other': RECIPIENT,
  'gen:recipient:missing': RECIPIENT,
  'gen:destination:other': RECIPIENT,
  'gen:in-response-to:mismatch': accepts('samlify does not compare the Response InResponseTo with the SubjectConfirmationData one'),
  'gen:time:expired-conditions': TIME,
  'gen:time:expired-subject-confirmation': TIME,
  'gen:time:expired-session': TIME,
  'gen:time:not-yet-valid': TIME,
  'gen:time:issued-in-future': TIME,
  'gen:time:skew-clamped-to-five-minutes': TIME,
  'gen:signature:sha1-not-allowed-assertion': SHA1,
  'gen:signature:sha1-not-allowed-response': SHA1,
  'gen:signature:response-signature-broken-assertion-valid': ANY_SIGNATURE,
  'gen:signature:assertion-signature-moved-to-response': accepts('samlify accepts an assertion signature moved up to the Response: it checks what the reference covers, not where the Signature sits'),
  'gen:wrapping:evil-assertion-before-signed-one': accepts('samlify ignores an unsigned extra assertion next to the signed one (identity still comes from the signed one)'),
  'gen:certificate:expired-idp-certificate-assertion': EXPIRED_CERT,
  'gen:certificate:expired-idp-certificate-response': EXPIRED_CERT,
  'gen:encrypted:3des-content': TRIPLE_DES,
  'gen:encrypted:wrong-audience': AUDIENCE,
  'gen:encrypted:inner-signature-broken-under-valid-response-signature': accepts("samlify does not verify the decrypted assertion's own signature once the Response signature verifies"),
  // Node 20 refuses PKCS#1 v1.5 decryption itself (CVE-2023-46809), so samlify fails there too; Node 24
  // decrypts it (OpenSSL's implicit rejection) and samlify then accepts what we refuse by policy.
  ...(runtimeDecryptsRsaPkcs1()
    ? { 'gen:encrypted:rsa-1_5-key-transport': accepts('samlify (xml-encryption) accepts RSA PKCS#1 v1.5 key transport, refused here as insecure (Bleichenbacher)') }
    : {}),

  'interop:pysaml2:sha1-not-allowed': SHA1,
  'interop:pysaml2:encrypted-3des': TRIPLE_DES,
  'interop:lasso:sha1-not-allowed': SHA1,
  'interop:lasso:encrypted-3des': TRIPLE_DES,
};

const tally = { agree: 0, disagree: 0, acceptedByBoth: 0 };

const show = (ours: VerifyResult, theirs: SamlifyVerdict): string =>
  `ours: ${ours.ok ? `accepted ${ours.assertion.nameId}` : `${ours.reason} (${ours.detail})`}; samlify: ${theirs.ok ? `accepted ${String(theirs.nameId)}` : theirs.error}`;

async function judge(c: OracleCase): Promise<void> {
  const ours = await verifySamlResponse(c.input);
  const theirs = await samlifyVerdict(c.input);
  const gap = SAMLIFY_GAPS[c.name];
  const seen = show(ours, theirs);
  if (ours.ok === theirs.ok) {
    tally.agree += 1;
    expect(gap, `${c.name} is in SAMLIFY_GAPS but both verdicts now agree, remove it (${seen})`).toBeUndefined();
    if (ours.ok && theirs.ok) {
      tally.acceptedByBoth += 1;
      expect(theirs.nameId, `${c.name}: both accept, with different NameIDs`).toBe(ours.assertion.nameId);
    }
  } else {
    tally.disagree += 1;
    expect(gap, `${c.name}: samlify disagrees and SAMLIFY_GAPS does not say why (${seen})`).toBeDefined();
    expect(theirs.ok ? 'accepts' : 'refuses', `${c.name}: SAMLIFY_GAPS says samlify ${gap?.samlify} (${seen})`).toBe(gap?.samlify);
  }
  // The corpus is what it claims, so that the comparison above is about the cases it names.
  if (c.intended !== 'either') expect(ours.ok ? 'accept' : 'refuse', `${c.name}: our verifier (${seen})`).toBe(c.intended);
  if (ours.ok && c.nameId !== undefined) expect(ours.assertion.nameId, `${c.name}: our NameID`).toBe(c.nameId);
}

const local = [...fixtureCases(), ...generatedCases()];

describe('samlify as an independent oracle', () => {
  afterAll(() => {
    // The counts the brief asks for; visible with --reporter=verbose or in the console output.
    console.info(`samlify oracle: ${tally.agree} agree, ${tally.disagree} disagree (all listed in SAMLIFY_GAPS), ${tally.acceptedByBoth} accepted by both with the same NameID`);
  });

  it('names each case once, and the gap table only cases that exist', () => {
    const names = [...local.map((c) => c.name), ...INTEROP_CASE_NAMES];
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(SAMLIFY_GAPS).filter((name) => !names.includes(name))).toEqual([]);
    expect(Object.values(SAMLIFY_GAPS).every((gap) => gap.why.length > 0 && !gap.why.includes('\n'))).toBe(true);
  });

  describe('fixtures and generated cases', () => {
    it.for(local.map((c) => c.name))('%s', async (name) => {
      const c = local.find((candidate) => candidate.name === name);
      if (!c) throw new Error(`no case ${name}`);
      await judge(c);
    });
  });

  describe('interop (pysaml2, Lasso)', () => {
    let corpus: InteropCorpus;
    beforeAll(() => {
      corpus = interopCases();
    }, 120_000);

    it.for(INTEROP_CASE_NAMES)('%s', async (name, context) => {
      const c = corpus.cases.find((candidate) => candidate.name === name);
      // Only when the Python library cannot be imported here (see test/support/python-idp.ts).
      if (!c) {
        expect(corpus.unavailable.some((library) => name.startsWith(`interop:${library}:`)), `${name} was not built`).toBe(true);
        context.skip();
        return;
      }
      await judge(c);
    });
  });
});
