/** Recognises PostgreSQL constraint violations the same way for postgres.js and PGlite (drizzle wraps both). */

interface PgErrorLike {
  code?: unknown;
  constraint?: unknown;
  constraint_name?: unknown;
  cause?: unknown;
}

function findPgError(error: unknown, code: string): PgErrorLike | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const candidate = current as PgErrorLike;
    if (candidate.code === code) return candidate;
    current = candidate.cause;
  }
  return null;
}

function constraintOf(error: PgErrorLike): string | null {
  const name = error.constraint ?? error.constraint_name;
  return typeof name === 'string' ? name : null;
}

/** True when `error` is a unique violation (of `constraint`, when given). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = findPgError(error, '23505');
  if (!pg) return false;
  return constraint === undefined || constraintOf(pg) === constraint;
}

/** True when `error` is a foreign-key violation. */
export function isForeignKeyViolation(error: unknown): boolean {
  return findPgError(error, '23503') !== null;
}

/**
 * The database did not answer in time or the connection to it failed: the request may succeed later,
 * so the HTTP layer answers 503 with Retry-After rather than 500.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
}

// Socket failures (Node), postgres.js's own connection codes, and SQLSTATEs that mean "not now" rather
// than "wrong query": 57014 query_canceled (statement_timeout), 57P01-57P03 shutdown / starting up,
// 53300 too_many_connections; class 08 (connection exception) is matched by prefix below.
const UNAVAILABLE_CODES = new Set([
  'DATABASE_UNAVAILABLE',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

function unavailableCode(code: unknown): boolean {
  return typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code));
}

/**
 * The code that makes `error` an outage, found in it or what it wraps (drizzle's query error, an
 * AggregateError of connect attempts); null when it is not one.
 */
export function databaseUnavailableCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const candidate = current as PgErrorLike & { errors?: unknown };
    if (unavailableCode(candidate.code)) return candidate.code as string;
    const inner = Array.isArray(candidate.errors)
      ? (candidate.errors as PgErrorLike[]).find((attempt) => unavailableCode(attempt?.code))
      : undefined;
    if (inner) return inner.code as string;
    current = candidate.cause;
  }
  return null;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseUnavailableCode(error) !== null;
}
