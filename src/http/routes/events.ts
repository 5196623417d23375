/**
 * The event feed: what happened that an application must know, oldest first, after a cursor, so an
 * application that was down catches up without webhooks. A company admin reads the company's events;
 * the operator reads every company's.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { EVENT_TYPES } from '../../core/events.js';
import { readEvents } from '../../services/events.js';
import type { AppEnv } from '../env.js';
import { requireOperator } from '../middleware/auth.js';
import { describe } from '../openapi-helpers.js';
import { validate } from '../validate.js';

const cursor = v.pipe(v.number(), v.description('Increases in the order events become visible: pass the last one seen as `after`'));
const nullableString = v.nullable(v.string());

/** Each event type's payload (the `data` of an event). */
const payloads = {
  'user.provisioned': v.object({ userId: v.string(), how: v.picklist(['jit', 'invitation']), email: v.optional(v.string()), workspaceId: v.optional(v.string()), permissionSetId: v.optional(v.string()) }),
  'user.confirmed': v.object({ userId: v.string(), via: nullableString }),
  'user.suspended': v.object({ userId: v.string(), reason: nullableString, directoryUserId: v.optional(v.string()) }),
  'user.reactivated': v.object({ userId: v.string(), reason: nullableString, directoryUserId: v.optional(v.string()) }),
  'user.deprovisioned': v.object({ userId: v.string(), reason: v.literal('directory_user_deleted'), directoryUserId: v.optional(v.string()) }),
  'membership.created': v.object({
    userId: v.string(),
    source: v.picklist(['jit', 'invitation', 'group_mapping']),
    groupId: v.optional(v.string()),
    workspaceId: v.string(),
    permissionSetId: v.string(),
  }),
  'membership.updated': v.object({ userId: v.string(), source: v.literal('group_mapping'), groupId: v.optional(v.string()), workspaceId: v.string(), permissionSetId: v.string() }),
  'session.revoked': v.object({ sessionId: v.string(), userId: v.string() }),
  'signin.succeeded': v.object({ userId: v.string(), sessionId: nullableString, flow: nullableString, provisioned: v.boolean(), connectionId: nullableString }),
  'signin.refused': v.object({ reason: v.pipe(v.string(), v.description('The reason code (the refusal page names it too)')), email: nullableString, flow: nullableString, connectionId: nullableString }),
  'directory.user': v.object({ directoryUserId: v.string(), userName: v.string(), active: v.boolean() }),
  'directory.group': v.object({
    directoryGroupId: v.string(),
    displayName: v.string(),
    members: v.optional(v.number()),
    membersAdded: v.optional(v.number()),
    membersRemoved: v.optional(v.number()),
  }),
  'connection.certificate_expiring': v.object({ connectionId: v.string(), expired: v.boolean(), fingerprint: v.string(), notAfter: v.string(), daysLeft: v.number(), threshold: v.number() }),
};

const eventOf = <T extends readonly string[]>(types: T, data: v.GenericSchema) =>
  v.object({ id: v.string(), type: v.picklist(types), companyId: v.string(), occurredAt: v.string(), cursor, data });

const Event = v.variant('type', [
  ...(['user.provisioned', 'user.confirmed', 'user.suspended', 'user.reactivated', 'user.deprovisioned', 'membership.created', 'membership.updated', 'session.revoked', 'signin.succeeded', 'signin.refused', 'connection.certificate_expiring'] as const).map(
    (type) => eventOf([type] as const, payloads[type]),
  ),
  eventOf(EVENT_TYPES.filter((t) => t.startsWith('directory.user.')), payloads['directory.user']),
  eventOf(EVENT_TYPES.filter((t) => t.startsWith('directory.group.')), payloads['directory.group']),
]);
/** What a webhook POSTs: the feed's event, plus the `timestamp` Standard Webhooks payloads carry. */
export const webhookPayloadSchema = () => ({
  allOf: [
    toJsonSchema(Event, { errorMode: 'ignore' }),
    { type: 'object', properties: { timestamp: { type: 'string', format: 'date-time', description: 'When the event occurred (the same as occurredAt)' } }, required: ['timestamp'] },
  ],
});

const EventPage = v.object({ events: v.array(Event), nextCursor: v.pipe(v.number(), v.description('The cursor to pass as `after` next time (unchanged when nothing new)')) });

const EventQuery = v.object({
  after: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, 'after must be a cursor (a number)'), v.transform(Number)), '0'),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'limit must be a number'), v.transform(Number), v.minValue(1), v.maxValue(1000)), '100'),
  types: v.optional(
    v.pipe(
      v.string(),
      v.transform((s) => s.split(',').map((t) => t.trim())),
      v.array(v.picklist(EVENT_TYPES, `types must be a comma-separated list of: ${EVENT_TYPES.join(', ')}`)),
    ),
  ),
});

const feedDescription =
  'Events are written in the same transaction as the change they describe. Cursors increase in the order events become ' +
  'visible, so paging with `after=<nextCursor>` never skips one and never repeats one, while events are being written. ' +
  'Events are kept EVENT_RETENTION_DAYS (default 30).';

async function feed(c: Context<AppEnv>, companyId: string | null, query: v.InferOutput<typeof EventQuery>) {
  c.header('Cache-Control', 'no-store');
  return c.json(await readEvents(c.get('deps'), { companyId, after: query.after, limit: query.limit, types: query.types ?? null }));
}

export const companyEventRoutes = new Hono<AppEnv>().get(
  '/events',
  describe({
    operationId: 'listCompanyEvents',
    summary: "The company's events after a cursor, oldest first",
    description: feedDescription,
    tag: 'Company admin',
    security: 'companyAdmin',
    responses: { 200: { description: 'Events', schema: EventPage } },
    errors: [400, 401, 404],
  }),
  validate('query', EventQuery),
  (c) => feed(c, c.get('authCompanyId'), c.req.valid('query')),
);

export const operatorEventRoutes = new Hono<AppEnv>().use(requireOperator).get(
  '/events',
  describe({
    operationId: 'listEvents',
    summary: "Every company's events after a cursor, oldest first",
    description: feedDescription,
    tag: 'Operator',
    security: 'operator',
    responses: { 200: { description: 'Events', schema: EventPage } },
    errors: [400, 401],
  }),
  validate('query', EventQuery),
  (c) => feed(c, null, c.req.valid('query')),
);
