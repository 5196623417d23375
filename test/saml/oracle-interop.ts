/**
 * Interop responses for the oracle corpus: unsolicited (IdP-initiated) responses from the pysaml2 and
 * Lasso IdPs of test/support/python-idp.ts, to our SP metadata. Those libraries stamp the real clock,
 * so `now` is the real clock too. A library that cannot be imported contributes no case (and says so).
 */
import { buildSpMetadata } from '../../src/saml/index.js';
import type { SpIdentity } from '../../src/saml/index.js';
import { createPythonIdp, pythonLibraryAvailable } from '../support/python-idp.js';
import type { PythonIdpLibrary, PythonResponseOptions } from '../support/python-idp.js';
import { generateKeyPair } from '../support/test-idp.js';
import { SP } from './harness.js';
import type { Intended, OracleCase } from './oracle-corpus.js';

const EMAIL = 'pat@interop.example';

interface Variant {
  name: string;
  options: Omit<PythonResponseOptions, 'spMetadata' | 'nameId'>;
  allowSha1?: boolean;
  intended: Intended;
}

const VARIANTS: Variant[] = [
  { name: 'signed-assertion', options: {}, intended: 'accept' },
  { name: 'signed-response', options: { sign: 'response' }, intended: 'accept' },
  { name: 'sha1-allowed', options: { algorithm: 'sha1' }, allowSha1: true, intended: 'accept' },
  { name: 'sha1-not-allowed', options: { algorithm: 'sha1' }, intended: 'refuse' },
  { name: 'encrypted-aes256-cbc', options: { encrypt: 'aes256-cbc' }, intended: 'accept' },
  { name: 'encrypted-3des', options: { encrypt: 'tripledes-cbc' }, intended: 'refuse' },
];

export const INTEROP_LIBRARIES: readonly PythonIdpLibrary[] = ['pysaml2', 'lasso'];
const caseName = (library: PythonIdpLibrary, variant: Variant): string => `interop:${library}:${variant.name}`;
/** The case names, known without running Python (so tests can be declared before the IdPs answer). */
export const INTEROP_CASE_NAMES: readonly string[] = INTEROP_LIBRARIES.flatMap((library) => VARIANTS.map((v) => caseName(library, v)));

export interface InteropCorpus {
  cases: OracleCase[];
  /** Libraries that could not be imported here, hence contributed nothing. */
  unavailable: PythonIdpLibrary[];
}

export function interopCases(): InteropCorpus {
  const spKeys = generateKeyPair('interop-sp-encryption');
  const plainSp: SpIdentity = { ...SP };
  const encryptingSp: SpIdentity = { ...SP, encryption: spKeys };
  const metadata = (sp: SpIdentity): string => buildSpMetadata({ ...sp, wantAssertionsSigned: true });
  const cases: OracleCase[] = [];
  const unavailable: PythonIdpLibrary[] = [];
  for (const library of INTEROP_LIBRARIES) {
    if (!pythonLibraryAvailable(library)) {
      unavailable.push(library);
      continue;
    }
    const idp = createPythonIdp(library, { entityId: `https://idp.interop.example/${library}` });
    for (const variant of VARIANTS) {
      const sp = variant.options.encrypt ? encryptingSp : plainSp;
      const { samlResponse } = idp.unsolicited(sp.entityId, { ...variant.options, spMetadata: metadata(sp), nameId: EMAIL, attributes: { mail: [EMAIL] } });
      cases.push({
        name: caseName(library, variant),
        input: {
          samlResponse,
          idp: { entityId: idp.entityId, certificatesPem: [idp.certificatePem], allowSha1: variant.allowSha1 ?? false },
          sp,
          // The library stamped the real clock a moment ago.
          now: new Date(),
        },
        intended: variant.intended,
        nameId: variant.intended === 'refuse' ? undefined : EMAIL,
      });
    }
  }
  return { cases, unavailable };
}
