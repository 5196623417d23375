/**
 * Fetches IdP metadata from the URL an admin gave, without letting that URL reach our own network:
 * https only, the host (and every address it resolves to) must be public, redirects are followed by
 * hand (a few) and each hop is checked again, the body is read under a byte cap and the whole fetch
 * under a time limit.
 */
import { classifyAddress } from '../core/ip-address.js';
import type { AddressKind } from '../core/ip-address.js';
import { IDP_METADATA_MAX_LENGTH } from '../saml/index.js';

/** The addresses a host name resolves to (A and AAAA). */
export type HostResolver = (hostname: string) => Promise<string[]>;

export interface MetadataFetchPolicy {
  /**
   * Development and tests only (METADATA_ALLOW_LOOPBACK_URLS): http:// and loopback hosts are allowed.
   * Private, link-local and other special ranges stay refused.
   */
  readonly allowLoopback: boolean;
  /**
   * Node resolves host names first (node:dns) and refuses a name pointing inside. Workers have no DNS
   * API: there only IP-literal hosts are checked, and the platform's fetch, which cannot reach private
   * networks, does the rest.
   */
  readonly resolveHost: HostResolver | null;
  readonly timeoutMs?: number;
}

export const METADATA_FETCH_TIMEOUT_MS = 5_000;
export const METADATA_MAX_REDIRECTS = 3;

export type MetadataFetchCode =
  | 'metadata_url_invalid'
  | 'metadata_url_refused'
  | 'metadata_unreachable'
  | 'metadata_timeout'
  | 'metadata_http_error'
  | 'metadata_too_large'
  | 'metadata_too_many_redirects';

export class MetadataFetchError extends Error {
  constructor(
    readonly code: MetadataFetchCode,
    message: string,
  ) {
    super(message);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Parses and checks a metadata URL's form (not its host): absolute, https (http only with allowLoopback), no credentials. */
export function checkMetadataUrl(value: string, policy: Pick<MetadataFetchPolicy, 'allowLoopback'>): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MetadataFetchError('metadata_url_invalid', 'metadataUrl must be an absolute https URL.');
  }
  if (url.protocol !== 'https:' && !(policy.allowLoopback && url.protocol === 'http:')) {
    throw new MetadataFetchError('metadata_url_invalid', `metadataUrl must use https (not ${url.protocol.replace(/:$/, '')}).`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new MetadataFetchError('metadata_url_invalid', 'metadataUrl must not carry a user name or password.');
  }
  return url;
}

function allowed(kind: AddressKind, policy: MetadataFetchPolicy): boolean {
  return kind === 'public' || (kind === 'loopback' && policy.allowLoopback);
}

function refused(host: string, address: string, kind: AddressKind): MetadataFetchError {
  const what = kind === 'link_local' ? 'link-local' : kind;
  const where = host === address ? address : `${host} (${address})`;
  return new MetadataFetchError('metadata_url_refused', `The metadata host ${where} is a ${what} address; only public addresses are fetched.`);
}

/** The URL's host must be public: an IP literal as written, a name by every address it resolves to. */
async function checkHost(url: URL, policy: MetadataFetchPolicy): Promise<void> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = classifyAddress(host);
  if (literal !== null) {
    if (!allowed(literal, policy)) throw refused(host, host, literal);
    return;
  }
  if (!policy.resolveHost) {
    // No resolver (Workers): at least the names that are loopback by definition (RFC 6761).
    const name = host.toLowerCase().replace(/\.$/, '');
    if ((name === 'localhost' || name.endsWith('.localhost')) && !policy.allowLoopback) throw refused(host, 'loopback', 'loopback');
    return;
  }
  // Checked here, then connected to by fetch, which resolves again: a name re-pointed in between (DNS
  // rebinding) is not caught; the next refresh's check is.
  let addresses: string[];
  try {
    addresses = await policy.resolveHost(host);
  } catch {
    throw new MetadataFetchError('metadata_unreachable', `The metadata host ${host} does not resolve.`);
  }
  if (addresses.length === 0) throw new MetadataFetchError('metadata_unreachable', `The metadata host ${host} does not resolve.`);
  for (const address of addresses) {
    const kind = classifyAddress(address) ?? 'reserved';
    if (!allowed(kind, policy)) throw refused(host, address, kind);
  }
}

/** The body as text, refused as soon as it passes `max` bytes (never buffered whole first). */
async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('Content-Length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new MetadataFetchError('metadata_too_large', `The metadata is ${declared} bytes, the limit is ${max}.`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new MetadataFetchError('metadata_too_large', `The metadata is over the limit of ${max} bytes.`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder('utf-8').decode(bytes);
}

function transportError(error: unknown, signal: AbortSignal, url: URL, timeoutMs: number): MetadataFetchError {
  if (error instanceof MetadataFetchError) return error;
  if (signal.aborted) return new MetadataFetchError('metadata_timeout', `The metadata URL did not answer within ${timeoutMs / 1000} s.`);
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  const why = typeof cause === 'string' ? cause : 'connection failed';
  return new MetadataFetchError('metadata_unreachable', `The metadata URL could not be reached (${url.host}: ${why}).`);
}

/** GETs the metadata XML at `value` under the policy; throws MetadataFetchError naming the problem. */
export async function fetchMetadataXml(value: string, policy: MetadataFetchPolicy): Promise<string> {
  const timeoutMs = policy.timeoutMs ?? METADATA_FETCH_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let url = checkMetadataUrl(value, policy);
  for (let hop = 0; ; hop++) {
    try {
      await checkHost(url, policy);
      const res = await fetch(url, {
        redirect: 'manual',
        signal,
        headers: { Accept: 'application/samlmetadata+xml, application/xml, text/xml' },
      });
      if (REDIRECTS.has(res.status)) {
        await res.body?.cancel().catch(() => {});
        const location = res.headers.get('Location');
        if (!location) throw new MetadataFetchError('metadata_http_error', `The metadata URL answered HTTP ${res.status} without a Location.`);
        if (hop >= METADATA_MAX_REDIRECTS) {
          throw new MetadataFetchError('metadata_too_many_redirects', `The metadata URL redirected more than ${METADATA_MAX_REDIRECTS} times.`);
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new MetadataFetchError('metadata_http_error', 'The metadata URL redirected to an invalid URL.');
        }
        // An https URL may not be downgraded, and the new host is checked like the first.
        url = checkMetadataUrl(next.href, { allowLoopback: policy.allowLoopback && url.protocol === 'http:' });
        continue;
      }
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel().catch(() => {});
        throw new MetadataFetchError('metadata_http_error', `The metadata URL answered HTTP ${res.status}.`);
      }
      return await readCapped(res, IDP_METADATA_MAX_LENGTH);
    } catch (error) {
      throw transportError(error, signal, url, timeoutMs);
    }
  }
}
