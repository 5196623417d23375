import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, estimatedEntropyBits, MIN_SECRET_ENTROPY_BITS, parseEnv } from '../../src/config.js';

describe('parseEnv', () => {
  it('applies defaults', () => {
    expect(parseEnv({})).toMatchObject({ NODE_ENV: 'development', PORT: 3000, DATA_DIR: './.data' });
  });

  it('caps SP-initiated sign-in starts at 300 per company and minute unless SAML_LOGIN_RATE_LIMIT_PER_MINUTE says otherwise', () => {
    expect(parseEnv({}).SAML_LOGIN_RATE_LIMIT_PER_MINUTE).toBe(300);
    expect(parseEnv({ SAML_LOGIN_RATE_LIMIT_PER_MINUTE: '20' }).SAML_LOGIN_RATE_LIMIT_PER_MINUTE).toBe(20);
  });

  it('refreshes metadata by URL every 60 minutes unless METADATA_REFRESH_MINUTES says otherwise; loopback metadata URLs are off', () => {
    expect(parseEnv({})).toMatchObject({ METADATA_REFRESH_MINUTES: 60, METADATA_ALLOW_LOOPBACK_URLS: 'off' });
    expect(parseEnv({ METADATA_REFRESH_MINUTES: '15', METADATA_ALLOW_LOOPBACK_URLS: 'on' })).toMatchObject({ METADATA_REFRESH_MINUTES: 15, METADATA_ALLOW_LOOPBACK_URLS: 'on' });
  });

  it('refuses METADATA_ALLOW_LOOPBACK_URLS=on in production', () => {
    const secrets = { SESSION_SECRET: randomBytes(32).toString('base64url'), OPERATOR_TOKEN: randomBytes(32).toString('base64url') };
    expect(() => parseEnv({ NODE_ENV: 'production', METADATA_ALLOW_LOOPBACK_URLS: 'on', ...secrets })).toThrow(/\bMETADATA_ALLOW_LOOPBACK_URLS: must be off in production/);
    expect(() => parseEnv({ METADATA_ALLOW_LOOPBACK_URLS: 'on', ...secrets }, { production: true })).toThrow(ConfigError);
    expect(parseEnv({ NODE_ENV: 'production', ...secrets }).METADATA_ALLOW_LOOPBACK_URLS).toBe('off');
  });

  it('normalises PUBLIC_URL to an origin and treats empty strings as unset', () => {
    const env = parseEnv({ PUBLIC_URL: 'https://SSO.Example.com/', OPERATOR_TOKEN: '' });
    expect(env.PUBLIC_URL).toBe('https://sso.example.com');
    expect(env.OPERATOR_TOKEN).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ PUBLIC_URL: 'sso.example.com' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://sso.example.com/app' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://sso.example.com' }, 'PUBLIC_URL'],
    [{ OPERATOR_TOKEN: 'short' }, 'OPERATOR_TOKEN'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ SAML_LOGIN_RATE_LIMIT_PER_MINUTE: '0' }, 'SAML_LOGIN_RATE_LIMIT_PER_MINUTE'],
    [{ SAML_LOGIN_RATE_LIMIT_PER_MINUTE: '100001' }, 'SAML_LOGIN_RATE_LIMIT_PER_MINUTE'],
    [{ SAML_LOGIN_RATE_LIMIT_PER_MINUTE: '2.5' }, 'SAML_LOGIN_RATE_LIMIT_PER_MINUTE'],
    [{ SAML_LOGIN_RATE_LIMIT_PER_MINUTE: 'lots' }, 'SAML_LOGIN_RATE_LIMIT_PER_MINUTE'],
    [{ METADATA_REFRESH_MINUTES: '4' }, 'METADATA_REFRESH_MINUTES'],
    [{ METADATA_REFRESH_MINUTES: '10081' }, 'METADATA_REFRESH_MINUTES'],
    [{ METADATA_REFRESH_MINUTES: 'hourly' }, 'METADATA_REFRESH_MINUTES'],
    [{ METADATA_ALLOW_LOOPBACK_URLS: 'yes' }, 'METADATA_ALLOW_LOOPBACK_URLS'],
  ])('refuses %j with a message naming the variable', (env, name) => {
    expect(() => parseEnv(env)).toThrow(ConfigError);
    expect(() => parseEnv(env)).toThrow(new RegExp(`\\b${name}:`));
  });
});

