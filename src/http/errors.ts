/** The one mapping from failures to HTTP: `{"error": {"code", "message"}}` with a fitting status. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
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

/** Hono's onError: known failures become their status; anything else is logged and hidden behind a 500. */
export function handleError(error: Error, c: Context): Response {
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
