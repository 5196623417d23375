/** IdP metadata read from a URL: fetched under the policy the deployment allows, then parsed like pasted metadata. */
import { parseIdpMetadata } from '../saml/index.js';
import type { IdpMetadata } from '../saml/index.js';
import type { SamlConnectionPatch } from '../store/saml.js';
import type { ServiceDeps } from './deps.js';
import { DEFAULT_METADATA_REFRESH_MINUTES } from './deps.js';
import { InvalidInputError } from './errors.js';
import { fetchMetadataXml, MetadataFetchError } from './metadata-fetch.js';
import type { MetadataFetchPolicy } from './metadata-fetch.js';
import type { IdpInput } from './saml-connection.js';

export type IdpMetadataLoad =
  | { ok: true; metadata: IdpMetadata }
  /** `ours`: the URL itself is refused (the admin must change it); otherwise the IdP's side failed. */
  | { ok: false; code: string; message: string; ours: boolean };

export function metadataFetchPolicy(deps: ServiceDeps): MetadataFetchPolicy {
  return { allowLoopback: deps.metadataAllowLoopbackUrls === true, resolveHost: deps.resolveHost ?? null };
}

/** When a connection configured by URL is next fetched after `at`. */
export function nextMetadataRefresh(deps: ServiceDeps, at: Date): Date {
  return new Date(at.getTime() + (deps.metadataRefreshMinutes ?? DEFAULT_METADATA_REFRESH_MINUTES) * 60_000);
}

export async function loadIdpMetadata(deps: ServiceDeps, url: string): Promise<IdpMetadataLoad> {
  let xml: string;
  try {
    xml = await fetchMetadataXml(url, metadataFetchPolicy(deps));
  } catch (error) {
    if (!(error instanceof MetadataFetchError)) throw error;
    return { ok: false, code: error.code, message: error.message, ours: error.code === 'metadata_url_invalid' || error.code === 'metadata_url_refused' };
  }
  const parsed = parseIdpMetadata(xml);
  if (!parsed.ok) return { ok: false, code: `metadata_${parsed.reason}`, message: `The metadata at the URL could not be used: ${parsed.detail}.`, ours: false };
  return { ok: true, metadata: parsed.metadata };
}

/** An IdP input whose metadata URL has been fetched already (never inside a transaction). */
export type ReadyIdpInput = Exclude<IdpInput, { metadataUrl: string }> | { metadataUrl: string; metadata: IdpMetadata };

/** Fetches the metadata of a `{metadataUrl}` input on save; any problem is a 400 naming it (nothing is saved). */
export async function readyIdp(deps: ServiceDeps, input: IdpInput): Promise<ReadyIdpInput> {
  if (!('metadataUrl' in input)) return input;
  const loaded = await loadIdpMetadata(deps, input.metadataUrl);
  if (!loaded.ok) throw new InvalidInputError(loaded.code, `metadataUrl: ${loaded.message}`);
  return { metadataUrl: input.metadataUrl, metadata: loaded.metadata };
}

/**
 * The metadata-URL columns of a new IdP configuration: refreshed from now on when it came from a URL,
 * cleared otherwise. Retired certificates go either way: the admin's save says what is trusted.
 */
export function metadataColumns(deps: ServiceDeps, input: ReadyIdpInput): SamlConnectionPatch {
  const url = 'metadataUrl' in input ? input.metadataUrl : null;
  const now = deps.now();
  return {
    metadataUrl: url,
    metadataFetchedAt: url ? now : null,
    metadataNextRefreshAt: url ? nextMetadataRefresh(deps, now) : null,
    metadataLastError: null,
    retiredCertificates: [],
  };
}
