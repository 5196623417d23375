/** Small helpers so each route's OpenAPI description stays one readable block. */
import type { GenericSchema } from 'valibot';
import { describeRoute, resolver } from 'hono-openapi';
import { ErrorBody } from './schemas.js';

type Operation = Parameters<typeof describeRoute>[0];

interface ResponseSpec {
  description: string;
  /** A JSON body (application/json), as a valibot schema. */
  schema?: GenericSchema;
  /** Any other body: its media type (the body is described as a string). */
  mediaType?: 'text/html' | 'application/samlmetadata+xml' | 'text/javascript';
  headers?: Record<string, { description: string }>;
}
type Responses = Record<number, ResponseSpec>;

const errorResponses: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing or wrong credentials',
  404: 'Unknown id, or it belongs to another company',
  409: 'Conflicts with existing data',
  413: 'Body too large',
  410: 'No longer usable (used or expired)',
  415: 'Body is not JSON',
  502: "A system the request depends on failed (the IdP's metadata URL); the error code and message name the problem",
  503: 'Unavailable until the operator acts (the error code and message say what to do)',
};

/**
 * Who may call a route, as OpenAPI security requirements (alternatives, any one suffices):
 * - companyAdmin: a company API key, or the session cookie of a signed-in admin (the admin page calls
 *   the same JSON API with its cookie);
 * - optionalSession: works without a session too (it then does less, e.g. logout only clears the cookie).
 */
export type Security = 'operator' | 'companyApiKey' | 'companyAdmin' | 'session' | 'optionalSession' | 'oauthClient' | 'oidcAccessToken' | 'none';

const requirements: Record<Security, Record<string, string[]>[]> = {
  operator: [{ operator: [] }],
  companyApiKey: [{ companyApiKey: [] }],
  companyAdmin: [{ companyApiKey: [] }, { session: [] }],
  session: [{ session: [] }],
  optionalSession: [{ session: [] }, {}],
  oauthClient: [{ oauthClientBasic: [] }, {}],
  oidcAccessToken: [{ oidcAccessToken: [] }],
  none: [],
};

/** The security schemes every requirement above names (components.securitySchemes). */
export const securitySchemes = {
  operator: { type: 'http', scheme: 'bearer', description: 'OPERATOR_TOKEN from the environment' },
  companyApiKey: { type: 'http', scheme: 'bearer', description: 'A company admin API key' },
  oauthClientBasic: {
    type: 'http',
    scheme: 'basic',
    description:
      "client_secret_basic: the application's client_id and client_secret (each form-urlencoded) as HTTP Basic credentials. " +
      'client_secret_post (client_id and client_secret in the form body) is accepted instead.',
  },
  oidcAccessToken: { type: 'http', scheme: 'bearer', description: 'An access token from POST /oauth/token' },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-bridge_session',
    description:
      'The session cookie the ACS sets after a SAML sign-in: signed, HttpOnly, Secure, SameSite=Lax. Its `__Host-` prefix ' +
      'applies when PUBLIC_URL is https (over plain http in development it is named `bridge_session`).',
  },
} as const;

/** An HTML page, a SAML metadata document or a script: described as a string of that media type. */
function textContent(mediaType: NonNullable<ResponseSpec['mediaType']>) {
  return { [mediaType]: { schema: { type: 'string' as const } } };
}

/**
 * Describes a route: a unique operationId, summary, tag, security and responses. Error statuses
 * listed in `errors` are documented with the common JSON error body.
 */
export function describe(options: {
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  security?: Security;
  responses: Responses;
  errors?: number[];
  requestBody?: Operation['requestBody'];
  /** Query parameters, by name: a description and whether it is required (all are strings). */
  query?: Record<string, { description: string; required?: boolean }>;
  hide?: boolean;
}) {
  const responses: NonNullable<Operation['responses']> = {};
  for (const [status, r] of Object.entries(options.responses)) {
    const response: Record<string, unknown> = { description: r.description };
    if (r.schema) response.content = { 'application/json': { schema: resolver(r.schema) } };
    else if (r.mediaType) response.content = textContent(r.mediaType);
    if (r.headers) {
      response.headers = Object.fromEntries(Object.entries(r.headers).map(([name, h]) => [name, { description: h.description, schema: { type: 'string' } }]));
    }
    responses[status] = response as NonNullable<Operation['responses']>[string];
  }
  for (const status of options.errors ?? []) {
    responses[String(status)] = {
      description: errorResponses[status] ?? 'Error',
      content: { 'application/json': { schema: resolver(ErrorBody) } },
    };
  }
  const operation: Operation = {
    operationId: options.operationId,
    summary: options.summary,
    tags: [options.tag],
    security: requirements[options.security ?? 'none'],
    responses,
  };
  if (options.description !== undefined) operation.description = options.description;
  if (options.requestBody !== undefined) operation.requestBody = options.requestBody;
  if (options.query !== undefined) {
    operation.parameters = Object.entries(options.query).map(([name, q]) => ({
      name,
      in: 'query' as const,
      required: q.required ?? false,
      description: q.description,
      schema: { type: 'string' as const },
    }));
  }
  if (options.hide) operation.hide = true;
  return describeRoute(operation);
}

/** The 400 every route can answer: the app refuses URLs containing a NUL character before routing. */
export const NUL_IN_URL = { description: 'The URL contains a NUL character (%00)', schema: ErrorBody } as const;
