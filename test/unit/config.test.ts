import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '../../src/config.js';

describe('parseEnv', () => {
  it('applies defaults', () => {
    expect(parseEnv({})).toMatchObject({ NODE_ENV: 'development', PORT: 3000, DATA_DIR: './.data' });
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
  ])('refuses %j with a message naming the variable', (env, name) => {
    expect(() => parseEnv(env)).toThrow(ConfigError);
    expect(() => parseEnv(env)).toThrow(new RegExp(`\\b${name}:`));
  });
});
