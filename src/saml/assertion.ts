import { refuse } from './types.js';
import type { IdpTrust, SamlFailure, SpIdentity, VerifiedAssertion } from './types.js';
import { NS, attr, attrValue, childElements, childrenNamed, isNamed, optionalChild, textContent } from './xml.js';

/** Response-level values: from the signed Response when it is signed, else from the unsigned envelope. */
export interface ResponseEnvelope {
  id: string;
  issuer: string | null;
  destination: string | null;
  inResponseTo: string | null;
}

export interface CheckContext {
  idp: IdpTrust;
  sp: SpIdentity;
  now: Date;
  skewMs: number;
}

export type AssertionFields = Omit<VerifiedAssertion, 'signature' | 'encrypted'>;

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

class Refusal extends Error {
  constructor(readonly failure: SamlFailure) {
    super(failure.detail);
  }
}
const fail = (...args: Parameters<typeof refuse>): never => {
  throw new Refusal(refuse(...args));
};

/** xs:dateTime with a zone (SAML core 1.3.3 requires UTC); fractions beyond milliseconds are cut. */
export function parseInstant(value: string): Date | null {
  const match = INSTANT.exec(value.trim());
  if (!match) return null;
  const fraction = match[2] ? match[2].slice(0, 4).padEnd(4, '0') : '';
  const date = new Date(`${match[1]}${fraction}${match[3]}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function instantAttr(el: Element, name: string): Date | null {
  const raw = attrValue(el, name);
  if (raw === null) return null;
  return parseInstant(raw) ?? fail('malformed', `${el.localName}@${name} is not a valid instant: "${raw.slice(0, 40)}"`);
}

function checkWindow(label: string, notBefore: Date | null, notOnOrAfter: Date | null, ctx: CheckContext): void {
  const now = ctx.now.getTime();
  const clock = `now ${ctx.now.toISOString()}, skew ${ctx.skewMs / 1000}s`;
  if (notBefore && now + ctx.skewMs < notBefore.getTime()) {
    fail('assertion_not_yet_valid', `${label} NotBefore ${notBefore.toISOString()} is in the future (${clock})`);
  }
  if (notOnOrAfter && now - ctx.skewMs >= notOnOrAfter.getTime()) {
    fail('assertion_expired', `${label} NotOnOrAfter ${notOnOrAfter.toISOString()} has passed (${clock})`);
  }
}

/** Exact match, or equal once both parse as URLs (host case, default port). */
function sameUrl(received: string, expected: string): boolean {
  if (received === expected) return true;
  try {
    return new URL(received).href === new URL(expected).href;
  } catch {
    return false;
  }
}

function checkAudience(conditions: Element | null, sp: SpIdentity): void {
  const restrictions = conditions ? childrenNamed(conditions, NS.assertion, 'AudienceRestriction') : [];
  if (restrictions.length === 0) fail('audience_mismatch', 'assertion has no AudienceRestriction');
  for (const restriction of restrictions) {
    const audiences = childrenNamed(restriction, NS.assertion, 'Audience').map(textContent);
    // Every AudienceRestriction must name us (SAML core 2.5.1.4).
    if (!audiences.includes(sp.entityId)) {
      fail('audience_mismatch', `audience ${JSON.stringify(audiences).slice(0, 200)} does not include ${sp.entityId}`);
    }
  }
}

interface Confirmation {
  notOnOrAfter: Date;
  inResponseTo: string | null;
}

/** The first bearer SubjectConfirmation that holds (SAML profiles 4.1.4.2), else the first failure. */
function checkBearer(subject: Element, ctx: CheckContext): Confirmation {
  const bearers = childrenNamed(subject, NS.assertion, 'SubjectConfirmation').filter((c) => attr(c, 'Method') === BEARER);
  if (bearers.length === 0) fail('subject_missing', 'Subject has no bearer SubjectConfirmation');
  let first: Refusal | null = null;
  for (const bearer of bearers) {
    try {
      const data = optionalChild(bearer, NS.assertion, 'SubjectConfirmationData');
      if (!data) return fail('malformed', 'bearer SubjectConfirmation has no SubjectConfirmationData');
      const recipient = attrValue(data, 'Recipient');
      if (!recipient) fail('recipient_mismatch', 'SubjectConfirmationData has no Recipient');
      else if (!sameUrl(recipient, ctx.sp.acsUrl)) {
        fail('recipient_mismatch', `Recipient ${recipient.slice(0, 200)} is not our ACS URL ${ctx.sp.acsUrl}`);
      }
      const notOnOrAfter = instantAttr(data, 'NotOnOrAfter');
      if (!notOnOrAfter) return fail('malformed', 'SubjectConfirmationData has no NotOnOrAfter');
      checkWindow('SubjectConfirmationData', instantAttr(data, 'NotBefore'), notOnOrAfter, ctx);
      return { notOnOrAfter, inResponseTo: attrValue(data, 'InResponseTo') };
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      first ??= error;
    }
  }
  throw first as Refusal;
}

function readAttributes(assertion: Element): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const statement of childrenNamed(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of childrenNamed(statement, NS.assertion, 'Attribute')) {
      const name = attrValue(attribute, 'Name');
      if (!name) continue;
      const values = childrenNamed(attribute, NS.assertion, 'AttributeValue')
        .filter((v) => v.getAttributeNS(NS.xsi, 'nil') !== 'true')
        .map(textContent)
        .filter((v) => v.length > 0);
      attributes[name] = [...(attributes[name] ?? []), ...values];
    }
  }
  return attributes;
}

function readSubject(assertion: Element): { subject: Element; nameId: string; nameIdFormat: string | null } {
  const subject = optionalChild(assertion, NS.assertion, 'Subject');
  if (!subject) return fail('subject_missing', 'assertion has no Subject');
  const nameIdEl = optionalChild(subject, NS.assertion, 'NameID');
  if (!nameIdEl) {
    const encrypted = childrenNamed(subject, NS.assertion, 'EncryptedID').length > 0;
    return fail('subject_missing', encrypted ? 'encrypted NameID (EncryptedID) is not supported' : 'Subject has no NameID');
  }
  if (childElements(nameIdEl).length > 0) fail('malformed', 'NameID contains elements');
  const nameId = textContent(nameIdEl);
  if (!nameId) fail('subject_missing', 'NameID is empty');
  return { subject, nameId, nameIdFormat: attrValue(nameIdEl, 'Format') };
}

/**
 * Every check samlify leaves to the application, applied to the assertion element that a verified
 * signature covers. Order matters only for which reason is reported when several fail.
 */
export function checkAssertion(
  assertion: Element,
  envelope: ResponseEnvelope,
  ctx: CheckContext,
): { ok: true; fields: AssertionFields } | SamlFailure {
  try {
    return { ok: true, fields: check(assertion, envelope, ctx) };
  } catch (error) {
    if (error instanceof Refusal) return error.failure;
    throw error;
  }
}

function check(assertion: Element, envelope: ResponseEnvelope, ctx: CheckContext): AssertionFields {
  if (!isNamed(assertion, NS.assertion, 'Assertion')) fail('malformed', 'signed element is not an Assertion');
  if (assertion.getAttribute('Version') !== '2.0') fail('malformed', 'Assertion Version is not 2.0');
  const assertionId = attrValue(assertion, 'ID') ?? fail('malformed', 'Assertion has no ID');
  const issueInstant = instantAttr(assertion, 'IssueInstant') ?? fail('malformed', 'Assertion has no IssueInstant');

  const issuerEl = optionalChild(assertion, NS.assertion, 'Issuer');
  const issuer = issuerEl ? textContent(issuerEl) : fail('issuer_mismatch', 'Assertion has no Issuer');
  if (issuer !== ctx.idp.entityId) fail('issuer_mismatch', `Assertion Issuer ${issuer.slice(0, 200)} is not ${ctx.idp.entityId}`);
  if (envelope.issuer !== null && envelope.issuer !== ctx.idp.entityId) {
    fail('issuer_mismatch', `Response Issuer ${envelope.issuer.slice(0, 200)} is not ${ctx.idp.entityId}`);
  }

  const conditions = optionalChild(assertion, NS.assertion, 'Conditions');
  const conditionsEnd = conditions ? instantAttr(conditions, 'NotOnOrAfter') : null;
  if (conditions) checkWindow('Conditions', instantAttr(conditions, 'NotBefore'), conditionsEnd, ctx);
  if (issueInstant.getTime() > ctx.now.getTime() + ctx.skewMs) {
    fail('assertion_not_yet_valid', `Assertion IssueInstant ${issueInstant.toISOString()} is in the future (now ${ctx.now.toISOString()})`);
  }
  checkAudience(conditions, ctx.sp);

  if (envelope.destination !== null && !sameUrl(envelope.destination, ctx.sp.acsUrl)) {
    fail('destination_mismatch', `Destination ${envelope.destination.slice(0, 200)} is not our ACS URL ${ctx.sp.acsUrl}`);
  }

  const { subject, nameId, nameIdFormat } = readSubject(assertion);
  const bearer = checkBearer(subject, ctx);
  if (envelope.inResponseTo && bearer.inResponseTo && envelope.inResponseTo !== bearer.inResponseTo) {
    fail('in_response_to_mismatch', 'Response and SubjectConfirmationData name different InResponseTo values');
  }

  const authn = childrenNamed(assertion, NS.assertion, 'AuthnStatement')[0] ?? null;
  const sessionEnd = authn ? instantAttr(authn, 'SessionNotOnOrAfter') : null;
  if (sessionEnd) checkWindow('AuthnStatement Session', null, sessionEnd, ctx);

  const bounds = [conditionsEnd, bearer.notOnOrAfter, sessionEnd].filter((d): d is Date => d !== null);
  const end = Math.min(...bounds.map((d) => d.getTime()));
  return {
    responseId: envelope.id,
    assertionId,
    issuer,
    nameId,
    nameIdFormat,
    sessionIndex: authn ? attrValue(authn, 'SessionIndex') : null,
    // Signed value first; "" (samlify's IdP-initiated template quirk) counts as absent.
    inResponseTo: bearer.inResponseTo ?? envelope.inResponseTo,
    attributes: readAttributes(assertion),
    notOnOrAfter: new Date(end + ctx.skewMs),
    authnInstant: authn ? instantAttr(authn, 'AuthnInstant') : null,
    sessionNotOnOrAfter: sessionEnd,
  };
}
