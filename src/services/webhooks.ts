/**
 * Webhook endpoints: the operator's global ones (every company's events: the SaaS backend) and each
 * company's own. A signing secret (`whsec_…`, Standard Webhooks) exists in clear in the response that
 * creates or rotates it; the database keeps it sealed, since signing needs it. During a rotation the
 * previous secret signs too (a second signature in the header) until it expires.
 */
import { randomBytes } from 'node:crypto';
import { EVENT_TYPES } from '../core/events.js';
import { classifyAddress } from '../core/ip-address.js';
import { newId, seal, unsealWithAny } from '../crypto.js';
import { recordAudit } from '../store/audit.js';
import type { Actor } from '../store/audit.js';
import {
  countEndpoints,
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  requeueAfter,
  topCursor,
  updateEndpoint,
} from '../store/webhooks.js';
import type { DeliveryLogQuery, WebhookDelivery, WebhookEndpoint } from '../store/webhooks.js';
import type { ServiceDeps } from './deps.js';
import { InvalidInputError, NotFoundError } from './errors.js';
import { sequenceAll } from './events.js';

export type { WebhookDelivery, WebhookEndpoint };

export const MAX_ENDPOINTS_PER_OWNER = 20;
export const MAX_WEBHOOK_URL_LENGTH = 2000;
/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_HOURS = 24;
const SEAL_PURPOSE = 'webhook-secret';

/**
 * Where a webhook may point. Development and tests: http and loopback (a receiver on 127.0.0.1).
 * Production: https only, and never a loopback, private, link-local or reserved address (SSRF), checked
 * when the URL is set and again before every delivery (a name may be re-pointed).
 */
export interface WebhookUrlPolicy {
  readonly allowLoopback: boolean;
  readonly resolveHost?: ((hostname: string) => Promise<string[]>) | undefined;
}

export const webhookUrlPolicy = (deps: ServiceDeps): WebhookUrlPolicy => ({ allowLoopback: deps.webhookAllowLoopback === true, resolveHost: deps.resolveHost });

export interface WebhookInput {
  url: string;
  eventTypes?: string[] | null | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

export type WebhookPatch = Partial<WebhookInput>;

const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

/** Why the URL's form is refused, or null (its addresses are checked by `refusedAddress`). */
function urlProblem(value: string, policy: WebhookUrlPolicy): string | null {
  if (value.length > MAX_WEBHOOK_URL_LENGTH) return `is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`;
  if (WHITESPACE_OR_CONTROL.test(value)) return 'contains whitespace or a control character';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.username !== '' || url.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) return 'must not contain a user name or password';
  if (url.hash !== '' || value.includes('#')) return 'must not contain a fragment (#)';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && policy.allowLoopback) return null;
  return policy.allowLoopback ? 'must use http or https' : 'must use https';
}

/**
 * Why the URL's host may not be reached (an inside address), or null. IP literals as written; a name
 * by every address it resolves to (Node). Workers have no DNS API: there the platform's fetch, which
 * cannot reach private networks, does the rest.
 */
export async function refusedAddress(value: string, policy: WebhookUrlPolicy): Promise<string | null> {
  const host = new URL(value).hostname.replace(/^\[(.*)\]$/, '$1');
  const judge = (address: string): string | null => {
    const kind = classifyAddress(address) ?? 'reserved';
    if (kind === 'public' || (kind === 'loopback' && policy.allowLoopback)) return null;
    return `points at a ${kind.replace('_', '-')} address (${address}); webhooks go to public addresses only`;
  };
  if (classifyAddress(host) !== null) return judge(host);
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return policy.allowLoopback ? null : 'points at localhost; webhooks go to public addresses only';
  if (!policy.resolveHost) return null;
  let addresses: string[];
  try {
    addresses = await policy.resolveHost(host);
  } catch {
    return `has a host name that does not resolve (${host})`;
  }
  if (addresses.length === 0) return `has a host name that does not resolve (${host})`;
  for (const address of addresses) {
    const problem = judge(address);
    if (problem) return problem;
  }
  return null;
}

async function checkUrl(value: string, policy: WebhookUrlPolicy): Promise<void> {
  const problem = urlProblem(value, policy) ?? (await refusedAddress(value, policy));
  if (problem) throw new InvalidInputError('invalid_webhook_url', `url ${problem}.`);
}

function checkEventTypes(types: string[] | null | undefined): string[] | null {
  if (types === null || types === undefined) return null;
  const known = new Set<string>(EVENT_TYPES);
  const unknown = types.find((t) => !known.has(t));
  if (unknown !== undefined) throw new InvalidInputError('invalid_event_types', `eventTypes lists ${JSON.stringify(unknown)}, which is not an event type (${EVENT_TYPES.join(', ')}).`);
  if (types.length === 0) throw new InvalidInputError('invalid_event_types', 'eventTypes must list at least one type (leave it out, or null, for all).');
  return [...new Set(types)];
}

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The secrets that sign a delivery now: the current one, and the previous one until it expires. */
export function signingSecrets(deps: ServiceDeps, endpoint: WebhookEndpoint, now: Date): string[] {
  const keys = [deps.sessionSecret, ...(deps.previousSessionSecrets ?? [])];
  const open = (sealed: string) => unsealWithAny(sealed, keys, SEAL_PURPOSE)?.plaintext ?? null;
  const current = open(endpoint.secretSealed);
  if (current === null) throw new Error(`the signing secret of webhook ${endpoint.id} cannot be opened with SESSION_SECRET or SESSION_SECRET_PREVIOUS`);
  const previous = endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now ? open(endpoint.previousSecretSealed) : null;
  return previous ? [current, previous] : [current];
}