describe('production secrets need real entropy', () => {
  const random = () => randomBytes(32);
  const production = (secrets: Record<string, string>) => parseEnv({ NODE_ENV: 'production', ...secrets });

  it.each([
    ['32 identical digits', '0'.repeat(32)],
    ['40 identical letters', 'a'.repeat(40)],
    ['two letters alternating', 'ab'.repeat(20)],
  ])('refuses %s as SESSION_SECRET or OPERATOR_TOKEN, saying how to generate one', (_label, weak) => {
    for (const name of ['SESSION_SECRET', 'OPERATOR_TOKEN']) {
      expect(() => production({ [name]: weak })).toThrow(ConfigError);
      expect(() => production({ [name]: weak })).toThrow(new RegExp(`\\b${name}: has too little entropy`));
      expect(() => production({ [name]: weak })).toThrow("require('crypto').randomBytes(32).toString('base64url')");
    }
  });

  it('accepts 32 random bytes in base64url, base64 or hex', () => {
    for (let i = 0; i < 200; i++) {
      const [a, b, c] = [random().toString('base64url'), random().toString('base64'), random().toString('hex')];
      expect(production({ SESSION_SECRET: a, OPERATOR_TOKEN: c })).toMatchObject({ SESSION_SECRET: a, OPERATOR_TOKEN: c });
      expect(production({ SESSION_SECRET: b }).SESSION_SECRET).toBe(b);
    }
  });

  it('estimates entropy per character times length', () => {
    expect(estimatedEntropyBits('0'.repeat(32))).toBe(0);
    expect(estimatedEntropyBits('0123456789abcdef'.repeat(2))).toBe(128);
    expect(estimatedEntropyBits(randomBytes(32).toString('base64url'))).toBeGreaterThan(MIN_SECRET_ENTROPY_BITS + 50);
  });

  it('applies outside NODE_ENV=production only when the runtime says so (the Worker)', () => {
    expect(parseEnv({ SESSION_SECRET: '0'.repeat(32) }).SESSION_SECRET).toBe('0'.repeat(32));
    expect(() => parseEnv({ SESSION_SECRET: '0'.repeat(32) }, { production: true })).toThrow(/SESSION_SECRET: has too little entropy/);
  });
});

describe('SESSION_SECRET_PREVIOUS', () => {
  it('is a comma-separated list of former secrets, newest first; spaces and empty items are ignored', () => {
    const [a, b] = [randomBytes(32).toString('base64url'), randomBytes(32).toString('hex')];
    expect(parseEnv({ SESSION_SECRET_PREVIOUS: `${a}, ${b},` }).SESSION_SECRET_PREVIOUS).toEqual([a, b]);
    expect(parseEnv({ SESSION_SECRET_PREVIOUS: a }).SESSION_SECRET_PREVIOUS).toEqual([a]);
  });

  it('refuses a short item, naming the variable', () => {
    expect(() => parseEnv({ SESSION_SECRET_PREVIOUS: `${'x'.repeat(40)},short` })).toThrow(/\bSESSION_SECRET_PREVIOUS:/);
  });

  it('accepts a weak former secret in production: rotating away from it needs it', () => {
    const env = parseEnv({ NODE_ENV: 'production', SESSION_SECRET: randomBytes(32).toString('base64url'), SESSION_SECRET_PREVIOUS: 's'.repeat(40) });
    expect(env.SESSION_SECRET_PREVIOUS).toEqual(['s'.repeat(40)]);
  });
});
