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
