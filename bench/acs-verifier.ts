/**
 * The verifiers alone, in this process (pinned to the load core, no server running): our
 * verifySamlResponse and samlify's parseLoginResponse (with a no-op schema validator, as the
 * previous bench/acs.ts ran it: its parse and signature check only), sequentially over the same
 * fresh okta8k responses, counted per CPU-second of this process (process.cpuUsage user + system,
 * so work on libuv's or V8's threads counts too).
 */
import { IdentityProvider, ServiceProvider, setSchemaValidator } from 'samlify';
import { verifySamlResponse } from '../src/saml/index.js';
import type { TestIdp } from '../test/support/test-idp.js';
import { person, signShape } from './saml-shapes.js';

export interface VerifierFigure {
  count: number;
  perCpuSecond: number;
  perWallSecond: number;
  cpuUsPerOp: number;
}

/** CPU and wall time of `op` over `responses`, added into `into`. */
async function timed(responses: readonly string[], op: (r: string) => Promise<void>, into: { cpuUs: number; wallMs: number; count: number }) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const r of responses) await op(r);
  const used = process.cpuUsage(cpu);
  into.cpuUs += used.user + used.system;
  into.wallMs += performance.now() - started;
  into.count += responses.length;
}

const figure = (t: { cpuUs: number; wallMs: number; count: number }): VerifierFigure => ({
  count: t.count,
  perCpuSecond: t.count / (t.cpuUs / 1e6),
  perWallSecond: t.count / (t.wallMs / 1000),
  cpuUsPerOp: t.cpuUs / t.count,
});

export async function verifiersAlone(idp: TestIdp, count: number): Promise<{ ours: VerifierFigure; samlify: VerifierFigure }> {
  const sp = { entityId: 'https://bridge.bench/saml/co_bench/metadata', acsUrl: 'https://bridge.bench/saml/co_bench/acs' };
  // samlify reads the real clock, so the responses are issued now.
  const now = new Date();
  const responses = Array.from({ length: count }, (_, i) => signShape(idp, 'okta8k', sp, person(i, 'verifier.bench.example'), now));
  const trust = { entityId: idp.entityId, certificatesPem: [idp.certificatePem], allowSha1: false };

  const samlSp = ServiceProvider({
    entityID: sp.entityId,
    assertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: sp.acsUrl }],
  });
  const samlIdp = IdentityProvider({
    entityID: idp.entityId,
    signingCert: idp.certificatePem,
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: 'https://idp.bench/sso' }],
    singleLogoutService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: 'https://idp.bench/slo' }],
  });
  const noOpValidator = { validate: async () => 'skipped' };

  const ours = async (r: string) => {
    const result = await verifySamlResponse({ samlResponse: r, idp: trust, sp, now: new Date() });
    if (!result.ok) throw new Error(`verifySamlResponse refused a valid response: ${result.reason}: ${result.detail}`);
  };
  const theirs = async (r: string) => {
    // Ours registers its own validator with samlify (module-global): put the no-op one back each time.
    setSchemaValidator(noOpValidator);
    await samlSp.parseLoginResponse(samlIdp, 'post', { body: { SAMLResponse: r } });
  };
  const warm = responses.slice(0, Math.min(30, responses.length)); // JIT warm-up, not counted
  for (const r of warm) await ours(r);
  for (const r of warm) await theirs(r);
  // In alternating blocks, so a change in the machine's other load falls on both.
  const totals = { ours: { cpuUs: 0, wallMs: 0, count: 0 }, samlify: { cpuUs: 0, wallMs: 0, count: 0 } };
  const blocks = 3;
  for (let b = 0; b < blocks; b++) {
    const block = responses.slice(Math.floor((b * responses.length) / blocks), Math.floor(((b + 1) * responses.length) / blocks));
    await timed(block, ours, totals.ours);
    await timed(block, theirs, totals.samlify);
  }
  return { ours: figure(totals.ours), samlify: figure(totals.samlify) };
}
