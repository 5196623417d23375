/** Small helpers so each route's OpenAPI description stays one readable block. */
import type { GenericSchema } from 'valibot';
import { describeRoute, resolver } from 'hono-openapi';
import { ErrorBody } from './schemas.js';

type Responses = Record<number, { description: string; schema?: GenericSchema }>;

const errorResponses: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing or wrong credentials',
  404: 'Unknown id, or it belongs to another company',
  409: 'Conflicts with existing data',
  413: 'Body too large',
  410: 'No longer usable (used or expired)',
  415: 'Body is not JSON',
};

/**
 * Describes a route: summary, tag, security scheme and responses. Error statuses listed in `errors`
 * are documented with the common error body.
 */
export function describe(options: {
  summary: string;
  tag: string;
  security?: 'operator' | 'companyApiKey' | 'none';
  responses: Responses;
  errors?: number[];
}) {
  const responses: NonNullable<Parameters<typeof describeRoute>[0]['responses']> = {};
  for (const [status, r] of Object.entries(options.responses)) {
    responses[status] = r.schema
      ? { description: r.description, content: { 'application/json': { schema: resolver(r.schema) } } }
      : { description: r.description };
  }
  for (const status of options.errors ?? []) {
    responses[String(status)] = {
      description: errorResponses[status] ?? 'Error',
      content: { 'application/json': { schema: resolver(ErrorBody) } },
    };
  }
  const security = options.security ?? 'none';
  return describeRoute({
    summary: options.summary,
    tags: [options.tag],
    ...(security === 'none' ? { security: [] } : { security: [{ [security]: [] }] }),
    responses,
  });
}
