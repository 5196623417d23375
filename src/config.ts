/** Environment -> typed configuration, validated at start with a message that names the bad variable. */
import * as v from 'valibot';

function tryUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

const origin = v.pipe(
  v.string(),
  v.check((value) => {
    const url = tryUrl(value);
    return url !== null && /^https?:$/.test(url.protocol) && url.pathname === '/' && url.search === '' && url.hash === '';
  }, 'must be an http(s) origin such as https://sso.example.com (no path, query or fragment)'),
  v.transform((value) => new URL(value).origin),
);

const secret = (name: string) =>
  v.pipe(v.string(), v.minLength(32, `${name} must be at least 32 characters (e.g. openssl rand -base64 32)`));

const EnvSchema = v.object({
  NODE_ENV: v.optional(v.picklist(['development', 'production', 'test'], 'must be development, production or test'), 'development'),
  PORT: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,5}$/, 'must be a port number'),
      v.transform(Number),
      v.integer(),
      v.minValue(1, 'must be between 1 and 65535'),
      v.maxValue(65535, 'must be between 1 and 65535'),
    ),
    '3000',
  ),
  DATABASE_URL: v.optional(v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL'))),
  /** How long the Node server waits for an unreachable DATABASE_URL at start (containers start out of order). */
  DATABASE_RETRY_SECONDS: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'must be a number of seconds (0-9999)'), v.transform(Number)),
    '30',
  ),
  DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1)), './.data'),
  PUBLIC_URL: v.optional(origin),
  OPERATOR_TOKEN: v.optional(secret('OPERATOR_TOKEN')),
  SESSION_SECRET: v.optional(secret('SESSION_SECRET')),
  LOG_LEVEL: v.optional(v.picklist(['info', 'silent'], 'must be info or silent'), 'info'),
  /** The development demo company and test IdP page; ignored when NODE_ENV=production. */
  DEMO: v.optional(v.picklist(['on', 'off'], 'must be on or off'), 'on'),
});

export type EnvConfig = v.InferOutput<typeof EnvSchema>;

/** The settings the app itself needs, whatever the runtime. */
export interface AppConfig {
  readonly publicUrl: string;
  readonly operatorToken: string;
  readonly sessionSecret: string;
  readonly production: boolean;
}

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError listing every bad variable. Empty strings count as unset. */
export function parseEnv(env: Record<string, string | undefined>): EnvConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = v.safeParse(EnvSchema, cleaned);
  if (result.success) return result.output;
  const lines = result.issues.map((issue) => {
    const key = issue.path?.map((p) => String(p.key)).join('.') ?? '(environment)';
    return `  ${key}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
