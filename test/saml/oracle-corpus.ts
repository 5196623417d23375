/**
 * Every SAML Response the suite knows, as named verifier inputs, for differential tests (samlify as
 * an oracle, and whatever else wants "all the cases"). Three sources:
 * - the real-IdP fixtures of test/fixtures/saml, with their manifest variants and the SHA-1 refusal;
 * - a generated corpus of the attacks and refusals of test/saml/verify*.test.ts (./oracle-attacks.ts);
 * - interop responses from the pysaml2 and Lasso IdPs (./oracle-interop.ts).
 * `intended` is what our verifier is meant to answer, so the corpus can check itself.
 */
import type { VerifyInput } from '../../src/saml/index.js';
import { loadManifest, readFixture, spFor, usesSha1 } from './fixture-manifest.js';
import type { FixtureCase, FixtureVariant } from './fixture-manifest.js';

export type Intended = 'accept' | 'refuse' | 'either';

export interface OracleCase {
  /** Unique and stable: the key of any gap table. */
  name: string;
  input: VerifyInput;
  intended: Intended;
  /** The NameID an accepting verifier must return, when the source says. */
  nameId?: string | undefined;
}

function fixtureInput(c: FixtureCase, options: { allowSha1?: boolean; variant?: FixtureVariant } = {}): VerifyInput {
  const variant = options.variant;
  return {
    samlResponse: readFixture(c.files.responseBase64),
    idp: {
      entityId: variant?.idpEntityId ?? c.idpEntityId,
      certificatesPem: [readFixture(c.files.idpCert)],
      allowSha1: options.allowSha1 ?? usesSha1(c),
    },
    sp: spFor(c, variant?.sp),
    now: new Date(variant?.clock ?? c.clock),
  };
}

const INTENDED: Record<FixtureCase['expected']['outcome'], Intended> = {
  valid: 'accept',
  reject: 'refuse',
  'accept-with-full-nameid-or-reject': 'either',
};

/** Each manifest case at its pinned clock; for valid ones also each variant (but replay) and, if SHA-1, the refusal without the allowance. */
export function fixtureCases(): OracleCase[] {
  const cases: OracleCase[] = [];
  for (const c of loadManifest()) {
    const nameId = c.expected.expectedNameID ?? c.nameId ?? undefined;
    cases.push({ name: `fixture:${c.id}`, input: fixtureInput(c), intended: INTENDED[c.expected.outcome], nameId });
    if (c.expected.outcome !== 'valid') continue;
    for (const variant of c.variants ?? []) {
      // Replay is the replay store's job, not the verifier's: the same response is simply valid again.
      if (variant.name === 'replay') continue;
      cases.push({ name: `fixture:${c.id}:${variant.name}`, input: fixtureInput(c, { variant }), intended: 'refuse' });
    }
    if (usesSha1(c)) cases.push({ name: `fixture:${c.id}:sha1-not-allowed`, input: fixtureInput(c, { allowSha1: false }), intended: 'refuse' });
  }
  return cases;
}
