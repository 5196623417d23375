/**
 * The stable reason codes for every refused login (JIT refusals and SAML verification failures)
 * and the plain-words explanation shown to the person, with what to tell their admin.
 * The same code goes to the audit log, the API and the page the person sees; never rename one.
 */

/** Why the JIT rules refused a login (see `decideJit`). */
export const JIT_REFUSAL_REASONS = [
  'saml_not_configured',
  'email_missing',
  'email_invalid',
  'email_invisible_character',
  'email_ambiguous_character',
  'impersonation_account',
  'user_suspended',
  'user_deprovisioned',
  'jit_disabled',
  'jit_misconfigured',
  'directory_unavailable',
  'domain_not_eligible',
  'not_in_directory',
  'directory_user_inactive',
  'directory_user_deleted',
  'sp_initiated',
] as const;
export type JitRefusalReason = (typeof JIT_REFUSAL_REASONS)[number];

/** Why a SAML response was not accepted (raised by the SAML verification layer). */
export const SAML_FAILURE_REASONS = [
  'saml_not_configured',
  'malformed',
  'dtd_forbidden',
  'invalid_characters',
  'too_large',
  'signature_missing',
  'signature_invalid',
  'sha1_not_allowed',
  'issuer_mismatch',
  'audience_mismatch',
  'recipient_mismatch',
  'destination_mismatch',
  'assertion_expired',
  'assertion_not_yet_valid',
  'status_not_success',
  'assertion_count',
  'encryption_not_configured',
  'decryption_failed',
  'subject_missing',
  'replayed',
  'unknown_request',
  'request_other_browser',
  'in_response_to_mismatch',
  'config_invalid',
  'certificate_expired',
  'wrong_connection',
  'connection_disabled',
  'idp_initiated_disabled',
] as const;
export type SamlFailureReason = (typeof SAML_FAILURE_REASONS)[number];

/** Every reason a login can be refused for. */
export type ReasonCode = JitRefusalReason | SamlFailureReason;

/** Every reason code once, JIT refusals first. */
export const REASON_CODES: readonly ReasonCode[] = [...new Set<ReasonCode>([...JIT_REFUSAL_REASONS, ...SAML_FAILURE_REASONS])];

/** True when `value` is one of the stable reason codes. */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && (REASON_CODES as readonly string[]).includes(value);
}

/** What the explanation may mention; everything is optional and falls back to neutral words. */
export interface ReasonContext {
  /** The email domain as the person knows it (e.g. `bücher.de` rather than its punycode). */
  domain?: string;
  /** The company's display name. */
  companyName?: string;
  /** The email address the identity provider sent. */
  email?: string;
}

/** A refusal in plain words: a title, a message for the person, and what their admin should do. */
export interface ReasonExplanation {
  title: string;
  message: string;
  adviceForAdmin: string;
}

interface Words {
  /** The company's name, or "your company" mid-sentence. */
  company: string;
  /** The same, fit to start a sentence. */
  Company: string;
  /** The domain, when it is known. */
  domain: string | undefined;
  /** The email address, when it is known. */
  email: string | undefined;
}

const SIGN_IN_SETTINGS = 'the single sign-on (SAML) settings';
const TRY_AGAIN_FROM_PORTAL = 'Please try again from your company’s sign-in portal.';

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function samlProblem(title: string, message: string, adviceForAdmin: string): (w: Words) => ReasonExplanation {
  return () => ({ title, message: `${message} ${TRY_AGAIN_FROM_PORTAL}`, adviceForAdmin });
}

