/**
 * SAML service-provider primitives: SAMLResponse -> verified profile | named SAML error.
 * The only module that imports samlify, xml-crypto or an XML parser. Pure: no I/O, no clock
 * (`now` is always a parameter), runs on Node 20 and on Cloudflare Workers (nodejs_compat).
 */
export { verifySamlResponse, DEFAULT_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS } from './verify.js';
export { claimedIssuer } from './claimed-issuer.js';
export { SAML_FAILURE_REASONS } from './types.js';
export type {
  IdpTrust,
  SpIdentity,
  VerifyInput,
  VerifyResult,
  VerifiedAssertion,
  SamlFailure,
  SamlFailureReason,
} from './types.js';
export { SAML_RESPONSE_MAX_BASE64_LENGTH } from './xml.js';
export { buildSpMetadata, parseIdpMetadata, NAMEID_FORMAT_EMAIL, IDP_METADATA_MAX_LENGTH } from './metadata.js';
export type { IdpMetadata, IdpMetadataResult, IdpMetadataFailureReason } from './metadata.js';
export { buildAuthnRequestPost, buildAuthnRequestRedirect, buildAuthnRequestXml } from './authn-request.js';
export type { AuthnRequestInput, AuthnRequestPost } from './authn-request.js';
export { attributeDefaults, extractProfile, looksLikeEmail } from './profile.js';
export type { AttributeMapping, SamlProfile } from './profile.js';
export { certificateInfo, normalizeCertificatePem, CertificateError } from './certificate.js';
export type { CertificateInfo } from './certificate.js';
export { registerSchemaValidator } from './samlify-gate.js';
