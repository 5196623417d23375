/**
 * The example application's webhook receiver (development only, at /dev/app/webhooks): the demo
 * registers a company webhook endpoint for the demo company pointing here (src/dev/demo.ts), the
 * bridge POSTs each of the company's events to it (Standard Webhooks), this app verifies every one
 * with the `standardwebhooks` library, exactly as the README tells an application to, and /dev/app
 * lists the latest ones, newest first.
 *
 * Like the app's sessions, what it received lives in this process's memory: the demo is a single
 * development process, and the list only illustrates what arrives. A real application stores what it
 * handled (and the webhook-ids it has seen) in its own database.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { Webhook } from 'standardwebhooks';
import type { AppEnv } from '../http/env.js';

/** The demo company's endpoint, as src/dev/demo.ts registered it (its secret is kept in DATA_DIR/demo.json). */
export interface DemoWebhook {
  id: string;
  secret: string;
}

/** How many received events the page keeps (older ones are dropped). */
export const KEEP_RECEIVED = 50;
/** An event is a few hundred bytes; anything this large is not one. */
const BODY_LIMIT_BYTES = 256 * 1024;
const SUMMARY_CHARS = 160;

export interface ReceivedEvent {
  id: string;
  type: string;
  cursor: number;
  occurredAt: string;
  receivedAt: Date;
  summary: string;
}

/** A line about the event's data: its plain values as `key=value`, a list by its length. */
export function summarize(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const parts = Object.entries(data as Record<string, unknown>).flatMap(([key, value]) => {
    if (value === null || value === undefined) return [];
    if (Array.isArray(value)) return [`${key}=[${value.length}]`];
    if (typeof value === 'object') return [`${key}={…}`];
    return [`${key}=${String(value)}`];
  });
  const line = parts.join(', ');
  return line.length > SUMMARY_CHARS ? `${line.slice(0, SUMMARY_CHARS - 1)}…` : line;
}

export interface DemoWebhookInbox {
  /** POST /dev/app/webhooks. */
  routes: Hono<AppEnv>;
  /** The events received, newest first. */
  received(): readonly ReceivedEvent[];
  /** Whether the demo has an endpoint (it has none when the bridge refused PUBLIC_URL as a webhook target). */
  readonly registered: boolean;
}

export function demoWebhookInbox(webhook: DemoWebhook | null): DemoWebhookInbox {
  // In memory, newest first: one development process (see above).
  const events: ReceivedEvent[] = [];
  const verifier = webhook ? new Webhook(webhook.secret) : null;
  const routes = new Hono<AppEnv>().post(
    '/dev/app/webhooks',
    bodyLimit({ maxSize: BODY_LIMIT_BYTES, onError: (c) => c.json({ error: 'payload_too_large' }, 413) }),
    async (c) => {
      if (!verifier) return c.json({ error: 'not_registered', message: 'The demo has no webhook endpoint.' }, 404);
      let event: { id?: unknown; type?: unknown; cursor?: unknown; occurredAt?: unknown; data?: unknown };
      try {
        // The raw body as received, and the webhook-id, webhook-timestamp and webhook-signature headers.
        event = verifier.verify(await c.req.text(), c.req.header()) as typeof event;
      } catch {
        return c.json({ error: 'invalid_signature', message: 'The webhook signature does not verify with the secret of the demo endpoint.' }, 400);
      }
      if (typeof event?.id !== 'string' || typeof event.type !== 'string' || typeof event.cursor !== 'number') {
        return c.json({ error: 'invalid_event', message: 'Not an event of the bridge.' }, 400);
      }
      // At least once: a retry (or a resend) carries the same id, so it is listed once.
      if (!events.some((e) => e.id === event.id)) {
        events.unshift({
          id: event.id,
          type: event.type,
          cursor: event.cursor,
          occurredAt: typeof event.occurredAt === 'string' ? event.occurredAt : '',
          receivedAt: new Date(),
          summary: summarize(event.data),
        });
        events.length = Math.min(events.length, KEEP_RECEIVED);
      }
      return c.body(null, 204);
    },
  );
  return { routes, received: () => events, registered: webhook !== null };
}

export const WEBHOOKS_CSS = `table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:.9rem} th,td{overflow-wrap:anywhere;word-break:break-word} th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
td.data{word-break:break-word}`;

/** The section of /dev/app that lists what arrived (no script: a link reloads it). */
export const ReceivedWebhooks = (props: { inbox: DemoWebhookInbox }) => {
  const events = props.inbox.received();
  return (
    <section id="webhooks">
      <h2>Webhooks received</h2>
      <p class="note">
        {props.inbox.registered
          ? `The bridge POSTs the demo company's events to /dev/app/webhooks (Standard Webhooks); this application verifies each signature with the standardwebhooks library and keeps the last ${KEEP_RECEIVED} in memory. Newest first.`
          : 'The demo has no webhook endpoint: the bridge refused PUBLIC_URL/dev/app/webhooks as a webhook URL (see the server log).'}{' '}
        <a href="/dev/app">Refresh</a>
      </p>
      {events.length === 0 ? (
        <p id="no-webhooks">None yet: sign in at the test IdP (/dev/idp), or change something in the demo company, then refresh.</p>
      ) : (
        <table id="webhooks-received">
          <thead>
            <tr>
              <th>Time</th>
              <th>Type</th>
              <th>Cursor</th>
              <th>Data</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr data-event-id={e.id}>
                <td>
                  <time datetime={e.occurredAt}>{e.occurredAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>
                </td>
                <td>
                  <code>{e.type}</code>
                </td>
                <td>{e.cursor}</td>
                <td class="data">{e.summary}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
};
