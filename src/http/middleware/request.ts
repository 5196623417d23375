/** Per-request plumbing: request id, one JSON log line per request, and JSON-only bodies for the API. */
import type { MiddlewareHandler } from 'hono';
import { scimErrorBody } from '../../scim/index.js';
import { ScimError } from '../../scim/types.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { INVALID_CHARACTERS, findIllFormedText } from '../../core/text.js';

export type LogSink = (line: Record<string, unknown>) => void;

export const jsonLogSink: LogSink = (line) => console.log(JSON.stringify({ time: new Date().toISOString(), ...line }));

/** Logs method, route pattern (never the raw path: invitation tokens live in paths), status and duration. */
export function requestLog(sink: LogSink | null): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = crypto.randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
    sink?.({
      level: c.res.status >= 500 ? 'error' : 'info',
      msg: 'request',
      requestId,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  };
}

// PostgreSQL text and jsonb cannot hold U+0000: refused at the door, in the URL and in JSON bodies,
// so no id, query or field can ever reach the database with one.
const NUL_IN_JSON = /\\u0000|\u0000/;

/** True when a JSON text carries U+0000, raw or escaped. */
export const jsonHasNul = (text: string): boolean => NUL_IN_JSON.test(text);

/** A URL carrying a NUL byte (`%00`) is refused before routing. */
export const refuseNulInUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.req.url.includes('%00')) return next();
  if (c.req.path.startsWith('/scim/')) {
    // SCIM clients get SCIM's error form (RFC 7644 §3.12), even here.
    const body = scimErrorBody(new ScimError(400, 'invalidValue', 'The URL contains a NUL character'));
    return c.body(JSON.stringify(body), 400, { 'Content-Type': 'application/scim+json; charset=utf-8' });
  }
  return errorResponse(c, 400, { code: 'bad_request', message: 'The URL contains a NUL character.' });
};

/**
 * API writes must be JSON (anything else is a clear 415 instead of a confusing validation error),
 * without NUL and without text src/core/text.ts refuses. The body is read and parsed here once: the
 * validator reads it through `c.req.json()`, which would parse the text again, and is handed this
 * parse instead. Malformed JSON is left to the validator, which names it.
 */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== 'POST' && c.req.method !== 'PUT' && c.req.method !== 'PATCH') return next();
  // A POST without a body (`curl -XPOST url`) may still arrive as an empty stream: read it (the body
  // limit ran first, and hono caches the text) rather than guess from headers.
  const text = c.req.header('Content-Length') === '0' || c.req.raw.body === null ? '' : await c.req.text();
  if (text === '') return next();
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(c.req.header('Content-Type') ?? '')) {
    return errorResponse(c, 415, { code: 'unsupported_media_type', message: 'Send the body as application/json.' });
  }
  if (jsonHasNul(text)) {
    return errorResponse(c, 400, { code: 'invalid_request', message: 'Text fields must not contain NUL characters.' });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return next();
  }
  const bad = findIllFormedText(body);
  if (bad !== null) {
    return errorResponse(c, 400, { code: INVALID_CHARACTERS, message: `${bad}: text must not contain control characters or unpaired surrogates.` });
  }
  c.req.json = () => Promise.resolve(body as never);
  return next();
};
