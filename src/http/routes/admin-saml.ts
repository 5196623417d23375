/**
 * Company admin: SAML connections. `…/saml-connections` lists, creates, shows, changes and removes them;
 * `PUT|GET …/saml` are kept as aliases of the company's first connection (configured before a company
 * could have several).
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { companyConnections, configureSamlConnection, createSamlConnection, removeConnection, requireConnection, requireSamlConnection, updateConnection } from '../../services/saml-connection.js';
import { spIdentityFor, spUrls } from '../../services/sp-keys.js';
import { certificateStatus, connectionWarnings } from '../../services/certificate-warnings.js';
import type { ConnectionPatchInput, SamlConnection, SamlConnectionInput } from '../../services/saml-connection.js';
import { InvalidInputError } from '../../services/errors.js';
import { refreshConnectionNow } from '../../services/metadata-refresh.js';
import type { AppEnv } from '../env.js';
import { describe } from '../openapi-helpers.js';
import * as s from '../schemas.js';
import { validate } from '../validate.js';
import type * as v from 'valibot';

const tag = 'Company admin';
/** A company API key, or the session of a signed-in admin (the admin page calls this API with its cookie). */
const security = 'companyAdmin' as const;

const SETUP_NOTES = [
  'Give your identity provider the ACS URL and the SP entity ID above, or the metadata URL.',
  'Microsoft Entra ID: leave the "Sign-on URL" field of the Basic SAML Configuration blank, or users see a password prompt instead of the SSO button for IdP-initiated sign-in.',
  'Just-in-time provisioning only works for IdP-initiated sign-in (the app tile in the IdP portal).',
];

function presentConnection(c: Context<AppEnv>, row: SamlConnection) {
  const deps = c.get('deps');
  const now = deps.now();
  const urls = spUrls(deps.publicUrl, row);
  const sp = spIdentityFor(deps, row);
  const present = (pem: string) => {
    const info = certificateStatus(pem, now);
    return {
      fingerprintSha256: info.fingerprintSha256,
      subject: info.subject,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      expired: info.expired,
      daysLeft: info.daysLeft,
      warning: info.warning,
    };
  };
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    companyUrls: row.companyUrls,
    spEntityId: sp.entityId,
    acsUrl: sp.acsUrl,
    metadataUrl: urls.metadataUrl,
    loginUrl: urls.loginUrl,
    sloUrl: urls.sloUrl,
    idp: {
      entityId: row.idpEntityId,
      ssoUrl: row.ssoUrl,
      ssoBinding: row.ssoBinding,
      sloUrl: row.sloUrl,
      sloBinding: row.sloBinding,
      certificates: row.certificates.map(present),
      retiredCertificates: row.retiredCertificates.map(present),
      metadata:
        row.metadataUrl === null
          ? null
          : {
              url: row.metadataUrl,
              fetchedAt: row.metadataFetchedAt?.toISOString() ?? null,
              nextRefreshAt: row.metadataNextRefreshAt?.toISOString() ?? null,
              lastError: row.metadataLastError,
            },
    },
    options: {
      clockSkewSeconds: row.clockSkewSeconds,
      idpInitiatedAllowed: row.idpInitiatedAllowed,
      defaultLandingPath: row.defaultLandingPath,
      allowExpiredCertificates: row.allowExpiredCertificates,
      strictSecondVerdict: row.strictSecondVerdict,
    },
    allowSha1: row.allowSha1,
    attributeMapping: row.attributeMapping,
    encryptionCertificate: row.spEncryptionCertificate,
    signing: { signAuthnRequests: row.signAuthnRequests, certificate: row.spSigningCertificate, previousCertificate: row.spSigningPreviousCertificate },
    warnings: connectionWarnings(row, now),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    setupNotes: SETUP_NOTES,
  };
}

type CommonBody = Partial<v.InferOutput<typeof s.SamlConnectionPatchBody>>;

/** The settings every body shape shares, as the service takes them. */
function settingsOf(body: CommonBody): Omit<SamlConnectionInput, 'idp'> {
  return {
    allowSha1: body.allowSha1,
    attributeMapping: body.attributeMapping,
    spEntityId: body.spEntityId,
    acsUrl: body.acsUrl,
    spEncryption: body.spEncryption,
    spSigning: body.spSigning,
    dropPreviousSpSigningCertificate: body.dropPreviousSpSigningCertificate,
    signAuthnRequests: body.signAuthnRequests,
    clockSkewSeconds: body.clockSkewSeconds,
    idpInitiatedAllowed: body.idpInitiatedAllowed,
    defaultLandingPath: body.defaultLandingPath,
    allowExpiredCertificates: body.allowExpiredCertificates,
    strictSecondVerdict: body.strictSecondVerdict,
    ...(body.sloUrl !== undefined ? { slo: body.sloUrl === null ? null : { url: body.sloUrl, binding: body.sloBinding ?? 'redirect' } } : {}),
  };
}

function fullInput(body: v.InferOutput<typeof s.SamlConnectionBody>): SamlConnectionInput {
  const idp =
    'metadataXml' in body
      ? { metadataXml: body.metadataXml }
      : 'metadataUrl' in body
        ? { metadataUrl: body.metadataUrl }
        : { idpEntityId: body.idpEntityId, ssoUrl: body.ssoUrl, ssoBinding: body.ssoBinding, certificates: body.certificates };
  return { idp, ...settingsOf(body) };
}

