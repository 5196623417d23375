/** Single Logout messages: what we build, and the checks on what an IdP sends (issuer, destination, times, signature). */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLogoutRequestXml, buildLogoutResponseXml, encodeLogoutMessage, readLogoutMessage, STATUS_REQUESTER, STATUS_UNKNOWN_PRINCIPAL } from '../../src/saml/index.js';
import type { IncomingLogout } from '../../src/saml/index.js';
import { logoutRequestXml, logoutResponseXml, readSpPostPage, readSpRedirect, signPost, signRedirect } from '../support/slo.js';
import { generateKeyPair } from '../support/test-idp.js';
import type { KeyPair } from '../support/test-idp.js';

let idp: KeyPair;
let sp: KeyPair;
const now = new Date('2026-07-03T10:00:00Z');
const IDP = 'https://idp.test/unit';
const SLO = 'https://bridge.test/saml/c1/slo';

beforeAll(() => {
  idp = generateKeyPair('unit-idp');
  sp = generateKeyPair('unit-sp');
});

const read = (incoming: IncomingLogout, at = now) =>
  readLogoutMessage({ incoming, idp: { entityId: IDP, certificatesPem: [idp.certificatePem], allowSha1: false }, sloUrl: SLO, now: at, clockSkewMs: 60_000 });
const post = (xml: string, field: 'SAMLRequest' | 'SAMLResponse' = 'SAMLRequest'): IncomingLogout => ({ binding: 'post', field, value: signPost(xml, idp), relayState: null });

describe('readLogoutMessage', () => {
  it('reads a signed LogoutRequest on either binding: NameID, Format, SessionIndexes', () => {
    const xml = logoutRequestXml({ issuer: IDP, destination: SLO, nameId: 'a@b.c', sessionIndexes: ['_1', '_2'], now, id: '_r' });
    const expected = { kind: 'LogoutRequest', id: '_r', issuer: IDP, nameId: 'a@b.c', sessionIndexes: ['_1', '_2'] };
    expect(read(post(xml))).toMatchObject({ ok: true, message: { ...expected, binding: 'post' } });
    expect(read({ binding: 'redirect', rawQuery: signRedirect('SAMLRequest', xml, idp) })).toMatchObject({ ok: true, message: { ...expected, binding: 'redirect' } });
  });

  it('reads a LogoutResponse: InResponseTo and status', () => {
    const xml = logoutResponseXml({ issuer: IDP, inResponseTo: '_ours', now, status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' });
    expect(read(post(xml, 'SAMLResponse'))).toMatchObject({ ok: true, message: { kind: 'LogoutResponse', inResponseTo: '_ours', statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' } });
    expect(read(post(xml, 'SAMLRequest'))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('refuses another issuer, another destination, and times outside the skew', () => {
    expect(read(post(logoutRequestXml({ issuer: 'https://other', nameId: 'a', now })))).toMatchObject({ reason: 'issuer_mismatch' });
    expect(read(post(logoutRequestXml({ issuer: IDP, destination: 'https://elsewhere/slo', nameId: 'a', now })))).toMatchObject({ reason: 'destination_mismatch' });
    const xml = logoutRequestXml({ issuer: IDP, nameId: 'a', now });
    expect(read(post(xml), new Date(now.getTime() - 2 * 60_000))).toMatchObject({ reason: 'assertion_not_yet_valid' });
    expect(read(post(xml), new Date(now.getTime() + 7 * 60_000))).toMatchObject({ reason: 'assertion_expired' });
    expect(read(post(xml), new Date(now.getTime() + 5 * 60_000))).toMatchObject({ ok: true });
  });

  it('refuses an unsigned POST message and one changed after signing', () => {
    const xml = logoutRequestXml({ issuer: IDP, nameId: 'a@b.c', now });
    expect(read({ binding: 'post', field: 'SAMLRequest', value: Buffer.from(xml).toString('base64'), relayState: null })).toMatchObject({ reason: 'signature_missing' });
    const signed = Buffer.from(signPost(xml, idp), 'base64').toString('utf8').replace('a@b.c', 'x@b.c');
    expect(read({ binding: 'post', field: 'SAMLRequest', value: Buffer.from(signed).toString('base64'), relayState: null })).toMatchObject({ reason: 'signature_invalid' });
  });
});

describe('building and sending', () => {
  it('a LogoutRequest names the principal and session; signed on both bindings', () => {
    const xml = buildLogoutRequestXml({ id: '_q', now, issuer: 'https://bridge.test/saml/c1', destination: 'https://idp.test/slo', nameId: 'a&b', nameIdFormat: 'fmt', sessionIndex: '_s' });
    expect(xml).toContain('<saml:NameID Format="fmt">a&amp;b</saml:NameID><samlp:SessionIndex>_s</samlp:SessionIndex>');
    const redirect = encodeLogoutMessage({ xml, field: 'SAMLRequest', binding: 'redirect', endpoint: 'https://idp.test/slo', signing: sp });
    expect(redirect.binding === 'redirect' && readSpRedirect(redirect.location, sp.certificatePem).xml).toBe(xml);
    const form = encodeLogoutMessage({ xml, field: 'SAMLRequest', binding: 'post', endpoint: 'https://idp.test/slo', signing: sp });
    if (form.binding !== 'post') throw new Error('post expected');
    const page = `<form method="post" action="${form.form.action}"><input type="hidden" name="SAMLRequest" value="${form.form.value}"/>`;
    expect(readSpPostPage(page, sp.certificatePem).xml).toContain('<ds:Signature');
  });

  it('a LogoutResponse carries a second-level status when asked', () => {
    const xml = buildLogoutResponseXml({ id: '_p', now, issuer: 'sp', destination: 'idp', inResponseTo: '_q', status: { code: STATUS_REQUESTER, subCode: STATUS_UNKNOWN_PRINCIPAL } });
    expect(xml).toContain(`<samlp:StatusCode Value="${STATUS_REQUESTER}"><samlp:StatusCode Value="${STATUS_UNKNOWN_PRINCIPAL}"/></samlp:StatusCode>`);
    expect(() => buildLogoutResponseXml({ id: '1bad', now, issuer: 'sp', destination: 'idp', inResponseTo: '_q' })).toThrow(TypeError);
  });
});
