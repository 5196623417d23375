import { ServiceProvider } from 'samlify';
import { CertificateError, certificateBody, normalizeCertificatePem } from './certificate.js';
import type { SpIdentity } from './types.js';
import { NS, XmlRejected, attrValue, childrenNamed, descendantElements, isNamed, parseXmlStrict, textContent } from './xml.js';

export const NAMEID_FORMAT_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
/** Entra's signed metadata is ~15 KiB; a federation aggregate (many entities) is refused anyway. */
export const IDP_METADATA_MAX_LENGTH = 512 * 1024;

/**
 * Our SP metadata: entity ID, the ACS URL (HTTP-POST), the NameID format we ask for,
 * WantAssertionsSigned, the encryption certificate (use="encryption") when one is configured, and with
 * an SP signing key: its certificate(s) (use="signing"; the previous one too during a rollover) and
 * our SingleLogoutService on both bindings (logout messages must be signed, so only then).
 */
export function buildSpMetadata(
  sp: SpIdentity & { wantAssertionsSigned: true; nameIdFormat?: string | undefined; authnRequestsSigned?: boolean | undefined },
): string {
  return ServiceProvider({
    entityID: sp.entityId,
    assertionConsumerService: [{ Binding: POST, Location: sp.acsUrl }],
    // AuthnRequestsSigned="true" only when this connection signs them (and has the key to).
    authnRequestsSigned: Boolean(sp.authnRequestsSigned && sp.signing),
    wantAssertionsSigned: sp.wantAssertionsSigned,
    nameIDFormat: [sp.nameIdFormat ?? NAMEID_FORMAT_EMAIL],
    ...(sp.encryption ? { encryptCert: normalizeCertificatePem(sp.encryption.certificatePem) } : {}),
    ...(sp.signing
      ? {
          signingCert: [sp.signing.certificatePem, ...(sp.signing.previousCertificatePem ? [sp.signing.previousCertificatePem] : [])].map(normalizeCertificatePem),
        }
      : {}),
    ...(sp.signing && sp.sloUrl
      ? {
          singleLogoutService: [
            { Binding: REDIRECT, Location: sp.sloUrl },
            { Binding: POST, Location: sp.sloUrl },
          ],
        }
      : {}),
  }).getMetadata();
}

export interface IdpMetadata {
  entityId: string;
  /** The HTTP-Redirect SSO endpoint (used for SP-initiated login), else the HTTP-POST one. */
  ssoUrl: string;
  ssoBinding: 'redirect' | 'post';
  /** Every signing certificate of the IDPSSODescriptor, as canonical PEM, deduplicated (rollover). */
  certificatesPem: string[];
  /** The SingleLogoutService (HTTP-Redirect preferred, else HTTP-POST), or null when the IdP has none. */
  slo: { url: string; binding: 'redirect' | 'post' } | null;
}

export type IdpMetadataFailureReason =
  | 'too_large'
  | 'malformed'
  | 'dtd_forbidden'
  | 'not_idp_metadata'
  | 'multiple_entities'
  | 'no_signing_certificate'
  | 'no_sso_url'
  | 'invalid_characters';

export type IdpMetadataResult =
  | { ok: true; metadata: IdpMetadata }
  | { ok: false; reason: IdpMetadataFailureReason; detail: string };

const failed = (reason: IdpMetadataFailureReason, detail: string): IdpMetadataResult => ({ ok: false, reason, detail });

/**
 * Reads IdP metadata XML as pasted by an admin. DTDs/entities are refused. The metadata's own
 * signature (Entra signs its metadata) is neither checked nor mined for certificates: trust comes
 * from the admin who pasted it, and only IDPSSODescriptor KeyDescriptors are read.
 */
export function parseIdpMetadata(xml: string): IdpMetadataResult {
  if (xml.length > IDP_METADATA_MAX_LENGTH) return failed('too_large', `metadata is ${xml.length} characters, the limit is ${IDP_METADATA_MAX_LENGTH}`);
  let root: Element;
  try {
    root = parseXmlStrict(xml.replace(/^\uFEFF/, '').trim()).documentElement;
  } catch (error) {
    if (error instanceof XmlRejected) return failed(error.kind, error.message);
    throw error;
  }
  const entities = descendantElements(root).filter(
    (el) => isNamed(el, NS.metadata, 'EntityDescriptor') && idpDescriptor(el) !== null,
  );
  const entity = entities[0];
  if (!entity) return failed('not_idp_metadata', 'no EntityDescriptor with a SAML 2.0 IDPSSODescriptor');
  if (entities.length > 1) return failed('multiple_entities', `${entities.length} IdP entities in this metadata; paste the one for this IdP`);
  const entityId = attrValue(entity, 'entityID');
  if (!entityId) return failed('malformed', 'EntityDescriptor has no entityID');
  const descriptor = idpDescriptor(entity) as Element;

  const bodies = new Set<string>();
  for (const key of childrenNamed(descriptor, NS.metadata, 'KeyDescriptor')) {
    const use = attrValue(key, 'use');
    if (use !== null && use !== 'signing') continue;
    for (const keyInfo of childrenNamed(key, NS.ds, 'KeyInfo')) {
      for (const data of childrenNamed(keyInfo, NS.ds, 'X509Data')) {
        for (const cert of childrenNamed(data, NS.ds, 'X509Certificate')) {
          try {
            bodies.add(certificateBody(normalizeCertificatePem(textContent(cert))));
          } catch (error) {
            if (!(error instanceof CertificateError)) throw error;
            return failed('malformed', `signing certificate: ${error.message}`);
          }
        }
      }
    }
  }
  if (bodies.size === 0) return failed('no_signing_certificate', 'IDPSSODescriptor has no signing certificate');

  const sso = endpoint(descriptor, 'SingleSignOnService');
  if (!sso) return failed('no_sso_url', 'no HTTP-Redirect or HTTP-POST SingleSignOnService');

  return {
    ok: true,
    metadata: {
      entityId,
      ssoUrl: sso.url,
      ssoBinding: sso.binding,
      certificatesPem: [...bodies].map(normalizeCertificatePem),
      slo: endpoint(descriptor, 'SingleLogoutService'),
    },
  };
}

/** An IdP endpoint of the descriptor: its HTTP-Redirect one when offered, else its HTTP-POST one. */
function endpoint(descriptor: Element, name: 'SingleSignOnService' | 'SingleLogoutService'): { url: string; binding: 'redirect' | 'post' } | null {
  const services = childrenNamed(descriptor, NS.metadata, name);
  const pick = (binding: string) => services.find((s) => s.getAttribute('Binding') === binding && isHttpUrl(attrValue(s, 'Location')));
  const redirect = pick(REDIRECT);
  const service = redirect ?? pick(POST);
  const url = service ? attrValue(service, 'Location') : null;
  return url ? { url, binding: redirect ? 'redirect' : 'post' } : null;
}

function idpDescriptor(entity: Element): Element | null {
  return (
    childrenNamed(entity, NS.metadata, 'IDPSSODescriptor').find((d) =>
      (d.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(NS.protocol),
    ) ?? null
  );
}

function isHttpUrl(value: string | null): boolean {
  if (!value) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
