/**
 * `strictSecondVerdict`: samlify's own parseLoginResponse runs at sign-in only for a connection that
 * opts in. The real samlify is used, wrapped only to count its calls and see its answer.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestIdp } from '../support/test-idp.js';
import { NOW, SP, outcome, verify } from './harness.js';

const seen = vi.hoisted(() => ({ calls: 0, accepted: 0 }));

vi.mock('samlify', async (importOriginal) => {
  const actual = await importOriginal<typeof import('samlify')>();
  return {
    ...actual,
    ServiceProvider: (...args: Parameters<typeof actual.ServiceProvider>) => {
      const sp = actual.ServiceProvider(...args);
      const parse = sp.parseLoginResponse.bind(sp);
      sp.parseLoginResponse = async (...call: Parameters<typeof parse>) => {
        seen.calls++;
        const result = await parse(...call);
        seen.accepted++;
        return result;
      };
      return sp;
    },
  };
});

const idp = createTestIdp({ entityId: 'https://idp.example/strict' });
const response = () => idp.signResponse({ sp: SP, now: NOW, nameId: 'jane@acme.test' });

describe('strictSecondVerdict', () => {
  beforeEach(() => {
    seen.calls = 0;
    seen.accepted = 0;
  });

  it('off (the default): our verifier decides alone, samlify is never called', async () => {
    expect(outcome(await verify(response(), idp))).toBe('accepted');
    expect(outcome(await verify(response(), idp, { idp: { strictSecondVerdict: false } }))).toBe('accepted');
    expect(seen.calls).toBe(0);
  });

  it('on: samlify verifies the same response too and must accept it', async () => {
    const result = await verify(response(), idp, { idp: { strictSecondVerdict: true } });
    expect(outcome(result)).toBe('accepted');
    expect(seen).toEqual({ calls: 1, accepted: 1 });
  });

  it('on: a response our verifier refuses is refused before samlify is asked', async () => {
    const other = createTestIdp({ entityId: idp.entityId });
    const forged = other.signResponse({ sp: SP, now: NOW, nameId: 'jane@acme.test' });
    expect(outcome(await verify(forged, idp, { idp: { strictSecondVerdict: true } }))).toBe('signature_invalid');
    expect(seen.calls).toBe(0);
  });
});
