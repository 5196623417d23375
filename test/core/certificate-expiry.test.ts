import { describe, expect, it } from 'vitest';
import { certificateExpiry, certificateNotice } from '../../src/core/certificate-expiry.js';

const DAY = 86_400_000;
const NOT_AFTER = new Date('2030-06-01T12:00:00Z');
const at = (msBefore: number) => new Date(NOT_AFTER.getTime() - msBefore);

describe('certificateExpiry', () => {
  it.each([
    [61 * DAY, 61, null],
    [60 * DAY + 1, 60, null],
    [60 * DAY, 60, 'expiring_60'],
    [30 * DAY + 1, 30, 'expiring_60'],
    [30 * DAY, 30, 'expiring_30'],
    [7 * DAY + 1, 7, 'expiring_30'],
    [7 * DAY, 7, 'expiring_7'],
    [1, 0, 'expiring_7'],
    [0, 0, 'expired'],
    [-1, -1, 'expired'],
    [-3 * DAY, -3, 'expired'],
  ] as const)('%d ms before notAfter: %d days left, warning %s', (before, daysLeft, warning) => {
    const expiry = certificateExpiry(NOT_AFTER, at(before));
    expect(expiry).toMatchObject({ daysLeft, warning, expired: before <= 0 });
    expect(expiry.threshold).toBe(warning === null ? null : warning === 'expired' ? 0 : Number(warning.slice('expiring_'.length)));
  });
});

describe('certificateNotice', () => {
  const cert = { fingerprintSha256: 'AB:CD', subject: 'CN=idp\nO=Acme', notAfter: NOT_AFTER };
  it('says nothing more than 60 days ahead, counts the days before, and tells whether an expired one is still accepted', () => {
    expect(certificateNotice(cert, certificateExpiry(NOT_AFTER, at(61 * DAY)), { allowExpiredCertificates: false })).toBeNull();
    expect(certificateNotice(cert, certificateExpiry(NOT_AFTER, at(29 * DAY)), { allowExpiredCertificates: false })).toMatchObject({
      code: 'certificate_expiring',
      fingerprint: 'AB:CD',
      message: expect.stringMatching(/^The IdP signing certificate CN=idp O=Acme \(SHA-256 AB:CD\) expires in 29 days, on 2030-06-01T12:00:00.000Z\./),
    });
    expect(certificateNotice(cert, certificateExpiry(NOT_AFTER, at(DAY / 2)), { allowExpiredCertificates: false })?.message).toContain('expires today');
    expect(certificateNotice(cert, certificateExpiry(NOT_AFTER, at(0)), { allowExpiredCertificates: false })?.message).toContain('refused (certificate_expired)');
    expect(certificateNotice(cert, certificateExpiry(NOT_AFTER, at(0)), { allowExpiredCertificates: true })?.message).toContain('still accepted');
  });
});
