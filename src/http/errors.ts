/** The one mapping from failures to HTTP: `{"error": {"code", "message"}}` with a fitting status. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { scimErrorBody } from '../scim/errors.js';
import { ScimError } from '../scim/types.js';
import { databaseUnavailableCode, isDatabaseUnavailable } from '../store/errors.js';

export { isDatabaseUnavailable };
import { DatabaseUnavailablePage } from './pages.js';
import {
  BadGatewayError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidInputError,
  NotFoundError,
  ServiceError,
  UnavailableError,
} from '../services/errors.js';
import { loggableError } from './loggable-error.js';

export interface ErrorPayload {
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
}

export function errorResponse(c: Context, status: ContentfulStatusCode, error: ErrorPayload): Response {
  return c.json({ error: error }, status);
}

function statusOf(error: ServiceError): ContentfulStatusCode {
  if (error instanceof NotFoundError) return 404;
  if (error instanceof InvalidInputError) return 400;
  if (error instanceof ConflictError) return 409;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof GoneError) return 410;
  if (error instanceof UnavailableError) return 503;
  if (error instanceof BadGatewayError) return 502;
  return 400;
}

const HTTP_CODES: Partial<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** What a client is told to wait after a database outage (recovery takes a few seconds, no restart). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The pages a browser lands on: the ACS and SP-initiated start, the landing, admin and demo pages. */
const BROWSER_PAGE = /^\/(?:$|admin$|logout$|dev\/|saml\/[^/]+\/(?:acs|login)$)/;

/** Each client in the form it reads: SCIM clients SCIM's, browsers a page, everything else the JSON error. */
function outageForm(c: Context): 'scim' | 'html' | 'json' {
  const path = c.req.path;
  if (path.startsWith('/scim/')) return 'scim';
  if (BROWSER_PAGE.test(path)) return 'html';
  // An invitation link answers a page when a browser asks for one, JSON otherwise.
  if (path.startsWith('/invitations/') && (c.req.header('Accept') ?? '').includes('text/html')) return 'html';
  return 'json';
}

/** 503 database_unavailable with Retry-After: the request may well succeed in a few seconds. */
export function databaseUnavailable(c: Context, error: unknown): Response | Promise<Response> {
  // Never error.message as such: a failed query's quotes its parameters (emails, NameIDs).
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'database unavailable',
      requestId: c.get('requestId' as never),
      ...loggableError(error),
      code: databaseUnavailableCode(error),
    }),
  );
  c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
  c.header('Cache-Control', 'no-store');
  const message = 'The database does not answer; try again in a few seconds.';
  switch (outageForm(c)) {
    case 'scim':
      return c.body(JSON.stringify(scimErrorBody(new ScimError(503, null, message))), 503, {
        'Content-Type': 'application/scim+json; charset=utf-8',
      });
    case 'html':
      return c.html(DatabaseUnavailablePage({ retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS }), 503);
    case 'json':
      return errorResponse(c, 503, { code: 'database_unavailable', message });
  }
}

/** Hono's onError: known failures become their status; anything else is logged and hidden behind a 500. */
export function handleError(error: Error, c: Context): Response | Promise<Response> {
  if (isDatabaseUnavailable(error)) return databaseUnavailable(c, error);
  if (error instanceof ServiceError) {
    return errorResponse(c, statusOf(error), { code: error.code, message: error.message });
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const code = error.message === 'Malformed JSON in request body' ? 'invalid_json' : (HTTP_CODES[status] ?? 'error');
    return errorResponse(c, status, { code, message: error.message || code });
  }
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'unhandled error',
      requestId: c.get('requestId' as never),
      // Never error.message as such: a failed query's quotes its parameters (emails, NameIDs).
      ...loggableError(error),
    }),
  );
  return errorResponse(c, 500, { code: 'internal_error', message: 'Something went wrong on our side.' });
}
