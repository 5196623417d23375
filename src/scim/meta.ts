/**
 * The `meta` attribute of rendered resources (RFC 7643 §3.1): the store supplies dates, a version
 * token and the location; this layer never reads the clock.
 */
import type { ScimResourceType } from './attributes.js';

/** Metadata the store keeps for a resource; rendered as `meta` (RFC 7643 §3.1). */
export interface ScimResourceMeta {
  created: Date;
  lastModified: Date;
  /** Any version token (a counter, a hash); rendered as a weak ETag `W/"<version>"`. */
  version: string;
  /** The absolute URL of the resource. */
  location: string;
}

/** Weak ETag form of a version token (RFC 7644 §3.14): `3` -> `W/"3"`; an ETag already formed is kept. */
export function weakEtag(version: string): string {
  if (/^W\/"[^"\\]*"$/.test(version)) return version;
  return `W/"${version.replace(/["\\]/g, '')}"`;
}

/** The rendered `meta` object of a resource. */
export function renderMeta(resourceType: ScimResourceType, meta: ScimResourceMeta): Record<string, unknown> {
  return {
    resourceType,
    created: meta.created.toISOString(),
    lastModified: meta.lastModified.toISOString(),
    version: weakEtag(meta.version),
    location: meta.location,
  };
}
