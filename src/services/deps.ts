/** What every use case receives: the database, the public origin and the clock (a parameter, never read directly). */
import type { Db } from '../store/db.js';
import type { HostResolver } from './metadata-fetch.js';

export interface ServiceDeps {
  readonly db: Db;
  /** The origin URLs are built from, without a trailing slash (e.g. https://sso.example.com). */
  readonly publicUrl: string;
  readonly now: () => Date;
  /** SESSION_SECRET: signs session cookies and seals secrets kept in the database. */
  readonly sessionSecret: string;
  /** SESSION_SECRET_PREVIOUS during a rotation: opens what they sealed, never seals anything new. */
  readonly previousSessionSecrets?: readonly string[];
  /**
   * One successful sign-in in this many also purges expired replay-cache entries, AuthnRequests and
   * sessions, and one SP-initiated start in this many deletes a bounded batch of expired AuthnRequests
   * and rate counters (default 32; 0 never: tests whose clocks are pinned to other years share one database).
   */
  readonly purgeEvery?: number;
  /** SAML_LOGIN_RATE_LIMIT_PER_MINUTE: AuthnRequests one company may store per minute (default 300). */
  readonly samlLoginRateLimitPerMinute?: number;
  /** EVENT_RETENTION_DAYS: how long events stay in the feed (default 30). */
  readonly eventRetentionDays?: number;
  /** METADATA_REFRESH_MINUTES: how often metadata configured by URL is fetched again (default 60). */
  readonly metadataRefreshMinutes?: number;
  /** METADATA_ALLOW_LOOPBACK_URLS (development and tests): http:// and loopback metadata URLs are allowed. */
  readonly metadataAllowLoopbackUrls?: boolean;
  /** Development and tests (not production): webhooks may use http and point at loopback (127.0.0.1, localhost). */
  readonly webhookAllowLoopback?: boolean;
  /** How long a webhook POST may take (default 10 s; tests shorten it). */
  readonly webhookTimeoutMs?: number;
  /** Resolves a metadata URL's host before it is fetched (node:dns on Node; Workers have none). */
  readonly resolveHost?: HostResolver;
  /**
   * Keeps `work` running after the response is sent (Workers: ctx.waitUntil; Node: the promise simply
   * runs on). Absent outside a request (timers, the Cron Trigger), where the caller awaits instead.
   */
  readonly defer?: (work: Promise<unknown>) => void;
}

export const DEFAULT_METADATA_REFRESH_MINUTES = 60;

export const DEFAULT_PURGE_EVERY = 32;
