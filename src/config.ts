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

/** How to make a secret, quoted in every refusal of one. */
export const SECRET_RECIPE = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

const secret = (name: string) =>
  v.pipe(v.string(), v.minLength(32, `${name} must be at least 32 characters (generate one with ${SECRET_RECIPE})`));

/** SESSION_SECRET_PREVIOUS: the secrets being rotated away from, comma-separated, newest first. */
const previousSecrets = v.pipe(
  v.string(),
  v.transform((value) => value.split(',').map((part) => part.trim()).filter((part) => part !== '')),
  v.check(
    (list) => list.every((part) => part.length >= 32),
    'must be one or more former SESSION_SECRET values (each at least 32 characters), separated by commas',
  ),
);

/** Production secrets must carry at least this much entropy by `estimatedEntropyBits`. */
export const MIN_SECRET_ENTROPY_BITS = 128;

/**
 * A simple upper estimate of a secret's entropy: its Shannon entropy per character (from the
 * frequencies of its own characters) times its length. It cannot see patterns, but it refuses what
 * people actually paste by mistake ('0000…', 'aaaa…', 'abab…'), and 32 random bytes in base64url
 * (about 200 bits) or hex (about 250) pass easily. Hand-written: no library in the project does this.
 */
export function estimatedEntropyBits(value: string): number {
  const chars = [...value];
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/** A whole number of seconds within [min, max]. */
const seconds = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,4}$/, `must be a number of seconds (${min}-${max})`),
    v.transform(Number),
    v.minValue(min, `must be between ${min} and ${max} seconds`),
    v.maxValue(max, `must be between ${min} and ${max} seconds`),
  );

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
  /** How long opening a PostgreSQL connection may take before the request gets a 503 (not minutes). */
  DATABASE_CONNECT_TIMEOUT_SECONDS: v.optional(seconds(1, 120), '5'),
  /** How long one statement may run (server-side statement_timeout; the client gives up 1 s later). */
  DATABASE_STATEMENT_TIMEOUT_SECONDS: v.optional(seconds(1, 600), '10'),
  DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1)), './.data'),
  PUBLIC_URL: v.optional(origin),
  OPERATOR_TOKEN: v.optional(secret('OPERATOR_TOKEN')),
  SESSION_SECRET: v.optional(secret('SESSION_SECRET')),
  /** Former SESSION_SECRETs during a rotation: still open sealed keys and session cookies, never used for new ones. */
  SESSION_SECRET_PREVIOUS: v.optional(previousSecrets),
  LOG_LEVEL: v.optional(v.picklist(['info', 'silent'], 'must be info or silent'), 'info'),
  /** AuthnRequests (GET /saml/:id/login) one company may store per minute, on all instances together. */
  SAML_LOGIN_RATE_LIMIT_PER_MINUTE: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,6}$/, 'must be a whole number of sign-in starts per minute (1-100000)'),
      v.transform(Number),
      v.minValue(1, 'must be between 1 and 100000'),
      v.maxValue(100_000, 'must be between 1 and 100000'),
    ),
    '300',
  ),
  /** How long events stay in the feed (days, 1 to 3650). */
  EVENT_RETENTION_DAYS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, 'must be a whole number of days (1-3650)'),
      v.transform(Number),
      v.minValue(1, 'must be between 1 and 3650 days'),
      v.maxValue(3650, 'must be between 1 and 3650 days'),
    ),
    '30',
  ),
  /** How often IdP metadata configured by URL is fetched again (minutes, 5 to 10080). */
  METADATA_REFRESH_MINUTES: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,5}$/, 'must be a whole number of minutes (5-10080)'),
      v.transform(Number),
      v.minValue(5, 'must be between 5 and 10080 minutes'),
      v.maxValue(10_080, 'must be between 5 and 10080 minutes'),
    ),
    '60',
  ),
  /**
   * Development and tests: IdP metadata URLs may be http:// and point at loopback (a local IdP, a test
   * server on 127.0.0.1). Private and link-local addresses stay refused; refused in production.
   */
  METADATA_ALLOW_LOOPBACK_URLS: v.optional(v.picklist(['on', 'off'], 'must be on or off'), 'off'),
  /**
   * Node: how many server processes share the port (node:cluster). No default here: it depends on the
   * cores and on NODE_ENV and DATABASE_URL (src/node/web-concurrency.ts), and the Worker ignores it.
   */
  WEB_CONCURRENCY: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,2}$/, 'must be a whole number of processes (1-64)'),
      v.transform(Number),
      v.minValue(1, 'must be between 1 and 64 processes'),
      v.maxValue(64, 'must be between 1 and 64 processes'),
    ),
  ),
  /** The development demo company and test IdP page; ignored when NODE_ENV=production. */
  DEMO: v.optional(v.picklist(['on', 'off'], 'must be on or off'), 'on'),
});

export type EnvConfig = v.InferOutput<typeof EnvSchema>;

/** The settings the app itself needs, whatever the runtime. */
export interface AppConfig {
  readonly publicUrl: string;
  readonly operatorToken: string;
  readonly sessionSecret: string;
  /** SESSION_SECRET_PREVIOUS: accepted for unsealing and for session cookies, never for new ones. */
  readonly previousSessionSecrets?: readonly string[];
  readonly production: boolean;
  /** SAML_LOGIN_RATE_LIMIT_PER_MINUTE (300 when absent). */
  readonly samlLoginRateLimitPerMinute?: number;
  /** EVENT_RETENTION_DAYS (30 when absent). */
  readonly eventRetentionDays?: number;
  /** METADATA_REFRESH_MINUTES (60 when absent). */
  readonly metadataRefreshMinutes?: number;
  /** METADATA_ALLOW_LOOPBACK_URLS=on (never in production): http:// and loopback metadata URLs are fetched. */
  readonly metadataAllowLoopbackUrls?: boolean;
}

export class ConfigError extends Error {}

/**
 * What production refuses, as `NAME: why` lines: secrets too guessable, development-only settings.
 * SESSION_SECRET_PREVIOUS is not checked: rotating away from a weak secret needs it accepted there.
 */
function productionProblems(env: EnvConfig): string[] {
  const lines: string[] = [];
  if (env.METADATA_ALLOW_LOOPBACK_URLS === 'on') {
    lines.push('  METADATA_ALLOW_LOOPBACK_URLS: must be off in production (it lets metadata URLs reach this host)');
  }
  for (const name of ['OPERATOR_TOKEN', 'SESSION_SECRET'] as const) {
    const value = env[name];
    if (value === undefined) continue;
    const bits = Math.floor(estimatedEntropyBits(value));
    if (bits < MIN_SECRET_ENTROPY_BITS) {
      lines.push(
        `  ${name}: has too little entropy for production (about ${bits} bits, at least ${MIN_SECRET_ENTROPY_BITS} needed); generate one with ${SECRET_RECIPE}`,
      );
    }
  }
  return lines;
}

/**
 * Parses the environment; throws ConfigError listing every bad variable. Empty strings count as unset.
 * In production (NODE_ENV=production, or `production` for runtimes that are always production, the
 * Worker) the secrets must also be hard to guess.
 */
export function parseEnv(env: Record<string, string | undefined>, options: { production?: boolean } = {}): EnvConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = v.safeParse(EnvSchema, cleaned);
  const lines = result.success
    ? (options.production ?? result.output.NODE_ENV === 'production')
      ? productionProblems(result.output)
      : []
    : result.issues.map((issue) => {
        const key = issue.path?.map((p) => String(p.key)).join('.') ?? '(environment)';
        return `  ${key}: ${issue.message}`;
      });
  if (result.success && lines.length === 0) return result.output;
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