const EXPLANATIONS: Record<ReasonCode, (w: Words) => ReasonExplanation> = {
  // --- JIT refusals -------------------------------------------------------------------------
  saml_not_configured: (w) => ({
    title: 'Single sign-on is not set up',
    message: `${w.Company} has not finished setting up sign-in through its identity provider, so you cannot sign in this way yet.`,
    adviceForAdmin: `Set up the SAML connection (identity provider entity ID, sign-in URL and signing certificate) in ${SIGN_IN_SETTINGS}.`,
  }),
  email_missing: () => ({
    title: 'Your email address was not sent',
    message: 'Your identity provider signed you in but did not tell us your email address, and we need it to find or create your account.',
    adviceForAdmin: 'Make the identity provider send the user’s email address, as the NameID or as the email attribute chosen in the attribute mapping.',
  }),
  email_invalid: (w) => ({
    title: 'Your email address could not be used',
    message:
      w.email === undefined
        ? 'Your identity provider sent an email address that is not usable.'
        : `Your identity provider sent “${w.email}”, which is not a usable email address.`,
    adviceForAdmin: 'Check that the identity provider sends the user’s real email address (name@example.com) as the NameID or the mapped email attribute.',
  }),
  email_invisible_character: () => ({
    title: 'Your email address contains a hidden character',
    message:
      'Your identity provider sent an email address with an invisible character in it (such as a soft hyphen, a zero-width space or a text-direction mark). Such addresses are refused, because they look like someone else’s.',
    adviceForAdmin:
      'Remove the invisible character (soft hyphen U+00AD, zero-width U+200B to U+200D, U+2060, U+FEFF, bidirectional controls) from the user’s email in the identity provider; the sign-in check names the code point.',
  }),
  email_ambiguous_character: () => ({
    title: 'Your email address contains a look-alike character',
    message:
      'Your identity provider sent an email address with a character that other systems read as a different letter (for example the Kelvin sign, which reads as K, or a full-width letter). Such addresses are refused, so that nobody can sign in as someone else.',
    adviceForAdmin:
      'Correct the user’s email in the identity provider to its plain form (for example K instead of the Kelvin sign U+212A, i instead of U+0130, s instead of U+017F, ASCII instead of full-width letters); the sign-in check names the code point.',
  }),
  impersonation_account: () => ({
    title: 'This account cannot use single sign-on',
    message: 'This email address belongs to a support access account, which can never be used to sign in through an identity provider.',
    adviceForAdmin: 'Support access accounts are created by our support team for troubleshooting only. Contact support if this looks wrong.',
  }),
  user_suspended: (w) => ({
    title: 'Your account is suspended',
    message: `Your account in ${w.company} is suspended, so you cannot sign in.`,
    adviceForAdmin: 'Reactivate the user, in the dashboard or by reactivating them in your identity provider’s directory if directory sync is on.',
  }),
  user_deprovisioned: (w) => ({
    title: 'Your account was removed',
    message: `Your account in ${w.company} has been removed, so you cannot sign in.`,
    adviceForAdmin: 'If this person should have access again, restore or re-invite them in the dashboard.',
  }),
  jit_disabled: (w) => ({
    title: 'You don’t have an account yet',
    message: `You don’t have an account in ${w.company}, and accounts are not created automatically at first sign-in.`,
    adviceForAdmin: 'Invite this person from the dashboard, or switch on Automatic user provisioning in Security settings (SAML SSO section).',
  }),
  jit_misconfigured: (w) => ({
    title: 'Automatic account creation is not fully set up',
    message: `You don’t have an account in ${w.company} yet, and automatic account creation is switched on but not finished, so one could not be created.`,
    adviceForAdmin: 'In Security settings, choose a default workspace and a default permission set for Automatic user provisioning, and check that the SAML connection is set up.',
  }),
  directory_unavailable: (w) => ({
    title: 'Your company directory could not be checked',
    message: `${w.Company} only creates accounts for people listed in its company directory, and that directory is not available right now, so no account was created.`,
    adviceForAdmin: 'Directory membership is required for automatic account creation, but directory sync (SCIM) is not set up or is switched off. Set it up, or stop requiring directory membership.',
  }),
  domain_not_eligible: (w) => ({
    title: 'Your email domain is not set up in this company',
    message: `Your email domain ${w.domain === undefined ? '' : `${w.domain} `}has no confirmed account in ${w.company} yet, so an account cannot be created for you automatically.`,
    adviceForAdmin:
      'Accounts are created automatically only for email domains that already have at least one confirmed account. ' +
      (w.domain === undefined
        ? 'Invite someone with an address at this domain and have them confirm their account, or ask support for an exception for the domain.'
        : `Invite someone with an address at ${w.domain} and have them confirm their account, or ask support for an exception for ${w.domain}.`),
  }),
  not_in_directory: (w) => ({
    title: 'You are not in your company directory',
    message: `${w.Company} only creates accounts for people listed in its company directory, and ${w.email === undefined ? 'you are' : `${w.email} is`} not listed there.`,
    adviceForAdmin: 'Assign this person to the application in your identity provider so directory sync sends them, then they can sign in again.',
  }),
  directory_user_inactive: (w) => ({
    title: 'You are inactive in your company directory',
    message: `${w.Company} only lets active people in its company directory sign in or get an account, and ${w.email === undefined ? 'you are' : `${w.email} is`} marked inactive there.`,
    adviceForAdmin: 'Reactivate this person in your identity provider (and its assignment to this application) so directory sync marks them active.',
  }),
  directory_user_deleted: (w) => ({
    title: 'You were removed from your company directory',
    message: `${w.Company} removed ${w.email === undefined ? 'you' : w.email} from its company directory, so you cannot sign in or get an account.`,
    adviceForAdmin: 'Create this person again in your identity provider and assign them to this application, so directory sync sends a new directory record.',
  }),
  sp_initiated: () => ({
    title: 'Start from your identity provider',
    message: 'You don’t have an account yet. Accounts are only created when you open this application from your company’s sign-in portal (the app tile in your identity provider), not from our login page. Please open it from there.',
    adviceForAdmin: 'Nothing to change: first sign-ins must start from the identity provider portal (IdP-initiated). For Microsoft Entra ID, leave the “Sign-on URL” field blank.',
  }),

  // --- SAML verification failures ----------------------------------------------------------
  malformed: samlProblem(
    'The sign-in message could not be read',
    'The message from your identity provider was not a valid sign-in response.',
    'The SAML response could not be parsed. Check that the identity provider posts a SAML Response to the ACS URL shown in the SAML setup help.',
  ),
  dtd_forbidden: samlProblem(
    'The sign-in message was refused',
    'The message from your identity provider contained content we never accept.',
    'The SAML response contained a DTD or entity declarations, which are refused for security. Standard identity providers never send these; check where the response comes from.',
  ),
  invalid_characters: samlProblem(
    'The sign-in message was refused',
    'The message from your identity provider contained characters we never accept.',
    'The SAML response contained a control character, an unpaired surrogate or a character reference to one (such as &#xD800; or &#0;). Standard identity providers never send these; check the user’s attributes in the identity provider and where the response comes from.',
  ),
  too_large: samlProblem(
    'The sign-in message was too large',
    'The message from your identity provider was larger than we accept.',
    'The SAML response exceeded the size limit. Reduce the attributes and groups the identity provider sends.',
  ),
  signature_missing: samlProblem(
    'The sign-in message was not signed',
    'The message from your identity provider was not signed, so we could not trust it.',
    'Configure the identity provider to sign the SAML response or the assertion.',
  ),
  signature_invalid: samlProblem(
    'The sign-in message’s signature did not match',
    'The message from your identity provider was not signed with the certificate we expect.',
    'The signature did not verify with any configured certificate. If the identity provider rolled its signing certificate, add the new certificate to the SAML connection.',
  ),
  sha1_not_allowed: samlProblem(
    'The sign-in message used an outdated signature',
    'The message from your identity provider was signed with an outdated method that we no longer accept.',
    'Configure the identity provider to sign with SHA-256 (RSA-SHA256) instead of SHA-1.',
  ),
  issuer_mismatch: samlProblem(
    'The sign-in came from an unexpected identity provider',
    'The message did not come from the identity provider your company set up.',
    'The response Issuer differs from the identity provider entity ID in the SAML connection. Re-import the identity provider metadata or correct the entity ID.',
  ),
  audience_mismatch: samlProblem(
    'The sign-in was meant for another application',
    'The message from your identity provider was addressed to a different application.',
    'The assertion Audience must be this company’s SP entity ID shown in the SAML setup help. Correct the Entity ID / Audience URI in the identity provider.',
  ),
  recipient_mismatch: samlProblem(
    'The sign-in was sent to the wrong address',
    'The message from your identity provider was meant for a different address.',
    'The assertion Recipient must be this company’s ACS URL shown in the SAML setup help. Correct the Reply URL / ACS URL in the identity provider.',
  ),
  destination_mismatch: samlProblem(
    'The sign-in was sent to the wrong address',
    'The message from your identity provider was meant for a different address.',
    'The response Destination must be this company’s ACS URL shown in the SAML setup help. Correct the Reply URL / ACS URL in the identity provider.',
  ),
  assertion_expired: samlProblem(
    'The sign-in took too long',
    'The sign-in message from your identity provider had already expired when it arrived.',
    'The assertion was past its NotOnOrAfter time. Check the identity provider’s clock and assertion lifetime; the user can simply try again.',
  ),
  assertion_not_yet_valid: samlProblem(
    'The sign-in arrived too early',
    'The sign-in message from your identity provider is not valid yet.',
    'The assertion’s NotBefore time is in the future beyond the allowed clock difference. Check the identity provider server’s clock.',
  ),
  status_not_success: samlProblem(
    'Your identity provider did not sign you in',
    'Your identity provider reported that the sign-in did not succeed.',
    'The SAML response status was not Success. Check the identity provider’s sign-in logs, for example whether the user is assigned to this application.',
  ),
  assertion_count: samlProblem(
    'The sign-in message was refused',
    'The message from your identity provider did not contain exactly one sign-in statement.',
    'The SAML response must contain exactly one assertion. Check the identity provider configuration.',
  ),
  encryption_not_configured: samlProblem(
    'The sign-in message was encrypted unexpectedly',
    'The message from your identity provider was encrypted in a way we are not set up to read.',
    'The assertion was encrypted but no encryption key is configured for this connection. Turn off assertion encryption in the identity provider, or set up encryption on both sides.',
  ),
  decryption_failed: samlProblem(
    'The sign-in message could not be decrypted',
    'The message from your identity provider could not be decrypted.',
    'The encrypted assertion could not be decrypted. Check that the identity provider encrypts with the certificate from this company’s SP metadata.',
  ),
  subject_missing: samlProblem(
    'Your identity was not sent',
    'The message from your identity provider did not say who you are.',
    'The assertion has no Subject / NameID. Configure the identity provider to send the user’s email address as the NameID.',
  ),
  replayed: samlProblem(
    'This sign-in was already used',
    'This sign-in message has already been used once and cannot be used again.',
    'The same assertion was received twice. This happens with the browser’s back button or a refresh; if it keeps happening, something may be replaying sign-in messages.',
  ),
  unknown_request: samlProblem(
    'This sign-in does not match a request we made',
    'The response from your identity provider answers a sign-in request we do not recognise or that has expired.',
    'The response’s InResponseTo does not match a pending sign-in request from this application. Start the sign-in again; for IdP-initiated sign-in, do not set a Sign-on URL in the identity provider.',
  ),
  request_other_browser: samlProblem(
    'This sign-in was started in another browser',
    'The response from your identity provider answers a sign-in that was started in a different browser, or your browser did not send back the cookie we set when the sign-in started.',
    'SP-initiated sign-ins must finish in the browser that started them (the __Host-bridge_authn cookie, SameSite=None, must come back on the identity provider’s post to the ACS). Start the sign-in again in one browser; if it keeps happening, check that nothing strips cookies between the identity provider and this application, or that someone is not sending people sign-in responses they did not ask for.',
  ),
  in_response_to_mismatch: samlProblem(
    'This sign-in response is inconsistent',
    'The response from your identity provider names two different sign-in requests.',
    'The Response and its SubjectConfirmationData carry different InResponseTo values; check the identity provider’s SAML application.',
  ),
  config_invalid: samlProblem(
    'Single sign-on is misconfigured',
    'The single sign-on settings stored for your company cannot be used to check your sign-in.',
    `Review ${SIGN_IN_SETTINGS}: the IdP entity ID and at least one valid signing certificate are required.`,
  ),
  certificate_expired: samlProblem(
    'Your identity provider’s certificate has expired',
    'Your identity provider signed this sign-in with a certificate that has expired, so it cannot be trusted.',
    `Upload the identity provider’s new signing certificate (or its new metadata) in ${SIGN_IN_SETTINGS}. If this identity provider is known to sign with a long-expired certificate, the connection can be set to accept expired certificates (allowExpiredCertificates).`,
  ),
  wrong_connection: samlProblem(
    'This sign-in was sent to the wrong place',
    'Your identity provider sent this sign-in to a single sign-on connection it does not belong to.',
    'The response was issued by the identity provider of another SAML connection of this company and posted to this connection’s ACS URL. In the identity provider, set the ACS URL and SP entity ID shown for its own connection.',
  ),
  connection_disabled: samlProblem(
    'This single sign-on connection is switched off',
    'Sign-in through this identity provider has been switched off for now.',
    `The SAML connection is disabled (enabled: false) in ${SIGN_IN_SETTINGS}; enable it again, or have people use the company’s other connection.`,
  ),
  idp_initiated_disabled: (w) => ({
    title: 'Start your sign-in from this application',
    message: `${w.Company} does not accept sign-ins started from the identity provider’s portal for this connection. Open this application and choose single sign-on there.`,
    adviceForAdmin:
      'The SAML connection refuses IdP-initiated sign-in (idpInitiatedAllowed: false): only responses to a sign-in this application started are accepted. Switch it on to accept the app tile in the identity provider’s portal.',
  }),
};

/** The plain-words explanation of a refusal, for the person and for their admin. */
export function explainReason(reason: ReasonCode, context: ReasonContext = {}): ReasonExplanation {
  const domain = present(context.domain);
  const email = present(context.email);
  const company = present(context.companyName);
  const words: Words = {
    company: company ?? 'your company',
    Company: company ?? 'Your company',
    domain: domain ?? (email?.includes('@') ? present(email.slice(email.lastIndexOf('@') + 1)) : undefined),
    email,
  };
  return EXPLANATIONS[reason](words);
}