const auditTarget = (endpoint: WebhookEndpoint) => ({ companyId: endpoint.companyId, targetType: 'webhook', targetId: endpoint.id });

export async function createWebhook(deps: ServiceDeps, actor: Actor, companyId: string | null, input: WebhookInput) {
  await checkUrl(input.url, webhookUrlPolicy(deps));
  const eventTypes = checkEventTypes(input.eventTypes);
  if ((await countEndpoints(deps.db, companyId)) >= MAX_ENDPOINTS_PER_OWNER) {
    throw new InvalidInputError('too_many_webhooks', `At most ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints; delete one first.`);
  }
  const secret = newWebhookSecret();
  // It receives what happens from now on: what is already numbered is behind it (resend reaches back).
  await sequenceAll(deps);
  const now = deps.now();
  const endpoint = await deps.db.transaction(async (tx) => {
    const created = await insertEndpoint(tx, {
      id: newId('whk'),
      companyId,
      url: input.url,
      description: input.description ?? null,
      eventTypes,
      enabled: input.enabled ?? true,
      secretSealed: seal(secret, deps.sessionSecret, SEAL_PURPOSE),
      fannedCursor: await topCursor(tx),
      createdAt: now,
      updatedAt: now,
    });
    await recordAudit(tx, { ...auditTarget(created), actor, action: 'webhook.created', data: { url: created.url, eventTypes, enabled: created.enabled } });
    return created;
  });
  return { endpoint, secret };
}

export { listEndpoints as listWebhooks };

export async function requireWebhook(deps: ServiceDeps, companyId: string | null, id: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(deps.db, companyId, id);
  if (!endpoint) throw new NotFoundError('webhook_not_found', 'No such webhook endpoint.');
  return endpoint;
}

export async function updateWebhook(deps: ServiceDeps, actor: Actor, companyId: string | null, id: string, patch: WebhookPatch): Promise<WebhookEndpoint> {
  if (patch.url !== undefined) await checkUrl(patch.url, webhookUrlPolicy(deps));
  const eventTypes = patch.eventTypes === undefined ? undefined : checkEventTypes(patch.eventTypes);
  return deps.db.transaction(async (tx) => {
    const endpoint = await findEndpoint(tx, companyId, id, true);
    if (!endpoint) throw new NotFoundError('webhook_not_found', 'No such webhook endpoint.');
    const changes = {
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(eventTypes !== undefined ? { eventTypes } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      // Enabling it again ends its failing state: its queued events go out from the oldest.
      ...(patch.enabled !== undefined ? { enabled: patch.enabled, ...(patch.enabled ? { failingSince: null } : {}) } : {}),
      updatedAt: deps.now(),
    };
    const updated = await updateEndpoint(tx, endpoint.id, changes);
    const { updatedAt: _ignored, ...recorded } = changes;
    await recordAudit(tx, { ...auditTarget(updated), actor, action: 'webhook.updated', data: recorded });
    return updated;
  });
}

export async function deleteWebhook(deps: ServiceDeps, actor: Actor, companyId: string | null, id: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const endpoint = await findEndpoint(tx, companyId, id, true);
    if (!endpoint) throw new NotFoundError('webhook_not_found', 'No such webhook endpoint.');
    await deleteEndpoint(tx, endpoint.id);
    await recordAudit(tx, { ...auditTarget(endpoint), actor, action: 'webhook.deleted', data: { url: endpoint.url } });
  });
}

/** A new secret, shown once; the current one becomes the previous and keeps signing for 24 hours. */
export async function rotateWebhookSecret(deps: ServiceDeps, actor: Actor, companyId: string | null, id: string) {
  const secret = newWebhookSecret();
  const now = deps.now();
  const previousSecretExpiresAt = new Date(now.getTime() + PREVIOUS_SECRET_HOURS * 3_600_000);
  await deps.db.transaction(async (tx) => {
    const endpoint = await findEndpoint(tx, companyId, id, true);
    if (!endpoint) throw new NotFoundError('webhook_not_found', 'No such webhook endpoint.');
    await updateEndpoint(tx, endpoint.id, {
      secretSealed: seal(secret, deps.sessionSecret, SEAL_PURPOSE),
      previousSecretSealed: endpoint.secretSealed,
      previousSecretExpiresAt,
      updatedAt: now,
    });
    await recordAudit(tx, { ...auditTarget(endpoint), actor, action: 'webhook.secret_rotated', data: { previousSecretExpiresAt: previousSecretExpiresAt.toISOString() } });
  });
  return { secret, previousSecretExpiresAt };
}

/** Queues again every event after `after` the endpoint wants (delivered before or not); how many. */
export async function resendWebhook(deps: ServiceDeps, actor: Actor, companyId: string | null, id: string, after: number): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const endpoint = await findEndpoint(tx, companyId, id, true);
    if (!endpoint) throw new NotFoundError('webhook_not_found', 'No such webhook endpoint.');
    const queued = await requeueAfter(tx, endpoint, after, deps.now());
    await recordAudit(tx, { ...auditTarget(endpoint), actor, action: 'webhook.resent', data: { after, queued } });
    return queued;
  });
}

export async function webhookDeliveryLog(deps: ServiceDeps, companyId: string | null, query: DeliveryLogQuery) {
  await requireWebhook(deps, companyId, query.endpointId);
  return listDeliveries(deps.db, query);
}
