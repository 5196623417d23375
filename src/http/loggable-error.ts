/**
 * What of an unexpected error may go to the logs. A failed query's message quotes its parameters
 * (drizzle: "Failed query: … params: kate@…,usr_…") and PostgreSQL's message and detail quote values
 * too ('Key (email)=(kate@…) already exists', 'invalid input syntax for type uuid: "…"'): emails and
 * NameIDs must not reach the logs. For a database error we log what names the failure, not the data:
 * the statement kind and table, the SQLSTATE code, the constraint/table/column names, and the stack
 * frames without the message.
 */
import { DrizzleQueryError } from 'drizzle-orm/errors';

export interface LoggableError {
  error: string;
  query?: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  stack?: string;
}

/** The statement's kind and first table, e.g. `insert into "audit_events"`; never its values. */
export function statementOf(sql: string): string {
  const kind = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'query';
  const table = /\b(?:into|update|from)\s+("[^"]+"(?:\."[^"]+")?|\w+)/i.exec(sql)?.[1];
  const preposition = ({ insert: 'into ', update: '' } as Record<string, string>)[kind] ?? 'from ';
  return table ? `${kind} ${preposition}${table}` : kind;
}

/** The driver's error (postgres.js PostgresError or PGlite DatabaseError): a SQLSTATE `code` of 5 characters. */
function databaseErrorOf(error: unknown): Record<string, unknown> | null {
  const candidate = error instanceof DrizzleQueryError ? error.cause : error;
  if (typeof candidate !== 'object' || candidate === null) return null;
  const code = (candidate as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? (candidate as Record<string, unknown>) : null;
}

const nameOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Stack frames only: the first lines of a stack repeat the message. */
function framesOf(error: Error): string | undefined {
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? frames.join('\n') : undefined;
}

export function loggableError(error: unknown): LoggableError {
  const database = databaseErrorOf(error);
  if (error instanceof DrizzleQueryError || database) {
    const out: LoggableError = { error: error instanceof DrizzleQueryError ? 'failed query' : 'database error' };
    if (error instanceof DrizzleQueryError) out.query = statementOf(error.query);
    const fields = {
      code: nameOf(database?.code),
      constraint: nameOf(database?.constraint_name ?? database?.constraint),
      table: nameOf(database?.table_name ?? database?.table),
      column: nameOf(database?.column_name ?? database?.column),
      stack: error instanceof Error ? framesOf(error) : undefined,
    };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key as keyof typeof fields] = value;
    return out;
  }
  if (error instanceof Error) return { error: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { error: String(error) };
}
