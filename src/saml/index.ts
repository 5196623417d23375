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
export {
  buildLogoutRequestXml,
  buildLogoutResponseXml,
  encodeLogoutMessage,
  readLogoutMessage,
  signEnveloped,
  LOGOUT_POST_MAX_BASE64_LENGTH,
  STATUS_REQUESTER,
  STATUS_RESPONDER,
  STATUS_SUCCESS,
  STATUS_UNKNOWN_PRINCIPAL,
} from './logout.js';
export type { IncomingLogout, LogoutBinding, LogoutMessage, LogoutPostForm, OutgoingLogout, ReadLogoutResult } from './logout.js';
export { REDIRECT_QUERY_MAX_LENGTH, SIG_ALG_RSA_SHA1, SIG_ALG_RSA_SHA256, deflateMessage, signRedirectQuery, verifyRedirectQuery, withQuery } from './redirect-binding.js';
export type { RedirectField, VerifiedRedirectMessage } from './redirect-binding.js';