function patchInput(body: v.InferOutput<typeof s.SamlConnectionPatchBody>): ConnectionPatchInput {
  if (body.metadataXml !== undefined && body.metadataUrl !== undefined) {
    throw new InvalidInputError('invalid_body', 'Send metadataXml or metadataUrl, not both.');
  }
  const idp =
    body.metadataXml !== undefined
      ? { metadataXml: body.metadataXml }
      : body.metadataUrl !== undefined
        ? { metadataUrl: body.metadataUrl }
        : { idpEntityId: body.idpEntityId, ssoUrl: body.ssoUrl, ssoBinding: body.ssoBinding, certificates: body.certificates };
  return { idp, name: body.name, enabled: body.enabled, ...settingsOf(body) };
}

const connectionResponse = { description: 'The connection', schema: s.SamlConnection };

export const adminSamlRoutes = new Hono<AppEnv>()
  .put(
    '/saml',
    describe({
      operationId: 'configureSamlConnection',
      summary: "Configure the company's first SAML connection (an alias kept for set-ups made before several connections)",
      description: 'From IdP metadata XML or {idpEntityId, ssoUrl, certificates, optional ssoBinding}; creates the connection, at the company-level URLs, when there is none.',
      tag,
      security,
      responses: { 200: { description: 'Configured', schema: s.SamlConnection } },
      errors: [400, 401, 404, 409, 413, 415],
    }),
    validate('json', s.SamlConnectionBody),
    async (c) => {
      const row = await configureSamlConnection(c.get('deps'), c.get('actor'), c.get('authCompanyId'), fullInput(c.req.valid('json')));
      return c.json(presentConnection(c, row));
    },
  )
  .get(
    '/saml',
    describe({
      operationId: 'getSamlConnection',
      summary: "The company's first SAML connection, with each certificate and its expiry (an alias of GET …/saml-connections/:connectionId)",
      tag,
      security,
      responses: { 200: connectionResponse },
      errors: [401, 404],
    }),
    async (c) => c.json(presentConnection(c, await requireSamlConnection(c.get('deps'), c.get('authCompanyId')))),
  )
  .get(
    '/saml-connections',
    describe({
      operationId: 'listSamlConnections',
      summary: "The company's SAML connections, the first one (the company-level URLs' alias) first",
      tag,
      security,
      responses: { 200: { description: 'Connections', schema: s.SamlConnectionList } },
      errors: [401],
    }),
    async (c) => {
      const rows = await companyConnections(c.get('deps'), c.get('authCompanyId'));
      return c.json({ connections: rows.map((row) => presentConnection(c, row)) });
    },
  )
  .post(
    '/saml-connections',
    describe({
      operationId: 'createSamlConnection',
      summary: 'Add a SAML connection (another IdP): a name plus IdP metadata XML or {idpEntityId, ssoUrl, certificates}, and options',
      description:
        "The connection gets its own SP URLs (/saml/<connectionId>/metadata|acs|login|slo); the company's first connection answers at /saml/<companyId>/... " +
        'Its IdP entity ID must be unique within the company (409 idp_entity_id_taken).',
      tag,
      security,
      responses: { 201: { description: 'Created', schema: s.SamlConnection } },
      errors: [400, 401, 409, 413, 415],
    }),
    validate('json', s.NewSamlConnectionBody),
    async (c) => {
      const body = c.req.valid('json');
      const row = await createSamlConnection(c.get('deps'), c.get('actor'), c.get('authCompanyId'), { ...fullInput(body), name: body.name, enabled: body.enabled });
      return c.json(presentConnection(c, row), 201);
    },
  )
  .get(
    '/saml-connections/:connectionId',
    describe({ operationId: 'getSamlConnectionById', summary: 'One SAML connection, with each certificate and its expiry', tag, security, responses: { 200: connectionResponse }, errors: [401, 404] }),
    async (c) => c.json(presentConnection(c, await requireConnection(c.get('deps'), c.get('authCompanyId'), c.req.param('connectionId')))),
  )
  .patch(
    '/saml-connections/:connectionId',
    describe({
      operationId: 'updateSamlConnection',
      summary: 'Change a SAML connection: its name, enabled flag, IdP (new metadataXml, or manual fields one by one) or options; the rest stays',
      tag,
      security,
      responses: { 200: connectionResponse },
      errors: [400, 401, 404, 409, 413, 415],
    }),
    validate('json', s.SamlConnectionPatchBody),
    async (c) => {
      const row = await updateConnection(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.param('connectionId'), patchInput(c.req.valid('json')));
      return c.json(presentConnection(c, row));
    },
  )
  .post(
    '/saml-connections/:connectionId/refresh',
    describe({
      operationId: 'refreshSamlConnectionMetadata',
      summary: "Fetch a connection's IdP metadata URL now, instead of waiting for the scheduled refresh",
      description:
        'A certificate the metadata adds is trusted at once; one it no longer lists stays trusted (retiredCertificates) until the next refresh confirms its removal. ' +
        'A refused URL is a 400, a failure of the IdP side (unreachable, HTTP error, unusable metadata) a 502; either way the connection keeps its last good copy and lastError says why.',
      tag,
      security,
      responses: { 200: connectionResponse },
      errors: [400, 401, 404, 502],
    }),
    async (c) => {
      const row = await refreshConnectionNow(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.param('connectionId'));
      return c.json(presentConnection(c, row));
    },
  )
  .delete(
    '/saml-connections/:connectionId',
    describe({
      operationId: 'deleteSamlConnection',
      summary: 'Remove a SAML connection: its IdP is no longer trusted, and the sessions it signed in end',
      tag,
      security,
      responses: { 204: { description: 'Removed' } },
      errors: [401, 404],
    }),
    async (c) => {
      await removeConnection(c.get('deps'), c.get('actor'), c.get('authCompanyId'), c.req.param('connectionId'));
      return c.body(null, 204);
    },
  );
