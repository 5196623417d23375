/**
 * Webhook endpoints, the same API twice: the operator's global endpoints (`/api/operator/webhooks`,
 * every company's events) and a company admin's own (`/api/companies/:companyId/webhooks`, that
 * company's events only). Secrets are shown in the response that creates or rotates them, never again.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import * as v from 'valibot';
import { EVENT_TYPES } from '../../core/events.js';
import { webhookPayloadSchema } from './events.js';
import {
  createWebhook,
  deleteWebhook,
  listWebhooks,
  MAX_WEBHOOK_URL_LENGTH,
  PREVIOUS_SECRET_HOURS,
  requireWebhook,
  resendWebhook,
  rotateWebhookSecret,
  updateWebhook,
  webhookDeliveryLog,
} from '../../services/webhooks.js';
import type { WebhookEndpoint } from '../../services/webhooks.js';
import type { WebhookDelivery } from '../../services/webhooks.js';
import type { AppEnv } from '../env.js';
import { requireOperator } from '../middleware/auth.js';
import { describe } from '../openapi-helpers.js';
import { validate } from '../validate.js';

// ---- requests

const Url = v.pipe(
  v.string('url must be a string'),
  v.description(
    `Where events are POSTed: absolute, at most ${MAX_WEBHOOK_URL_LENGTH} characters, https, never a private, loopback or link-local ` +
      'address in production (http and 127.0.0.1/localhost are allowed outside production)',
  ),
);
const EventTypes = v.nullable(
  v.pipe(
    v.array(v.picklist(EVENT_TYPES, `eventTypes must list event types: ${EVENT_TYPES.join(', ')}`), 'eventTypes must be an array'),
    v.maxLength(EVENT_TYPES.length * 2, 'eventTypes lists too many types'),
    v.description('The event types this endpoint receives; null or absent: all of them'),
  ),
);
const Description = v.nullable(
  v.pipe(
    v.string('description must be a string'),
    v.maxLength(500, 'description must be at most 500 characters'),
    v.check((s) => !/[\u0000-\u001f\u007f]/.test(s), 'description must not contain control characters'),
  ),
);
const Enabled = v.pipe(v.boolean('enabled must be true or false'), v.description('A disabled endpoint is paused: its events are queued and sent once it is enabled again'));

const CreateBody = v.strictObject({ url: Url, eventTypes: v.optional(EventTypes), description: v.optional(Description), enabled: v.optional(Enabled) });
const PatchBody = v.strictObject({ url: v.optional(Url), eventTypes: v.optional(EventTypes), description: v.optional(Description), enabled: v.optional(Enabled) });
const ResendBody = v.strictObject({
  after: v.pipe(
    v.number('after must be a cursor (a number)'),
    v.integer('after must be a whole number'),
    v.minValue(0, 'after must be 0 or more'),
    v.description('Every retained event with a larger cursor that this endpoint wants is sent again, delivered before or not (the same webhook-id)'),
  ),
});
const WebhookParam = v.object({ webhookId: v.pipe(v.string(), v.maxLength(64)) });
const LogQuery = v.object({
  before: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, 'before must be a cursor (a number)'), v.transform(Number))),
  status: v.optional(v.picklist(['pending', 'delivered', 'failed'], 'status must be pending, delivered or failed')),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,3}$/, 'limit must be a number'), v.transform(Number), v.minValue(1), v.maxValue(100)), '50'),
});

// ---- responses

const isoDate = v.pipe(v.string(), v.isoTimestamp());
const WebhookBody = v.object({
  id: v.string(),
  companyId: v.pipe(v.nullable(v.string()), v.description("null: a global endpoint (every company's events)")),
  url: v.string(),
  description: v.nullable(v.string()),
  eventTypes: v.nullable(v.array(v.string())),
  enabled: v.boolean(),
  failingSince: v.pipe(v.nullable(isoDate), v.description('Set when deliveries failed for 24 hours and the endpoint was disabled; enabling it clears it')),
  previousSecretExpiresAt: v.pipe(v.nullable(isoDate), v.description('During a secret rotation: until then deliveries carry a second signature, made with the previous secret')),
  createdAt: isoDate,
  updatedAt: isoDate,
});
const Secret = v.pipe(v.string(), v.description('The signing secret (whsec_…, Standard Webhooks): shown only in this response'));
const CreatedWebhook = v.object({ ...WebhookBody.entries, secret: Secret });
const WebhookList = v.object({ webhooks: v.array(WebhookBody) });
const RotatedSecret = v.object({
  secret: Secret,
  previousSecretExpiresAt: v.pipe(isoDate, v.description(`The previous secret keeps signing until then (${PREVIOUS_SECRET_HOURS} hours)`)),
});
const Delivery = v.object({
  eventId: v.pipe(v.string(), v.description('The webhook-id of every attempt')),
  eventType: v.string(),
  cursor: v.number(),
  status: v.picklist(['pending', 'delivered', 'failed']),
  attempts: v.number(),
  lastAttemptAt: v.nullable(isoDate),
  lastStatus: v.pipe(v.nullable(v.number()), v.description('The HTTP status of the last answer (null: none, e.g. a timeout)')),
  latencyMs: v.nullable(v.number()),
  lastError: v.nullable(v.string()),
  lastResponse: v.pipe(v.nullable(v.string()), v.description("The start of the last answer's body (1 KB at most)")),
  nextAttemptAt: v.pipe(v.nullable(isoDate), v.description('For a pending delivery: when it is tried next')),
  deliveredAt: v.nullable(isoDate),
});
const DeliveryLog = v.object({
  deliveries: v.array(Delivery),
  nextBefore: v.pipe(v.nullable(v.number()), v.description('Pass as `before` for the next (older) page; null at the end')),
});
const Resent = v.object({ queued: v.pipe(v.number(), v.description('How many events were queued again')) });

const presentWebhook = (w: WebhookEndpoint) => ({
  id: w.id,
  companyId: w.companyId,
  url: w.url,
  description: w.description,
  eventTypes: w.eventTypes,
  enabled: w.enabled,
  failingSince: w.failingSince?.toISOString() ?? null,
  previousSecretExpiresAt: w.previousSecretExpiresAt?.toISOString() ?? null,
  createdAt: w.createdAt.toISOString(),
  updatedAt: w.updatedAt.toISOString(),
});

const presentDelivery = ({ delivery: d, eventType }: { delivery: WebhookDelivery; eventType: string }) => ({
  eventId: d.eventId,
  eventType,
  cursor: d.cursor,
  status: d.status as 'pending' | 'delivered' | 'failed',
  attempts: d.attempts,
  lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
  lastStatus: d.lastStatus,
  latencyMs: d.lastLatencyMs,
  lastError: d.lastError,
  lastResponse: d.lastResponse,
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
});

type Owner = 'operator' | 'company';

const PAYLOAD_NOTE =
  'Each event is POSTed as JSON (the event feed\'s shape plus `timestamp`) with the Standard Webhooks headers `webhook-id` (the event id, ' +
  'the same on every retry), `webhook-timestamp` and `webhook-signature` (HMAC-SHA256 of `id.timestamp.body`). At least once, in cursor ' +
  'order per company; failures are retried after 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then every 8 h; after 24 hours of ' +
  'failures the endpoint is disabled, marked failing and audited.';

/** The routes for one kind of owner: the operator (global endpoints) or the authenticated company. */
function webhookRoutes(owner: Owner) {
  const tag = owner === 'operator' ? 'Operator' : 'Company admin';
  const security = owner === 'operator' ? ('operator' as const) : ('companyAdmin' as const);
  const id = (name: string) => (owner === 'operator' ? name : name.replace(/Webhook/, 'CompanyWebhook'));
  const ownerOf = (c: Context<AppEnv>): string | null => (owner === 'operator' ? null : c.get('authCompanyId'));
  const whose = owner === 'operator' ? "a global endpoint (every company's events)" : "an endpoint for this company's events";
  const notFound = [400, 401, 404];
  const writeErrors = [400, 401, 404, 413, 415];
  const routes = new Hono<AppEnv>();
  if (owner === 'operator') routes.use(requireOperator);
  return routes
    .post(
      '/webhooks',
      describe({
        operationId: id('createWebhook'),
        summary: `Register ${whose}; its signing secret is shown only in this response`,
        description: PAYLOAD_NOTE,
        tag,
        security,
        responses: { 201: { description: 'Registered', schema: CreatedWebhook } },
        errors: [400, 401, 413, 415],
      }),
      validate('json', CreateBody),
      async (c) => {
        const { endpoint, secret } = await createWebhook(c.get('deps'), c.get('actor'), ownerOf(c), c.req.valid('json'));
        return c.json({ ...presentWebhook(endpoint), secret }, 201);
      },
    )
    .get(
      '/webhooks',
      describe({ operationId: id('listWebhooks'), summary: 'List the webhook endpoints (never their secrets)', tag, security, responses: { 200: { description: 'Endpoints, oldest first', schema: WebhookList } }, errors: [401] }),
      async (c) => c.json({ webhooks: (await listWebhooks(c.get('deps').db, ownerOf(c))).map(presentWebhook) }),
    )
    .get(
      '/webhooks/:webhookId',
      describe({ operationId: id('getWebhook'), summary: 'Get a webhook endpoint', tag, security, responses: { 200: { description: 'The endpoint', schema: WebhookBody } }, errors: notFound }),
      validate('param', WebhookParam),
      async (c) => c.json(presentWebhook(await requireWebhook(c.get('deps'), ownerOf(c), c.req.valid('param').webhookId))),
    )
    .patch(
      '/webhooks/:webhookId',
      describe({
        operationId: id('updateWebhook'),
        summary: 'Change a webhook endpoint: url, eventTypes, description, enabled (enabling a failing endpoint resumes it from its oldest queued event)',
        tag,
        security,
        responses: { 200: { description: 'The changed endpoint', schema: WebhookBody } },
        errors: writeErrors,
      }),
      validate('param', WebhookParam),
      validate('json', PatchBody),
      async (c) => c.json(presentWebhook(await updateWebhook(c.get('deps'), c.get('actor'), ownerOf(c), c.req.valid('param').webhookId, c.req.valid('json')))),
    )
    .delete(
      '/webhooks/:webhookId',
      describe({ operationId: id('deleteWebhook'), summary: 'Delete a webhook endpoint (its queue and delivery log go with it)', tag, security, responses: { 204: { description: 'Deleted' } }, errors: notFound }),
      validate('param', WebhookParam),
      async (c) => {
        await deleteWebhook(c.get('deps'), c.get('actor'), ownerOf(c), c.req.valid('param').webhookId);
        return c.body(null, 204);
      },
    )
    .post(
      '/webhooks/:webhookId/rotate-secret',
      describe({
        operationId: id('rotateWebhookSecret'),
        summary: `A new signing secret, shown only in this response; the previous one keeps signing for ${PREVIOUS_SECRET_HOURS} hours (two signatures per delivery)`,
        tag,
        security,
        responses: { 201: { description: 'Rotated', schema: RotatedSecret } },
        errors: notFound,
      }),
      validate('param', WebhookParam),
      async (c) => {
        const { secret, previousSecretExpiresAt } = await rotateWebhookSecret(c.get('deps'), c.get('actor'), ownerOf(c), c.req.valid('param').webhookId);
        return c.json({ secret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() }, 201);
      },
    )
    .post(
      '/webhooks/:webhookId/resend',
      describe({
        operationId: id('resendWebhook'),
        summary: 'Send again every retained event after a cursor that this endpoint wants',
        tag,
        security,
        responses: { 202: { description: 'Queued; sent in cursor order', schema: Resent } },
        errors: writeErrors,
      }),
      validate('param', WebhookParam),
      validate('json', ResendBody),
      async (c) => c.json({ queued: await resendWebhook(c.get('deps'), c.get('actor'), ownerOf(c), c.req.valid('param').webhookId, c.req.valid('json').after) }, 202),
    )
    .get(
      '/webhooks/:webhookId/deliveries',
      describe({
        operationId: id('listWebhookDeliveries'),
        summary: 'The delivery log: each event queued for this endpoint, newest first, with its attempts, last status, latency and next retry',
        tag,
        security,
        query: {
          before: { description: 'Only events with a smaller cursor (the previous page\'s `nextBefore`)' },
          status: { description: 'pending, delivered or failed' },
          limit: { description: '1 to 100 (default 50)' },
        },
        responses: { 200: { description: 'Deliveries', schema: DeliveryLog } },
        errors: notFound,
      }),
      validate('param', WebhookParam),
      validate('query', LogQuery),
      async (c) => {
        const query = c.req.valid('query');
        const rows = await webhookDeliveryLog(c.get('deps'), ownerOf(c), {
          endpointId: c.req.valid('param').webhookId,
          before: query.before ?? null,
          status: query.status ?? null,
          limit: query.limit,
        });
        c.header('Cache-Control', 'no-store');
        return c.json({ deliveries: rows.map(presentDelivery), nextBefore: rows.length === query.limit ? rows[rows.length - 1]!.delivery.cursor : null });
      },
    );
}

const signatureHeader = (name: string, description: string) => ({ name, in: 'header' as const, required: true, description, schema: { type: 'string' as const } });

/** The OpenAPI 3.1 `webhooks` entry: what a registered endpoint receives. */
export const webhookDocumentation = {
  event: {
    post: {
      operationId: 'receiveEvent',
      summary: 'An event, POSTed to each webhook endpoint that wants it',
      description: PAYLOAD_NOTE,
      tags: ['Webhooks'],
      // No credentials of ours: the receiver authenticates the request by its signature.
      security: [],
      parameters: [
        signatureHeader('webhook-id', 'The event id: the same on every retry and resend (dedupe on it)'),
        signatureHeader('webhook-timestamp', 'When this attempt was signed, in seconds since the epoch'),
        signatureHeader('webhook-signature', 'Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`: two during a secret rotation'),
      ],
      requestBody: { required: true, content: { 'application/json': { schema: webhookPayloadSchema() as Record<string, unknown> } } },
      responses: {
        '200': { description: 'Any 2xx: delivered' },
        '400': { description: 'Anything else (or no answer within 10 s) is retried with back-off' },
      },
    },
  },
};

export const operatorWebhookRoutes = webhookRoutes('operator');
export const companyWebhookRoutes = webhookRoutes('company');
